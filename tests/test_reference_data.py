"""The reference-data rule: skip with a reason in a contributor's clone, fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# One test that reads ../shared/data, run in a child pytest with the data folder moved away.
TARGET = "tests/test_datasets.py::test_load_cdnow_equals_the_shared_reference_copy"


def _run_without_data(tmp_path: Path, *, require: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["BEHAVIORSEG_SHARED_DATA"] = str(tmp_path / "no-such-folder")
    env.pop("BEHAVIORSEG_REQUIRE_DATA", None)
    if require:
        env["BEHAVIORSEG_REQUIRE_DATA"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_missing_reference_data_skips_and_names_the_folder(tmp_path):
    """Without the data (a contributor's clone) the test skips, naming what is missing."""
    result = _run_without_data(tmp_path, require=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "no-such-folder" in result.stdout
    assert "BEHAVIORSEG_REQUIRE_DATA=1" in result.stdout


def test_missing_reference_data_fails_when_required(tmp_path):
    """Under BEHAVIORSEG_REQUIRE_DATA=1 (as in CI) a missing data set is a failure."""
    result = _run_without_data(tmp_path, require=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout  # raised in the fixture: reported as an error
    assert "no-such-folder" in result.stdout


@pytest.mark.skipif(
    os.environ.get("BEHAVIORSEG_REQUIRE_DATA") != "1", reason="only meaningful in CI"
)
def test_ci_has_the_reference_data():
    """In CI the reference data is present (otherwise every reference test fails anyway)."""
    from conftest import SHARED_DATA

    assert (SHARED_DATA / "cdnow").is_dir() and (SHARED_DATA / "online_retail").is_dir()
