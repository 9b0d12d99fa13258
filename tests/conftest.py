"""Shared fixtures. Tests that need ../shared (the AnnoMI dev split) skip with a reason where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "data" / "examples"
SHARED = ROOT.parent / "shared"
ANNOMI_SIMPLE = SHARED / "data" / "annomi" / "AnnoMI-simple.dev.csv"
ANNOMI_FULL = SHARED / "data" / "annomi" / "AnnoMI-full.dev.csv"

needs_annomi = pytest.mark.skipif(
    not ANNOMI_FULL.exists(), reason="../shared/data/annomi (AnnoMI dev split) is not present on this machine"
)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
