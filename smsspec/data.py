"""Where the shipped data (schemas, payload templates) lives."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # the smsspec package



def data_dir(name: str) -> Path:
    """Folder of shipped data: inside the wheel, or the source checkout's top level."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name
