"""Shared test configuration: where the reference data sets live."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ``../shared/data`` beside the project root (the CDNOW and Online Retail reference data).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared reference data; a missing folder is an error, not a skip."""
    if not SHARED_DATA.is_dir():
        raise FileNotFoundError(
            f"reference data not found at {SHARED_DATA}; the tests expect ../shared/data "
            f"beside the project root"
        )
    return SHARED_DATA
