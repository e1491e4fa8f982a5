from __future__ import annotations

import os
import socket
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsspec.diagnostics import Diagnostic, Location
from smsspec.load.yaml import construct, decode, events, loader
from smsspec.load.yaml.files import load_yaml_file
from smsspec.load.yaml.limits import MAX_DEPTH
from smsspec.load.yaml.loader import load_yaml_bytes
from smsspec.load.yaml.source_map import YamlDocument

LOADERS = construct.LOADER_CLASSES
LOADER_IDS = [cls.__name__.strip("_") for cls in LOADERS]


@contextmanager
def using(cls: type[construct.PyLoader]) -> Iterator[None]:
    saved = loader._LOADER_CLASS
    loader._LOADER_CLASS = cls
    try:
        yield
    finally:
        loader._LOADER_CLASS = saved


@pytest.fixture(params=LOADERS, ids=LOADER_IDS, autouse=True)
def parser(request: pytest.FixtureRequest) -> Iterator[type[construct.PyLoader]]:
    """Every test runs with libyaml (when present) and with pure Python."""
    with using(request.param):
        yield request.param


def load(
    source: str | bytes, name: str = "spec.yaml", **kw: int
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    raw = source.encode("utf-8") if isinstance(source, str) else source
    return load_yaml_bytes(raw, name, **kw)


def doc_of(source: str | bytes) -> YamlDocument:
    document, diagnostics = load(source)
    assert diagnostics == []
    assert document is not None
    return document


def only(diagnostics: list[Diagnostic], rule: str) -> Diagnostic:
    assert [d.rule for d in diagnostics] == [rule], diagnostics
    assert diagnostics[0].is_error
    return diagnostics[0]


def at(diagnostic: Diagnostic) -> tuple[int, int]:
    return diagnostic.location.line, diagnostic.location.column


def pos(location: Location) -> tuple[int, int]:
    return location.line, location.column


SPEC = textwrap.dedent(
    """\
    version: 1
    messages:
      - id: welcome
        from: 00000
        to:
          - "+15551230001"
          - +15551234888
        body: |
          Hello
        options: {flash: no, parts: [1, 0123]}
    """
)


# --------------------------------------------------------------------------
# Data and positions


def test_loads_plain_data() -> None:
    data = doc_of(SPEC).data
    assert data == {
        "version": 1,
        "messages": [
            {
                "id": "welcome",
                "from": 0,
                "to": ["+15551230001", 15551234888],
                "body": "Hello\n",
                "options": {"flash": False, "parts": [1, 0o123]},
            }
        ],
    }


def test_document_carries_display_path() -> None:
    document, _ = load("a: 1\n", name="specs/promo.yaml")
    assert document is not None
    assert document.path == "specs/promo.yaml"
    assert document.source.locate(("a",)).file == "specs/promo.yaml"


@pytest.mark.parametrize(
    ("path", "value_at", "key_at"),
    [
        (("version",), (1, 10), (1, 1)),
        (("messages",), (3, 3), (2, 1)),
        (("messages", 0), (3, 5), (3, 5)),  # a list item has no key: falls back to the value
        (("messages", 0, "id"), (3, 9), (3, 5)),
        (("messages", 0, "from"), (4, 11), (4, 5)),
        (("messages", 0, "to"), (6, 7), (5, 5)),
        (("messages", 0, "to", 1), (7, 9), (7, 9)),
        (("messages", 0, "body"), (8, 11), (8, 5)),
        (("messages", 0, "options"), (10, 14), (10, 5)),
        (("messages", 0, "options", "flash"), (10, 22), (10, 15)),
        (("messages", 0, "options", "parts", 1), (10, 37), (10, 37)),
    ],
)
def test_positions_block_and_flow(
    path: loader.PathKey, value_at: tuple[int, int], key_at: tuple[int, int]
) -> None:
    source = doc_of(SPEC).source
    assert pos(source.locate(path)) == value_at
    assert pos(source.locate_key(path)) == key_at


def test_missing_path_falls_back_to_nearest_ancestor() -> None:
    source = doc_of(SPEC).source
    message = source.locate(("messages", 0))
    assert source.locate(("messages", 0, "nope", "deeper")) == message
    assert source.locate(("messages", 7)) == source.locate(("messages",))
    assert source.locate(("messages", "zero")) == source.locate(("messages",))
    assert source.locate(("messages", 0, "id", "inside a scalar")) == source.locate(
        ("messages", 0, "id")
    )
    assert source.locate_key(("messages", 0, "nope")) == message
    assert pos(source.locate(())) == (1, 1)
    assert source.locate(("messages", True)) == source.locate(("messages",))


def test_positions_in_flow_style_document() -> None:
    source = doc_of('{a: [1, {b: x, "c d": [y]}], e: {}}\n').source
    assert pos(source.locate(("a", 1, "b"))) == (1, 13)
    assert pos(source.locate_key(("a", 1, "b"))) == (1, 10)
    assert pos(source.locate_key(("a", 1, "c d"))) == (1, 16)
    assert pos(source.locate(("a", 1, "c d", 0))) == (1, 24)
    assert pos(source.locate(("e",))) == (1, 33)


def test_columns_count_characters_not_bytes() -> None:
    source = doc_of("ééé: [😀😀, x]\n").source
    assert pos(source.locate(("ééé", 1))) == (1, 11)


def test_bom_is_accepted_and_does_not_shift_columns() -> None:
    document = doc_of(b"\xef\xbb\xbfa: 1\nb: [x]\n")
    assert document.data == {"a": 1, "b": ["x"]}
    assert pos(document.source.locate_key(("a",))) == (1, 1)
    assert pos(document.source.locate(("b", 0))) == (2, 5)


def test_duplicate_key_locates_the_value_that_was_kept() -> None:
    document, _ = load("a: 1\na: 2\n")
    assert document is not None
    assert document.data == {"a": 2}
    assert pos(document.source.locate(("a",))) == (2, 4)


def test_locate_through_an_alias_points_at_the_anchored_node() -> None:
    source = doc_of("base: &b {x: 1}\nuse: *b\n").source
    assert pos(source.locate(("use", "x"))) == (1, 14)


@pytest.mark.parametrize(
    ("path", "raw", "value"),
    [
        (("messages", 0, "from"), "00000", 0),
        (("messages", 0, "to", 1), "+15551234888", 15551234888),
        (("messages", 0, "options", "parts", 1), "0123", 83),
        (("messages", 0, "options", "flash"), "no", False),
        (("messages", 0, "id"), "welcome", "welcome"),
        (("version",), "1", 1),
    ],
)
def test_raw_scalar_for_plain_scalars(path: loader.PathKey, raw: str, value: object) -> None:
    document = doc_of(SPEC)
    assert document.source.raw_scalar(path) == raw
    node: object = document.data
    for step in path:
        node = node[step]  # type: ignore[index]
    assert node == value


@pytest.mark.parametrize(
    "path",
    [
        ("messages", 0, "to", 0),  # double-quoted
        ("messages", 0, "body"),  # block scalar
        ("messages", 0, "to"),  # a list
        ("messages", 0, "missing"),
        ("messages", 3, "from"),
    ],
)
def test_raw_scalar_is_none_unless_plain_and_present(path: loader.PathKey) -> None:
    assert doc_of(SPEC).source.raw_scalar(path) is None


def test_raw_scalar_single_quoted_is_none() -> None:
    document = doc_of("from: '00000'\n")
    assert document.data == {"from": "00000"}
    assert document.source.raw_scalar(("from",)) is None


def test_timestamps_stay_text() -> None:
    document = doc_of(
        "send_at: 2026-12-01T10:00:00+02:00\n"
        "day: 2026-12-01\n"
        "spaced: 2026-12-01 10:00:00\n"
        "tagged: !!timestamp 2026-12-01\n"
        "2026-01-01: key\n"
    )
    assert document.data == {
        "send_at": "2026-12-01T10:00:00+02:00",
        "day": "2026-12-01",
        "spaced": "2026-12-01 10:00:00",
        "tagged": "2026-12-01",
        "2026-01-01": "key",
    }
    assert document.source.raw_scalar(("send_at",)) == "2026-12-01T10:00:00+02:00"


def test_yaml_11_scalars_resolve_as_pyyaml_does() -> None:
    document = doc_of(
        "a: yes\nb: off\nc: ~\nd: 1_000\ne: 0x1F\nf: 1.5\ng: .inf\nh: 190:20:30\ni: <<\nj: =\n"
    )
    assert document.data == {
        "a": True,
        "b": False,
        "c": None,
        "d": 1000,
        "e": 31,
        "f": 1.5,
        "g": float("inf"),
        "h": 685230,
        "i": "<<",
        "j": "=",
    }


# --------------------------------------------------------------------------
# Merge keys and duplicates


def test_merge_keys_are_not_duplicates_and_explicit_keys_win() -> None:
    document = doc_of(
        textwrap.dedent(
            """\
            defaults: &d
              provider: skycore
              from: "+15550000000"
            messages:
              - <<: *d
                from: "+15551111111"
                id: a
            """
        )
    )
    assert document.data == {
        "defaults": {"provider": "skycore", "from": "+15550000000"},
        "messages": [{"provider": "skycore", "from": "+15551111111", "id": "a"}],
    }
    source = document.source
    assert pos(source.locate(("messages", 0, "from"))) == (6, 11)
    assert pos(source.locate(("messages", 0, "provider"))) == (2, 13)
    assert pos(source.locate_key(("messages", 0, "provider"))) == (2, 3)
    assert source.raw_scalar(("messages", 0, "provider")) == "skycore"


def test_merge_list_earlier_mapping_wins_and_nested_merges_apply() -> None:
    document = doc_of("a: &a {x: 1, y: 1}\nb: &b {<<: *a, y: 2, z: 2}\nc: {<<: [*b, *a], w: 3}\n")
    assert document.data == {
        "a": {"x": 1, "y": 1},
        "b": {"x": 1, "y": 2, "z": 2},
        "c": {"x": 1, "y": 2, "z": 2, "w": 3},
    }
    assert pos(document.source.locate(("c", "y"))) == (2, 19)
    assert pos(document.source.locate(("c", "x"))) == (1, 11)


def test_merge_source_defined_deeper_than_its_use() -> None:
    document = doc_of("x: {y: &b {k: 1}}\nm: {<<: *b, j: 2}\n")
    assert document.data == {"x": {"y": {"k": 1}}, "m": {"k": 1, "j": 2}}


def test_merge_with_a_scalar_is_reported() -> None:
    document, diagnostics = load("a: 1\n<<: nope\n")
    problem = only(diagnostics, "YAML-SYNTAX")
    assert at(problem) == (2, 5)
    assert "merge key `<<`" in problem.message
    assert document is not None and document.data == {"a": 1}


def test_duplicate_keys_reported_at_every_depth() -> None:
    document, diagnostics = load(
        textwrap.dedent(
            """\
            version: 1
            messages:
              - id: a
                to: [x]
                id: b
            version: 2
            """
        )
    )
    assert document is not None
    assert document.data == {"version": 2, "messages": [{"id": "b", "to": ["x"]}]}
    assert sorted((d.rule, at(d)) for d in diagnostics) == [
        ("YAML-DUPLICATE-KEY", (5, 5)),
        ("YAML-DUPLICATE-KEY", (6, 1)),
    ]
    inner = next(d for d in diagnostics if at(d) == (5, 5))
    assert "`id`" in inner.message and "line 3" in inner.message
    outer = next(d for d in diagnostics if at(d) == (6, 1))
    assert "`version`" in outer.message and "line 1" in outer.message


def test_duplicate_after_a_merge_and_in_flow_mappings() -> None:
    _, diagnostics = load("d: &d {a: 1}\nm: {<<: *d, a: 2, b: 1, b: 2}\n")
    problem = only(diagnostics, "YAML-DUPLICATE-KEY")
    assert at(problem) == (2, 25)
    assert "`b`" in problem.message


def test_duplicate_key_in_an_aliased_mapping_reported_once() -> None:
    _, diagnostics = load("d: &d {a: 1, a: 2}\nx: *d\ny: *d\n")
    assert at(only(diagnostics, "YAML-DUPLICATE-KEY")) == (1, 14)


def test_quoted_and_plain_spellings_of_a_key_are_duplicates() -> None:
    _, diagnostics = load("name: a\n'name': b\n")
    assert at(only(diagnostics, "YAML-DUPLICATE-KEY")) == (2, 1)


# --------------------------------------------------------------------------
# Key types


@pytest.mark.parametrize(
    ("source", "key", "where", "word"),
    [
        ("1: x\n", "1", (1, 1), "number"),
        ("null: x\n", "null", (1, 1), "null"),
        ("~: x\n", "~", (1, 1), "null"),
        ("true: x\n", "true", (1, 1), "boolean"),
        ("a: 1\nno: x\n", "no", (2, 1), "boolean"),
        ("3.5: x\n", "3.5", (1, 1), "number"),
        ("? [a, b]\n: x\n", "[a, b]", (1, 3), "list"),
        ("? {a: 1}\n: x\n", "{a: 1}", (1, 3), "mapping"),
    ],
)
def test_non_string_keys_are_reported_and_converted(
    source: str, key: str, where: tuple[int, int], word: str
) -> None:
    document, diagnostics = load(source)
    problems = [d for d in diagnostics if d.rule == "YAML-KEY-TYPE"]
    assert len(problems) == 1 and problems[0].rule == "YAML-KEY-TYPE"
    assert at(problems[0]) == where
    assert word in problems[0].message
    assert document is not None
    assert isinstance(document.data, dict)
    assert document.data[key] == "x"
    assert all(isinstance(k, str) for k in document.data)
    assert pos(document.source.locate((key,))) != (0, 0)


def test_quoted_keys_are_strings() -> None:
    assert doc_of('"1": x\n"true": y\n').data == {"1": "x", "true": "y"}


# --------------------------------------------------------------------------
# Tags


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (
        f'a: !!python/object/apply:os.system ["touch {marker}"]\n'
        "b: !!python/name:os.system\n"
        f"c: !!python/object/new:pathlib.Path [{marker}]\n"
    )
    document, diagnostics = load(source)
    assert [(d.rule, at(d)) for d in diagnostics] == [
        ("YAML-TAG", (1, 4)),
        ("YAML-TAG", (2, 4)),
        ("YAML-TAG", (3, 4)),
    ]
    assert "!!python/object/apply:os.system" in diagnostics[0].message
    assert not marker.exists()
    assert document is not None
    assert document.data == {"a": [f"touch {marker}"], "b": "", "c": [str(marker)]}


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("a: !custom 5\n", "!custom"),
        ("a: !<tag:example.com,2000:x> 5\n", "tag:example.com,2000:x"),
        ("a: !!binary aGk=\n", "!!binary"),
        ("a: !!set {x, y}\n", "!!set"),
        ("a: !!omap [{x: 1}]\n", "!!omap"),
        ("a: !!pairs [{x: 1}]\n", "!!pairs"),
        ("a: !!str [1]\n", "!!str"),
        ("a: !!map [1]\n", "!!map"),
        ("a: !!seq x\n", "!!seq"),
        ("a: !!int abc\n", "!!int"),
        ("a: !!float abc\n", "!!float"),
        ("a: !!bool maybe\n", "!!bool"),
        ("a: !foo!bar x\n", "!foo!"),
        ("!k a: 1\n", "!k"),
    ],
)
def test_unsupported_tags(source: str, tag: str) -> None:
    _, diagnostics = load(source)
    problem = only(diagnostics, "YAML-TAG")
    assert tag in problem.message
    assert at(problem) in ((1, 4), (1, 1))


