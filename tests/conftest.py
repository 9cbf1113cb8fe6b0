"""Shared fixtures: the project's rules, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def rules():
    from pipeline.rules import load_rules

    return load_rules(ROOT / "rules")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
