"""Shared test configuration: where the reference data sets live.

Tests that compare against published reference data read ``../shared/data`` beside
the project root. A contributor's clone has no such folder: there those tests skip
and say what is missing. CI sets ``BEHAVIORSEG_REQUIRE_DATA=1``, under which a
missing data set is a failure, so the reference tests cannot silently stop running.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ``../shared/data`` beside the project root (the CDNOW and Online Retail reference data),
#: or the folder named by ``BEHAVIORSEG_SHARED_DATA`` for a copy kept elsewhere.
SHARED_DATA = Path(
    os.environ.get("BEHAVIORSEG_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)

#: Environment variable that turns a missing reference data set into a failure.
REQUIRE_DATA_ENV = "BEHAVIORSEG_REQUIRE_DATA"


def data_is_required() -> bool:
    """True when the environment asks for missing reference data to fail (as in CI)."""
    return os.environ.get(REQUIRE_DATA_ENV, "").strip().lower() in {"1", "true", "yes"}


def missing_reference_data(what: str) -> None:
    """Skip the calling test because ``what`` is missing, or fail when data is required."""
    reason = (
        f"reference data not found: {what} (the tests that compare against published data "
        f"expect ../shared/data beside the project root)"
    )
    if data_is_required():
        pytest.fail(f"{reason}; {REQUIRE_DATA_ENV} is set, so a missing data set is a failure")
    pytest.skip(f"{reason}; set {REQUIRE_DATA_ENV}=1 to make this a failure")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared reference data; skips (or fails in CI) when it is absent."""
    if not SHARED_DATA.is_dir():
        missing_reference_data(str(SHARED_DATA))
    return SHARED_DATA