def test_standard_tags_are_fine() -> None:
    assert doc_of("a: !!str 00000\nb: !!int '7'\nc: !!null ''\nd: !!float 1\n").data == {
        "a": "00000",
        "b": 7,
        "c": None,
        "d": 1.0,
    }


# --------------------------------------------------------------------------
# Aliases


BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_billion_laughs_is_refused() -> None:
    document, diagnostics = load(BILLION_LAUGHS)
    problem = only(diagnostics, "YAML-ALIAS-LIMIT")
    assert document is None
    assert problem.location.line >= 3
    assert "alias" in problem.message


def test_nested_merges_cannot_blow_up() -> None:
    lines = ["m0: &m0 {k0: 0}"]
    for i in range(1, 30):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    document, diagnostics = load("\n".join(lines) + "\n")
    assert document is None
    assert only(diagnostics, "YAML-ALIAS-LIMIT")


def test_alias_count_is_capped() -> None:
    aliases = ", ".join(["*x"] * 101)
    _, diagnostics = load(f"a: &x 1\nb: [{aliases}]\n")
    problem = only(diagnostics, "YAML-ALIAS-LIMIT")
    assert at(problem) == (2, 5 + 4 * 100)
    assert "100" in problem.message


def test_one_hundred_aliases_are_fine() -> None:
    aliases = ", ".join(["*x"] * 100)
    assert doc_of(f"a: &x 1\nb: [{aliases}]\n").data == {"a": 1, "b": [1] * 100}


