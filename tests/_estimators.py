"""The one registry of segmenters for the common scikit-learn checks.

``test_common.py`` runs ``parametrize_with_checks`` on every instance below and
fails if a segmenter exported by ``behaviorseg.segmenters`` has no instance here,
so a new class cannot go unchecked. Each expected failure carries its reason.
"""

from __future__ import annotations

from typing import Any

from behaviorseg.segmenters import ChurnSegmenter, RFMSegmenter

# Checks that compare ``predict`` output numerically: our labels are strings, so
# these fail by construction; test_common.py tests the same properties with string
# equality (test_predict_invariant_to_subsets_and_row_order,
# test_fit_is_idempotent_and_deterministic, test_pickle_round_trip_keeps_labels).
_STRING_LABELS = (
    "predict returns segment names (str); the check compares outputs with "
    "assert_allclose, which cannot subtract strings"
)
STRING_LABEL_CHECKS: dict[str, str] = {
    "check_estimators_pickle": _STRING_LABELS,
    "check_estimators_pickle(readonly_memmap=True)": _STRING_LABELS,
    "check_methods_sample_order_invariance": _STRING_LABELS,
    "check_methods_subset_invariance": _STRING_LABELS,
    "check_fit_idempotent": _STRING_LABELS,
}


def point_at_columns(estimator: Any, names: list[str]) -> Any:
    """Return a clone of ``estimator`` that reads the DataFrame columns ``names``.

    The sklearn checks that feed DataFrames name their columns themselves (col_0,
    col0, ...); segmenters read columns by name, so they are pointed at those.
    By default every ``*_col`` parameter gets the next name in order; a segmenter
    whose columns are set otherwise adds its own branch here.
    """
    from sklearn.base import clone

    if isinstance(estimator, ChurnSegmenter) and estimator.method == "supervised":
        return clone(estimator).set_params(feature_cols=tuple(names[:2]))
    params = [k for k, v in estimator.get_params(deep=False).items() if k.endswith("_col")]
    return clone(estimator).set_params(**dict(zip(params, names, strict=False)))


# --- instances used by the checks (one or more per class) -----------------------
INSTANCES: list[Any] = [
    RFMSegmenter(),
    ChurnSegmenter(method="supervised", random_state=0),
    # >>> other segmenters register here (one line each)
]

# --- expected failures, per class name, each with its reason ---------------------
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "RFMSegmenter": {**STRING_LABEL_CHECKS},
    "ChurnSegmenter": {
        **STRING_LABEL_CHECKS,
        "check_estimators_dtypes": (
            "the check's labels (the first column cast to int) are all non-zero, i.e. "
            "one churn class, which the supervised route refuses with a ValueError"
        ),
        "check_fit2d_1feature": (
            "with one feature the check's labels hold one churn class, refused with a "
            "ValueError about classes rather than features"
        ),
    },
    # >>> other segmenters register here
}
