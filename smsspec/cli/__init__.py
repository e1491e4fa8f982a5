"""The command line (``smsspec = smsspec.cli:main``): see :mod:`smsspec.cli.main`."""

from __future__ import annotations

from smsspec.cli.main import main

__all__ = ["main"]