def test_recursive_alias_is_refused() -> None:
    for source, where in (
        ("a: &x [1, *x]\n", (1, 11)),
        ("a: &x {b: *x}\n", (1, 11)),
        ("&x {<<: *x}\n", (1, 9)),
    ):
        document, diagnostics = load(source)
        assert document is None
        problem = only(diagnostics, "YAML-ALIAS-LIMIT")
        assert at(problem) == where
        assert "`*x`" in problem.message


def test_star_in_text_is_not_an_alias() -> None:
    assert doc_of('a: "5 * 3"\nb: x*y\n').data == {"a": "5 * 3", "b": "x*y"}


def test_undefined_alias() -> None:
    _, diagnostics = load("a: 1\nbody: *SALE today\n")
    problem = only(diagnostics, "YAML-SYNTAX")
    assert at(problem) == (2, 7)
    assert "`*SALE`" in problem.message
    assert problem.fix and "quote" in problem.fix


# --------------------------------------------------------------------------
# Nesting


def nested_flow(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_nesting_limit_is_64_levels() -> None:
    assert doc_of(nested_flow(64)).data is not None
    document, diagnostics = load(nested_flow(65))
    assert document is None
    assert at(only(diagnostics, "YAML-NESTING")) == (1, 65)


@pytest.mark.parametrize(
    "source",
    [
        "[" * 1_000_000,
        "{" * 1_000_000,
        "{a: " * 100_000,
        nested_flow(10_000),
        "- " * 1_000_000 + "x\n",
        "? " * 100_000 + "x\n",
        "a:\n" + "".join("  " * i + "- b:\n" for i in range(1, 200)),
    ],
    ids=[
        "open-1M",
        "brace-1M",
        "flow-map-100k",
        "closed-10k",
        "dash-1M",
        "question-100k",
        "block-200",
    ],
)
def test_deep_nesting_is_refused_without_crashing(source: str) -> None:
    document, diagnostics = load(source)
    assert document is None
    assert only(diagnostics, "YAML-NESTING").location.line >= 1


def test_block_mappings_nested_10000_deep() -> None:
    source = "".join(" " * i + "a:\n" for i in range(10_000)) + " " * 10_000 + "x\n"
    document, diagnostics = load(source, max_bytes=64 * 1024 * 1024)
    assert document is None
    assert at(only(diagnostics, "YAML-NESTING")) == (65, 65)


def test_nesting_through_an_alias() -> None:
    source = "a: &x " + nested_flow(40) + "\nb: " + "[" * 30 + "*x" + "]" * 30 + "\n"
    document, diagnostics = load(source)
    assert document is None
    assert at(only(diagnostics, "YAML-NESTING")) == (2, 34)


def test_moderately_deep_but_allowed_with_long_lines() -> None:
    # Long lines and many brackets force the slower event pre-check; the
    # result must be the same.
    padding = "x" * 300
    body = "".join(f"k{i}: [{{a: [{padding}]}}]\n" for i in range(400))
    data = doc_of(body).data
    assert isinstance(data, dict) and len(data) == 400
    assert data["k7"] == [{"a": [padding]}]


# --------------------------------------------------------------------------
# Syntax errors


@pytest.mark.parametrize(
    ("source", "where", "words"),
    [
        ("a:\n\tb: 1\n", (2, 1), "tab characters cannot indent YAML; use spaces"),
        ("a: b: c\n", (1, 5), "unexpected `:`"),
        ("a: [1, 2\nb: 3\n", (2, 2), "`[` list is not closed"),
        ("a: {x: 1\n", (2, 1), "`{` mapping is not closed"),
        ('a: "hello\nb: 2\n', (1, 4), "quoted string is never closed"),
        ("a: @foo\n", (1, 4), "`@` is reserved"),
        ("a: `foo`\n", (1, 4), "`` ` `` is reserved".replace("`` ` ``", "```")),
        ("a: 1\nb\nc: 2\n", (2, 1), "not followed by `:`"),
        ("a:\n  b: 1\n c: 2\n", (3, 2), "indentation"),
        ("a: - b\n", (1, 4), "list item cannot start on the same line"),
        ("- a\nb: 1\n", (2, 1), "`- ` list item"),
        ("a: *SALE* today\n", (1, 4), "read as an alias"),
        ("a: & x\n", (1, 4), "read as an anchor"),
        ("a: &x 1\nb: &x 2\n", (2, 4), "`&x` is defined twice (first on line 1)"),
        ("a: 1\n...\n]\n", (3, 1), "after the end of the document"),
        ("%YAML 2.0\n---\na: 1\n", (1, 1), "%YAML"),
        ("a: [1,\n", (2, 1), "missing"),
        ('a: "x" trailing\n', (1, 8), "unexpected text after the value"),
        ('a: "\\x4"\n', (1, 7), "invalid escape sequence"),
        ("a: !!\n", (1, 6), "tag is incomplete"),
        ("a: [1, 2]]\n", (1, 10), "unexpected `]`"),
        (
            "messages:\n  - id: a\n  body: x\n",
            (3, 3),
            "like the `- ` items of the list on line 2, but is not an item; to belong to the item above, indent it 4 spaces, like `id` on line 2",
        ),
    ],
)
def test_syntax_errors_in_plain_words(source: str, where: tuple[int, int], words: str) -> None:
    document, diagnostics = load(source)
    assert document is None
    problem = only(diagnostics, "YAML-SYNTAX")
    assert at(problem) == where
    assert words in problem.message
    assert problem.fix


def test_bad_escape_names_the_escape() -> None:
    problem = only(load('a: "\\q"\n')[1], "YAML-SYNTAX")
    assert "`\\q`" in problem.message
    assert problem.location.line == 1


# --------------------------------------------------------------------------
# Encoding


def test_latin1_byte_is_located() -> None:
    problem = only(load("a: ok\nname: Caf\xe9\n".encode("latin-1"))[1], "YAML-ENCODING")
    assert at(problem) == (2, 10)
    assert "0xE9" in problem.message and "offset 15" in problem.message


def test_invalid_utf8_after_multibyte_characters_counts_characters() -> None:
    problem = only(load("é: ü\xff".encode().replace(b"\xc3\xbf", b"\xff"))[1], "YAML-ENCODING")
    assert at(problem) == (1, 5)


@pytest.mark.parametrize(
    ("raw", "where", "words"),
    [
        (b"a: 1\nb: x\x00y\n", (2, 5), "NUL"),
        (b"\x00" * 4096, (1, 1), "NUL"),
        (b"a: x\x1by\n", (1, 5), "U+001B"),
        (b"a: 1\r\nb: \x07\r\n", (2, 4), "U+0007"),
        (b"a: 1\n\xef\xbb\xbfb: 2\n", (2, 1), "byte-order mark"),
        (b"a: \xef\xbf\xbe\n", (1, 4), "U+FFFE"),
    ],
)
def test_forbidden_characters(raw: bytes, where: tuple[int, int], words: str) -> None:
    document, diagnostics = load(raw)
    assert document is None
    problem = only(diagnostics, "YAML-ENCODING")
    assert at(problem) == where
    assert words in problem.message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_rejected_clearly(codec: str) -> None:
    raw = "a: 1\n".encode(codec)
    if codec == "utf-16-be":
        raw = b"\xfe\xff" + raw
    problem = only(load(raw)[1], "YAML-ENCODING")
    assert codec[:6].upper() in problem.message
    assert "UTF-8" in (problem.fix or "")


def test_utf16_without_bom_is_called_out() -> None:
    problem = only(load("a: é\n".encode("utf-16-le"))[1], "YAML-ENCODING")
    assert "NUL" in problem.message or "UTF-16" in problem.message


# --------------------------------------------------------------------------
# Documents


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n\n\t\n",
        b"# only a comment\n# two\n",
        b"---\n",
        b"--- # c\n...\n",
        b"\xef\xbb\xbf",
    ],
)
def test_empty_files(raw: bytes) -> None:
    document, diagnostics = load(raw)
    problem = only(diagnostics, "YAML-EMPTY")
    assert "no YAML content" in problem.message
    assert document is not None and document.data is None
    assert document.source.locate(("anything",)).file == "spec.yaml"
    assert document.source.raw_scalar(()) is None


