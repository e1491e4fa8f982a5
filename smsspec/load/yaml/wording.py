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


_KEY = re.compile(r"[ \t]*(?:- +)*([^\s#:'\"\[\]{},&*!|>-][^:#\n]*?) *:(?:[ \t]|$)")


def _key_above(text: str, index: int) -> tuple[str, int, int] | None:
    """(key, line, indentation) of the nearest line above ``index`` that starts with a key."""
    end = text.rfind("\n", 0, index)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip() and not line.lstrip().startswith("#"):
            found = _KEY.match(line)
            if found is None:
                return None
            return shorten(found.group(1), 30), text.count("\n", 0, start) + 1, found.start(1)
        end = start - 1
    return None


# (quote, index of the opening quote, index of the closing quote)
_Quoted = tuple[str, int, int]


def _quote_before(text: str, index: int) -> _Quoted | None:
    """The quoted value that ends just before ``index`` (spaces between), if one does."""
    close = index - 1
    while close >= 0 and text[close] == " ":
        close -= 1
    if close < 0 or text[close] not in "'\"":
        return None
    quote = text[close]
    position = close - 1
    while position >= 0:
        if text[position] == quote:
            if quote == "'" and position > 0 and text[position - 1] == "'":
                position -= 2  # '' is a quote inside a '-quoted value
                continue
            if quote == '"' and position > 0 and text[position - 1] == "\\":
                position -= 1
                continue
            return quote, position, close
        position -= 1
    return None


def _spaces(count: int) -> str:
    return f"{count} space{'s' if count != 1 else ''}"


def _line_and_column(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


class _At:
    """A mark at a text index (the shape of yaml's marks that :func:`location` reads)."""

    def __init__(self, text: str, index: int) -> None:
        self.index = index
        line, column = _line_and_column(text, index)
        self.line, self.column = line - 1, column - 1


def _quote_problem(text: str, quoted: _Quoted, mark: Mark) -> tuple[str, str, Mark]:
    """Wording for text after a quoted value: an unclosed quote, or a quote inside the value."""
    quote, opening, closing = quoted
    open_line, open_column = _line_and_column(text, opening)
    close_line, close_column = _line_and_column(text, closing)
    if open_line != close_line:
        return (
            f"the {quote} that opens this value is not closed on its line: YAML reads on to the next {quote} "
            f"(line {close_line}, column {close_column}), and the text after that makes no sense; "
            f"close the quote on line {open_line}",
            f"add the closing {quote} on line {open_line}",
            _At(text, opening),
        )
    message = (f"the {quote} here ends the {quote}-quoted value that starts at column {open_column}, "
               "so the text after it makes no sense; ")
    if quote == "'":
        word = re.match(r"\w*", text[closing + 1 :])
        before = re.search(r"\w*$", text[opening + 1 : closing])
        example = f"{before.group() if before else ''}''{word.group() if word else ''}"
        message += f"inside '...' write a ' as '' ({example}), or quote the whole value with \" instead"
        fix = "double the ' inside the value, or use \" around it"
    else:
        after = text.find('"', closing + 1)
        inner = text[closing + 1 : after] if after != -1 and "\n" not in text[closing + 1 : after] else ""
        message += 'inside "..." write a " as \\", or use the other quote'
        message += f": '{shorten(inner, 30)}'" if inner else ""
        fix = 'write \\" inside the value, or use \' there'
    return message, fix, _At(text, closing)


def syntax_error(exc: MarkedYAMLError, text: str, file: str) -> Diagnostic:
    problem = exc.problem or ""
    context = exc.context or ""
    low = f"{problem} {context}".lower()
    mark: Mark | None = exc.problem_mark or exc.context_mark
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
        quoted = _quote_before(text, mark.index) if mark is not None else None
        if quoted is not None and mark is not None and text.count("\n", quoted[1], quoted[2]) == 0 and quoted[2] + 1 != mark.index:
            quoted = None  # `"x" trailing`: a value, then other text
        if char in ("]", "}"):
            message = f"unexpected `{char}` with no opening bracket"
        elif quoted is not None and mark is not None:
            message, fix, mark = _quote_problem(text, quoted, mark)
        elif mark is not None and _after_text(text, mark.index):
            message = "unexpected text after the value on this line"
            fix = "quote the whole value, or move the extra text to its own line"
        elif mark is not None and start is not None and mark.line != start.line:
            message = (f"this line is indented {_spaces(mark.column)}, which matches no mapping around it: "
                       f"the keys of the mapping on line {start.line + 1} are indented {start.column}")
            above = _key_above(text, mark.index)
            if above is not None and above[2] != start.column:
                message += f", `{above[0]}` on line {above[1]} is indented {above[2]}"
            message += "; align its indentation with one of them"
            fix = "indent it like the keys of the mapping it belongs to"
        else:
            message = f"this line does not fit the mapping around it; check its indentation{since}"
            fix = "indent it like the other keys of its mapping, or quote the value"
    elif "'-' indicator" in low or ("block end" in low and "block collection" in low):
        above = _key_above(text, mark.index) if mark is not None else None
        if mark is not None and start is not None and mark.column == start.column and above is not None and above[2] > mark.column:
            message = (f"this line is indented {_spaces(mark.column)}, like the `- ` items of the list on line {start.line + 1}, "
                       f"but is not an item; to belong to the item above, indent it {above[2]} spaces, like `{above[0]}` on line {above[1]}")
            fix = f"indent it {above[2]} spaces, or start it with `- ` to make it a new item"
        elif mark is not None and start is not None and mark.column != start.column:
            message = (f"this line is indented {_spaces(mark.column)}, but the `- ` items of its list are indented "
                       f"{start.column} (line {start.line + 1}); align it with line {start.line + 1}")
            fix = f"indent it {start.column} spaces"
        else:
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
