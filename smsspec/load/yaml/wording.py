"""How YAML problems read: syntax errors, sizes, empty and unreadable files."""

from __future__ import annotations

import re

from yaml.error import MarkedYAMLError

from smsspec.diagnostics import Diagnostic, Location, error
from smsspec.load.yaml.source_map import Mark, location, whole_file


def shorten(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "…"


_NAME_AT = re.compile(r"[*&]([^\s,\[\]{}]*)")


_HANDLE_AT = re.compile(r"!([\w-]*!)?")


def _after_text(text: str, index: int) -> bool:
    """Is there something other than indentation before ``index`` on its line?"""
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return bool(text[start:index].strip(" -?:"))


def _char_at(text: str, mark: Mark | None) -> str:
    if mark is None or not 0 <= mark.index < len(text):
        return ""
    return text[mark.index]


def syntax_error(exc: MarkedYAMLError, text: str, file: str) -> Diagnostic:
    problem = exc.problem or ""
    context = exc.context or ""
    low = f"{problem} {context}".lower()
    mark = exc.problem_mark or exc.context_mark
    start = exc.context_mark
    since = (
        f" (it starts on line {start.line + 1})"
        if start is not None and mark is not None and start.line != mark.line
        else ""
    )
    char = _char_at(text, mark)
    rule = "YAML-SYNTAX"
    fix = "check the YAML syntax at this position"

    if char == "\t" or "tab character" in low:
        message = "tab characters cannot indent YAML; use spaces"
        fix = "replace the tab with spaces"
    elif "cannot start any token" in low:
        if char in ("@", "`"):
            message = f"`{char}` is reserved in YAML and cannot start a plain value"
        elif char == "%":
            message = "`%` can only start a directive at the top of the file"
        else:
            message = f"the character `{char or '?'}` cannot start a value here"
        fix = "put the value in quotes"
    elif "mapping values are not allowed" in low:
        message = "unexpected `:`; a plain value cannot contain `: ` and a nested mapping must start on its own line"
        fix = 'quote the value (e.g. "a: b"), or move the nested keys to their own indented lines'
    elif "sequence entries are not allowed" in low:
        message = "a `- ` list item cannot start on the same line as its key"
        fix = "move the list to the next line, indented under the key"
    elif "could not find expected ':'" in low:
        mark = start or mark
        message = "this key is not followed by `:` on the same line"
        fix = "add `: ` after the key, or indent the line if it continues the previous value"
    elif "',' or ']'" in low:
        message = f"the `[` list is not closed: expected `,` or `]` here{since}"
        fix = "add the missing `]`, or quote values that contain `[`, `]` or `,`"
    elif "',' or '}'" in low:
        message = f"the `{{` mapping is not closed: expected `,` or `}}` here{since}"
        fix = "add the missing `}`, or quote values that contain `{`, `}` or `,`"
    elif "unexpected end of stream" in low and "quoted scalar" in low:
        mark = start or mark
        message = "this quoted string is never closed"
        fix = "add the closing quote"
    elif "unknown escape character" in low:
        index = mark.index if mark is not None else 0
        escape = (
            text[index : index + 2]
            if text[index : index + 1] == "\\"
            else text[index - 1 : index + 1]
        )
        message = f"unknown escape sequence `{escape}` in a double-quoted string"
        fix = "write a backslash as \\\\, or use single quotes"
    elif "hexdecimal" in low or "hexadecimal" in low or "escape" in low:
        message = "invalid escape sequence in a double-quoted string"
        fix = "write a backslash as \\\\, or use single quotes"
    elif "tag" in low and "uri" in low:
        message = "this tag is incomplete; `!` starts a tag in YAML"
        fix = "quote the value if it is text"
    elif "alphabetic or numeric character" in low and ("alias" in low or "anchor" in low):
        mark = start or mark
        what = "an alias" if "alias" in low else "an anchor"
        sign = "*" if "alias" in low else "&"
        message = (
            f"a value starting with `{sign}` is read as {what} and needs a name after `{sign}`"
        )
        fix = 'put the value in quotes, e.g. "*SALE* today"'
    elif "undefined alias" in low:
        found = _NAME_AT.match(text, mark.index) if mark is not None else None
        name = found.group(1) if found else "?"
        message = f"`*{name}` is an alias, but no anchor `&{name}` is defined before it"
        fix = "quote the value if it is text, or define the anchor first"
    elif "duplicate anchor" in low:
        found = _NAME_AT.match(text, mark.index) if mark is not None else None
        name = found.group(1) if found else "?"
        first = f" (first on line {start.line + 1})" if start is not None else ""
        message = f"the anchor `&{name}` is defined twice{first}"
        fix = "rename one of the anchors"
    elif "undefined tag handle" in low:
        rule = "YAML-TAG"
        found = _HANDLE_AT.match(text, mark.index) if mark is not None else None
        message = f"unknown tag handle `{found.group() if found else '!?!'}`"
        fix = "remove the tag"
    elif "expected key" in low or ("block end" in low and "block mapping" in low):
        if char in ("]", "}"):
            message = f"unexpected `{char}` with no opening bracket"
        elif mark is not None and _after_text(text, mark.index):
            message = "unexpected text after the value on this line"
            fix = "quote the whole value, or move the extra text to its own line"
        else:
            message = f"this line does not fit the mapping around it; check its indentation{since}"
            fix = "indent it like the other keys of its mapping, or quote the value"
    elif "'-' indicator" in low or ("block end" in low and "block collection" in low):
        message = f"expected a `- ` list item here, aligned with the list{since}"
        fix = "check the indentation of this line"
    elif "node content" in low:
        message = "a value is missing here"
        fix = "write the value, or quote it if it starts with a special character"
    elif "document start" in low:
        message = "unexpected text after the end of the document"
        fix = "remove it, or check the indentation of this line"
    elif "incompatible yaml document" in low:
        message = "unsupported %YAML version; YAML 1.x is required"
        fix = "remove the %YAML line"
    elif "unexpected end of stream" in low:
        message = "the file ends in the middle of a value"
        fix = "complete the value"
    else:
        detail = problem or context or str(exc)
        message = f"invalid YAML: {detail}"
        if context and problem:
            message += f" ({context})"
    return error(rule, message, location(file, mark), fix=fix)


def empty_file(file: str) -> Diagnostic:
    return error(
        "YAML-EMPTY",
        "the file has no YAML content",
        Location(file, 1, 1),
        fix="write the document's keys (a spec starts with `version: 1`)",
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB".replace(".0 ", " ")
    if n >= 1024:
        return f"{n / 1024:.1f} KiB".replace(".0 ", " ")
    return f"{n} bytes"


def too_large(file: str, size: int | None, max_bytes: int) -> Diagnostic:
    what = f"is {_size(size)}" if size is not None else "is larger than that"
    return error(
        "FILE-TOO-LARGE",
        f"the file {what}; the limit is {_size(max_bytes)} ({max_bytes} bytes); "
        "large recipient lists belong in a recipients file",
        whole_file(file),
        fix="move large recipient lists into a recipients file, or split the spec",
    )


def unreadable(file: str, reason: str) -> Diagnostic:
    return error(
        "FILE-UNREADABLE", f"cannot read the file: {reason}", whole_file(file), fix="check the path"
    )