def test_explicit_null_document_is_not_empty() -> None:
    assert doc_of("~\n").data is None


def test_multiple_documents() -> None:
    document, diagnostics = load("a: 1\n---\nb: 2\n---\nc: 3\n")
    problem = only(diagnostics, "YAML-MULTI-DOC")
    assert at(problem) == (2, 1)
    assert document is not None and document.data == {"a": 1}


def test_second_document_after_document_end_marker() -> None:
    document, diagnostics = load("a: 1\n...\n--- b: 2\n")
    assert at(only(diagnostics, "YAML-MULTI-DOC")) == (3, 1)
    assert document is not None and document.data == {"a": 1}


def test_second_document_is_not_composed() -> None:
    document, diagnostics = load("a: 1\n---\n" + "[" * 100_000)
    assert [d.rule for d in diagnostics] == ["YAML-MULTI-DOC"]
    assert document is not None and document.data == {"a": 1}


def test_multiple_documents_and_problems_in_the_first() -> None:
    _, diagnostics = load("a: 1\na: 2\n---\nb: 2\n")
    assert sorted(d.rule for d in diagnostics) == ["YAML-DUPLICATE-KEY", "YAML-MULTI-DOC"]


# --------------------------------------------------------------------------
# Sizes and hostile input


def test_bytes_over_the_limit() -> None:
    raw = "".join(f"k{i:02}: 1\n" for i in range(100)).encode()
    assert len(raw) == 700
    document, diagnostics = load(raw, max_bytes=699)
    problem = only(diagnostics, "FILE-TOO-LARGE")
    assert document is None
    assert "699" in problem.message
    assert "recipients file" in (problem.fix or "")
    assert load(raw, max_bytes=700)[1] == []


