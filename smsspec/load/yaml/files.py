"""Reading a spec or config file from disk, bounded in size, then loading it."""

from __future__ import annotations

import os
import stat

from smsspec.diagnostics import Diagnostic
from smsspec.load.yaml.limits import DEFAULT_MAX_BYTES
from smsspec.load.yaml.loader import load_yaml_bytes
from smsspec.load.yaml.source_map import YamlDocument
from smsspec.load.yaml.wording import too_large, unreadable


def _read_limited(path: str | bytes, max_bytes: int) -> bytes | int | str:
    """The file's bytes; its size (int) when over the limit; a reason (str)
    when it is not a regular file. Raises OSError."""
    flags = os.O_RDONLY
    for name in ("O_BINARY", "O_NONBLOCK", "O_CLOEXEC", "O_NOCTTY"):
        flags |= getattr(os, name, 0)
    fd = os.open(path, flags)  # non-blocking, so a FIFO cannot hang the open
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return "it is a directory"
        if not stat.S_ISREG(info.st_mode):
            return "it is not a regular file"
        if info.st_size > max_bytes:
            return info.st_size
        with open(fd, "rb", closefd=False) as handle:
            # Sized from fstat: read(max_bytes + 1) would allocate that much.
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # the file grew meanwhile
                data += handle.read(max_bytes + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return len(data)
    return data


def load_yaml_file(
    path: str | os.PathLike[str],
    display_path: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read and load a YAML file; problems come back as diagnostics."""
    try:
        fs_path: str | bytes = os.fspath(path)
        file = display_path if display_path is not None else os.fsdecode(fs_path)
    except (TypeError, ValueError) as exc:
        return None, [unreadable(str(display_path or path), f"invalid path ({exc})")]
    try:
        result = _read_limited(fs_path, max_bytes)
    except MemoryError:
        raise
    except FileNotFoundError:
        try:
            dangling = os.path.islink(fs_path)
        except (OSError, ValueError):
            dangling = False
        reason = "it is a symbolic link to a missing file" if dangling else "no such file"
        return None, [unreadable(file, reason)]
    except IsADirectoryError:
        return None, [unreadable(file, "it is a directory")]
    except PermissionError:
        reason = "it is a directory" if os.path.isdir(fs_path) else "permission denied"
        return None, [unreadable(file, reason)]
    except NotADirectoryError:
        return None, [unreadable(file, "a part of the path is not a directory")]
    except OSError as exc:
        return None, [unreadable(file, exc.strerror or str(exc))]
    except Exception as exc:  # e.g. ValueError: embedded NUL in the path
        return None, [unreadable(file, f"invalid path ({exc})")]
    if isinstance(result, int):
        return None, [too_large(file, result, max_bytes)]
    if isinstance(result, str):
        return None, [unreadable(file, result)]
    return load_yaml_bytes(result, file, max_bytes=max_bytes)
