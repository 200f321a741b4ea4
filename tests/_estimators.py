"""The one registry of segmenters for the common scikit-learn checks.

``test_common.py`` runs ``parametrize_with_checks`` on every instance below and
fails if a segmenter exported by ``behaviorseg.segmenters`` has no instance here,
so a new class cannot go unchecked. Each expected failure carries its reason.
"""

from __future__ import annotations

from typing import Any

from behaviorseg.segmenters import RFMSegmenter

# Checks that compare ``predict`` output numerically: our labels are strings, so
# these fail by construction; test_common.py tests the same properties with string
# equality (see test_predict_* there).
STRING_LABEL_CHECKS: dict[str, str] = {}

# --- instances used by the checks (one or more per class) -----------------------
INSTANCES: list[Any] = [
    RFMSegmenter(),
    # >>> other segmenters register here (one line each)
]

# --- expected failures, per class name, each with its reason ---------------------
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "RFMSegmenter": {},
    # >>> other segmenters register here
}