def test_one_megabyte_line() -> None:
    text = "x" * 1_000_000
    assert doc_of(f"body: {text}\n").data == {"body": text}


def test_long_numbers_stay_text() -> None:
    digits = "9" * 5000
    sexagesimal = "1" + ":1" * 50_000
    assert doc_of(f"a: {digits}\nb: {sexagesimal}\nc: 0x_\n").data == {
        "a": digits,
        "b": sexagesimal,
        "c": "0x_",
    }


def test_many_keys() -> None:
    body = "".join(f"k{i}: {i}\n" for i in range(5_000))
    data = doc_of(body).data
    assert isinstance(data, dict) and data["k4999"] == 4999


def test_random_bytes_and_non_bytes_input() -> None:
    document, diagnostics = load(bytes(range(256)) * 64)
    assert document is None and only(diagnostics, "YAML-ENCODING")
    document, diagnostics = load_yaml_bytes(bytearray(b"a: 1\n"), "x.yaml")  # type: ignore[arg-type]
    assert document is not None and document.data == {"a": 1}


def check_contract(raw: bytes) -> None:
    document, diagnostics = load_yaml_bytes(raw, "fuzz.yaml")
    assert all(d.location.file == "fuzz.yaml" for d in diagnostics)
    assert all(d.location.line >= 0 and d.location.column >= 0 for d in diagnostics)
    if document is None:
        assert any(d.is_error for d in diagnostics)
    else:
        assert document.path == "fuzz.yaml"
        # positions are available for whatever was loaded
        assert document.source.locate(()).file == "fuzz.yaml"
        if isinstance(document.data, dict):
            for key in list(document.data)[:5]:
                assert isinstance(key, str)
                document.source.locate_key((key,))
                document.source.raw_scalar((key,))


