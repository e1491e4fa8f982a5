"""Provider-side personalisation: one text with the provider's placeholders, per-recipient values.

A provider whose descriptor has ``personalisation`` fills placeholders itself (inwise: ``#name#`` from
``field_vars``). A message text made only of plain ``{{ name }}`` substitutions is then sent once with
placeholders, with each recipient's values, instead of once per distinct text. The values are read back
from each recipient's rendered text, and that text must be exactly the placeholder text filled with them,
so every recipient receives what smsspec rendered and checked: a recipient for whom that cannot be shown
(a value holding the provider's reserved character, say) keeps the locally rendered text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsspec.templating.text import compile_text

Values = tuple[tuple[str, str], ...]  # (name, value) in the order the text first uses them


@dataclass(frozen=True)
class Personalised:
    text: str  # with the provider's placeholders
    values: tuple[Values | None, ...]  # per recipient; None: this recipient's text is sent rendered


def personalised(source: str, texts: Sequence[str], rule: Mapping[str, Any] | None) -> Personalised | None:
    """How ``texts`` (rendered from ``source``) go with placeholders, or None when none can."""
    if not rule or len(set(texts)) < 2:
        return None  # one distinct text already shares a request
    parts = compile_text(source).fields
    if parts is None or len(parts) < 3:
        return None
    literals, names = parts[::2], parts[1::2]
    reserved = str(rule["reserved"])
    order = tuple(dict.fromkeys(names))
    if any(reserved in literal for literal in literals) or not all(re.fullmatch(rule["name_pattern"], n) for n in order):
        return None
    groups = {name: f"v{i}" for i, name in enumerate(order)}
    pattern, seen = [], set()
    for index, literal in enumerate(literals):
        pattern.append(re.escape(literal))
        if index < len(names):
            name = names[index]
            pattern.append(f"(?P={groups[name]})" if name in seen else f"(?P<{groups[name]}>.*?)")
            seen.add(name)
    regex = re.compile("".join(pattern), re.DOTALL)
    placeholder = str(rule["placeholder"])
    text = "".join(literal + (placeholder.replace("{name}", names[i]) if i < len(names) else "") for i, literal in enumerate(literals))
    values: list[Values | None] = []
    for rendered in texts:
        match = regex.fullmatch(rendered)
        found = tuple((name, match.group(groups[name])) for name in order) if match else None
        if found is None or any(reserved in value for _, value in found) or fill(text, found, placeholder) != rendered:
            values.append(None)
        else:
            values.append(found)
    if sum(v is not None for v in values) < 2:
        return None
    return Personalised(text, tuple(values))


def fill(text: str, values: Values, placeholder: str) -> str:
    """``text`` with each placeholder replaced by its value, as the provider does."""
    for name, value in values:
        text = text.replace(placeholder.replace("{name}", name), value)
    return text
