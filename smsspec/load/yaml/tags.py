"""YAML's core tags, as the constructor and the event path compare them."""

from __future__ import annotations

from typing import Final

TAG_PREFIX: Final = "tag:yaml.org,2002:"


STR: Final = TAG_PREFIX + "str"


NULL: Final = TAG_PREFIX + "null"


BOOL: Final = TAG_PREFIX + "bool"


INT: Final = TAG_PREFIX + "int"


FLOAT: Final = TAG_PREFIX + "float"


TIMESTAMP: Final = TAG_PREFIX + "timestamp"


MERGE: Final = TAG_PREFIX + "merge"


VALUE: Final = TAG_PREFIX + "value"


SEQ: Final = TAG_PREFIX + "seq"


MAP: Final = TAG_PREFIX + "map"


# Scalar keys kept as written without a word: text, and what the loader keeps as text.
SCALAR_KEY_TAGS: Final = frozenset({STR, TIMESTAMP, VALUE})