YAMLISH = st.lists(
    st.sampled_from(
        [*"[]{}:-?&*!|>'\"#%@`,.\n \t\\ab01~<=_", "\r\n", "---", "...", "<<: ", "&a ", "*a", "  "]
    ),
    max_size=120,
).map("".join)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
@example(raw=b"\xff\xfe")
@example(raw=b"&a [*a]")
def test_any_bytes_never_raise(raw: bytes) -> None:
    check_contract(raw)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_never_raises(text: str) -> None:
    check_contract(text.encode("utf-8"))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
@example(text="<<: [&a {a: 1}, *a]\n")
@example(text="? [a, {b: c}]\n: 1\n? [a, {b: c}]\n: 2\n")
def test_yaml_like_text_never_raises(text: str) -> None:
    check_contract(text.encode("utf-8"))


@pytest.mark.slow
@settings(
    deadline=None, max_examples=20_000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=YAMLISH)
def test_yaml_like_text_never_raises_long_run(text: str) -> None:
    check_contract(text.encode("utf-8"))


# --------------------------------------------------------------------------
# Files


def test_load_file_uses_path_or_display_path(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("a: 1\n")
    document, diagnostics = load_yaml_file(path)
    assert diagnostics == [] and document is not None
    assert document.path == str(path)
    document, _ = load_yaml_file(str(path), "shown.yaml")
    assert document is not None and document.source.locate(("a",)) == Location("shown.yaml", 1, 4)


def test_file_too_large_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: a 50 MB file of NULs
    document, diagnostics = load_yaml_file(path, "big.yaml")
    problem = only(diagnostics, "FILE-TOO-LARGE")
    assert document is None
    assert "50 MiB" in problem.message and "8 MiB" in problem.message
    assert problem.location == Location("big.yaml", 1, 1)


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"a: 1\n")
    assert load_yaml_file(path, max_bytes=5)[1] == []
    assert only(load_yaml_file(path, max_bytes=4)[1], "FILE-TOO-LARGE")


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "directory",
        "broken-link",
        "link-loop",
        "under-a-file",
        "fifo",
        "socket",
        "nul-in-path",
    ],
)
def test_unreadable_files(tmp_path: Path, kind: str) -> None:
    path: Path | str = tmp_path / "x.yaml"
    expected = {
        "missing": "no such file",
        "directory": "directory",
        "broken-link": "symbolic link to a missing file",
        "link-loop": "cannot read",
        "under-a-file": "not a directory",
        "fifo": "not a regular file",
        "socket": "cannot read",
        "nul-in-path": "invalid path",
    }[kind]
    assert isinstance(path, Path)
    if kind == "directory":
        path.mkdir()
    elif kind == "broken-link":
        path.symlink_to(tmp_path / "gone.yaml")
    elif kind == "link-loop":
        path.symlink_to(tmp_path / "x.yaml")
    elif kind == "under-a-file":
        path.write_text("a: 1\n")
        path = path / "inner.yaml"
    elif kind == "fifo":
        os.mkfifo(path)  # opening it for reading must not wait for a writer
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
        except OSError:
            pytest.skip("cannot create a unix socket here")
        server.close()
    elif kind == "nul-in-path":
        path = str(path) + "\x00.yaml"
    document, diagnostics = load_yaml_file(path, "shown.yaml")
    problem = only(diagnostics, "FILE-UNREADABLE")
    assert document is None
    assert expected in problem.message
    assert problem.location == Location("shown.yaml", 1, 1)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything"
)
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    problem = only(load_yaml_file(path)[1], "FILE-UNREADABLE")
    assert "permission denied" in problem.message


