from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: runs real tools (git, pre-commit, pip, venv) in temporary folders; part of the default run",
    )