def test_permission_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    problem = only(load_yaml_file(path)[1], "FILE-UNREADABLE")
    assert "permission denied" in problem.message


# --------------------------------------------------------------------------
# The cheap pre-check and the event scan must agree

# A comment line indented by 70 spaces makes deep block nesting *possible*,
# which sends the loader through the event scan before composing.
FORCE_SCAN = " " * 70 + "# padding\n"


@pytest.mark.parametrize(
    "source",
    [
        BILLION_LAUGHS,
        "a: &x 1\nb: [" + ", ".join(["*x"] * 101) + "]\n",
        "a: &x [1, *x]\n",
        nested_flow(65),
        "a: &x " + nested_flow(40) + "\nb: " + "[" * 30 + "*x" + "]" * 30 + "\n",
        SPEC,
        "d: &d {a: 1}\nm: {<<: *d, b: 2}\n",
    ],
    ids=["laughs", "alias-count", "recursive", "nesting", "alias-nesting", "spec", "merge"],
)
def test_event_scan_and_node_walk_agree(source: str) -> None:
    plain = load("# padding\n" + source)  # same lines, no long indentation
    scanned = load(FORCE_SCAN + source)
    assert scanned[0] is not None or plain[0] is None
    assert [(d.rule, d.message, at(d)) for d in scanned[1]] == [
        (d.rule, d.message, at(d)) for d in plain[1]
    ]
    if plain[0] is not None and scanned[0] is not None:
        assert scanned[0].data == plain[0].data


def test_undefined_alias_does_not_stop_the_nesting_check() -> None:
    document, diagnostics = load("a: *nope\nb: " + "[" * 100_000 + "\n")
    assert document is None
    assert at(only(diagnostics, "YAML-NESTING")) == (2, 4 + MAX_DEPTH - 1)


def test_duplicates_inside_an_inline_merge_source_reported_once() -> None:
    document, diagnostics = load("m: {<<: {a: 1, a: 2}, b: 3}\n")
    assert at(only(diagnostics, "YAML-DUPLICATE-KEY")) == (1, 16)
    assert document is not None and document.data == {"m": {"a": 2, "b": 3}}


# --------------------------------------------------------------------------
# The event path builds exactly what the node path builds

REPO = Path(__file__).resolve().parents[2]


def typed(value: object) -> object:
    """The value with every scalar's type made visible, so 1 != 1.0 != True."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}, list(value)
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, value


def assert_paths_agree(source: str | bytes, parser: type[construct.PyLoader]) -> bool:
    """Loads ``source`` both ways; True when the event path took it."""
    raw = source.encode("utf-8") if isinstance(source, str) else source
    text, problem = decode.decode_text(raw, "x.yaml")
    if text is None:
        assert problem is not None
        return False
    fast = events.from_events(text, "x.yaml", parser)
    try:
        slow, diagnostics = loader._parse_nodes(text, raw, "x.yaml", parser)
    except yaml.YAMLError:  # a syntax error (load_yaml_bytes reports it)
        assert fast is None
        return False
    if fast is None:
        return False
    assert diagnostics == [], "the event path took a document the node path reports"
    assert slow is not None
    assert typed(fast.data) == typed(slow.data)
    return True


def yaml_files() -> list[Path]:
    roots = [REPO / "tests" / "cases", REPO / "tests" / "hostile", REPO / "tests" / "golden", REPO / "examples"]
    return sorted(
        p for root in roots for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.stat().st_size < 2_000_000
    )


def test_event_path_matches_the_node_path_on_every_shipped_file(parser: type[construct.PyLoader]) -> None:
    files = yaml_files()
    taken = [path for path in files if assert_paths_agree(path.read_bytes(), parser)]
    assert len(files) > 100 and len(taken) > len(files) // 2  # most real files take the event path


@pytest.mark.parametrize(
    "source",
    [
        "a: &x 1\nb: *x\n",
        "d: &d {a: 1}\nm: {<<: *d}\n",
        "a: !!str 1\n",
        "a: 1\na: 2\n",
        "? [a]\n: 1\n",
        "1: one\n",
        "null: x\n",
        "a: 1\n---\nb: 2\n",
        "- a\n- b\n",
        "just text\n",
        "",
        "a: [1, 2\n",
        nested_flow(70),
    ],
    ids=["alias", "merge", "tag", "duplicate", "list-key", "int-key", "null-key", "two-docs", "list-root", "scalar-root", "empty", "syntax", "deep"],
)
def test_node_path_reads_what_the_event_path_leaves(source: str, parser: type[construct.PyLoader]) -> None:
    text, _ = decode.decode_text(source.encode("utf-8"), "x.yaml")
    assert text is not None
    assert events.from_events(text, "x.yaml", parser) is None


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["yes", "No", "on", "~", "0x1F", "0o17", "017", "1_000", "1:20", "2026-01-02", "2026-01-02 10:00:00", ".inf", "-.Inf", "=", "<<", "+447400000001", "0.5e3", "1e3", "", " a ", "a: b", "# c", "- x"]),
)
KEYS = st.one_of(st.text(max_size=8), st.sampled_from(["<<", "=", "2026-01-02", "yes", "1", "~"]))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(KEYS, DATA, max_size=5), flow=st.sampled_from([None, True, False]), plain=st.booleans())
def test_event_path_matches_the_node_path_on_dumped_data(data: dict[str, object], flow: bool | None, plain: bool, parser: type[construct.PyLoader]) -> None:
    source = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if plain:  # unquote what the dumper quoted, so scalars resolve as unquoted text would
        source = source.replace("'", "")
    assert_paths_agree(source, parser)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
@example(text="a: [b, {c: d}]\n")
def test_event_path_matches_the_node_path_on_yaml_like_text(text: str, parser: type[construct.PyLoader]) -> None:
    assert_paths_agree(text, parser)


def test_positions_are_composed_on_first_use_only(parser: type[construct.PyLoader]) -> None:
    document = doc_of("a:\n  - {b: 1}\n  - c\n")
    assert document.source._pending is not None
    assert document.source.locate(("a", 1)) == Location("spec.yaml", 3, 5)
    assert document.source._pending is None
    assert document.source.locate_key(("a", 0, "b")) == Location("spec.yaml", 2, 6)
