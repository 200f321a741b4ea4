"""The one registry of segmenters for the common scikit-learn checks.

``test_common.py`` runs ``parametrize_with_checks`` on every instance below and
fails if a segmenter exported by ``behaviorseg.segmenters`` has no instance here,
so a new class cannot go unchecked. Each expected failure carries its reason.
"""

from __future__ import annotations

from typing import Any

from behaviorseg.segmenters import (
    AIDAStageSegmenter,
    AssaelSegmenter,
    BenefitSegmenter,
    ChurnClassifier,
    ChurnSegmenter,
    ClusterSegmenter,
    EngagementSegmenter,
    LifecycleSegmenter,
    MatrixSegmenter,
    OccasionSegmenter,
    RFMSegmenter,
    UsageTierSegmenter,
    WalkerLoyaltySegmenter,
)

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

    if isinstance(estimator, ChurnClassifier) or (
        isinstance(estimator, ChurnSegmenter) and estimator.method == "supervised"
    ):
        return clone(estimator).set_params(feature_cols=tuple(names[:2]))
    if isinstance(estimator, ClusterSegmenter):  # features=None: every column, by name
        return clone(estimator)
    if isinstance(estimator, AIDAStageSegmenter):  # one days-since column per stage
        return clone(estimator).set_params(stage_cols=tuple(names[: len(estimator.stages)]))
    if isinstance(estimator, MatrixSegmenter):  # 2x2 axes: (column, weight) pairs
        return clone(estimator).set_params(x_axis=((names[0], 1.0),), y_axis=((names[1], 1.0),))
    if isinstance(estimator, AssaelSegmenter):
        axes = {"involvement": ((names[0], 1.0),), "brand_differences": ((names[1], 1.0, -1.0),)}
        return clone(estimator).set_params(**axes)
    if isinstance(estimator, EngagementSegmenter):  # the score (and the columns not None)
        roles = ("score", "earlier", "recent", "delivered")
        used = [f"{r}_col" for r in roles if getattr(estimator, f"{r}_col") is not None]
        return clone(estimator).set_params(**dict(zip(used, names, strict=False)))
    if isinstance(estimator, LifecycleSegmenter):  # the *_col not set to None, in role order
        roles = ("purchases", "tenure", "recency", "median_gap", "median_earlier_gap", "last_gap")
        used = [f"{r}_col" for r in roles if getattr(estimator, f"{r}_col") is not None]
        return clone(estimator).set_params(**dict(zip(used, names, strict=False)))
    if isinstance(estimator, OccasionSegmenter):  # the registered instance reads two columns
        return clone(estimator).set_params(purchases_col=names[0], gap_cv_col=names[1])
    if isinstance(estimator, WalkerLoyaltySegmenter):
        return clone(estimator).set_params(behavior=((names[0], -1.0),), attitude_col=names[1])
    params = [k for k, v in estimator.get_params(deep=False).items() if k.endswith("_col")]
    return clone(estimator).set_params(**dict(zip(params, names, strict=False)))


# --- instances used by the checks (one or more per class) -----------------------
INSTANCES: list[Any] = [
    RFMSegmenter(),
    ChurnSegmenter(method="supervised", random_state=0),
    UsageTierSegmenter(),
    # a 2-stage funnel: the checks feed arrays of 2+ columns (one column per stage)
    AIDAStageSegmenter(
        (("view", "product_view"), ("buy", "purchase")),
        lookback=60.0,
        ordered=True,
        stale_after={"view": 30.0},
    ),
    MatrixSegmenter(),  # positional: column 0 is x, the other columns y
    AssaelSegmenter(),
    WalkerLoyaltySegmenter(attitude_scale=None),  # the checks' numbers are on no survey scale
    # tenure and recency only (the checks' arrays have 2+ columns), one rhythm for all
    LifecycleSegmenter(
        purchases_col=None,
        median_gap_col=None,
        median_earlier_gap_col=None,
        last_gap_col=None,
        default_gap=10.0,
    ),
    EngagementSegmenter(earlier_col=None, recent_col=None, delivered_col=None),  # score only
    # purchases and gap_cv only: the checks' numbers are no shares in [0, 1]
    OccasionSegmenter(
        occasion_share=None, seasonal_concentration=None, weekend_share=None, evening_share=None
    ),
    BenefitSegmenter(),  # every column is a benefit
    ClusterSegmenter(random_state=0, n_bootstrap=2),  # k-means, k chosen by silhouette
    ClusterSegmenter(method="gmm", n_clusters=2, random_state=0, n_bootstrap=0),
    # >>> other segmenters register here (one line each)
]

# Estimators that are not segmenters (no segment names, no transform): only the
# scikit-learn checks and the column-name checks apply to them.
CLASSIFIERS: list[Any] = [
    ChurnClassifier(random_state=0),
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
    "UsageTierSegmenter": {
        **STRING_LABEL_CHECKS,
        "check_positive_only_tag_during_fit": (
            "the check centres iris by its global mean, which leaves column 0 positive; "
            "a plain array's usage is read from column 0 only (extra columns are ignored, "
            "as extra DataFrame columns are), so nothing negative reaches the segmenter"
        ),
    },
    "AIDAStageSegmenter": {**STRING_LABEL_CHECKS},
    "MatrixSegmenter": {**STRING_LABEL_CHECKS},
    "AssaelSegmenter": {**STRING_LABEL_CHECKS},
    "WalkerLoyaltySegmenter": {**STRING_LABEL_CHECKS},
    "LifecycleSegmenter": {**STRING_LABEL_CHECKS},
    "EngagementSegmenter": {
        **STRING_LABEL_CHECKS,
        "check_positive_only_tag_during_fit": (
            "as for UsageTierSegmenter: the check centres iris, which leaves column 0 "
            "positive, and the score-only instance reads column 0 alone"
        ),
    },
    "OccasionSegmenter": {**STRING_LABEL_CHECKS},
    "BenefitSegmenter": {**STRING_LABEL_CHECKS},
    "ChurnClassifier": {},  # a plain binary classifier: every check applies
    "ClusterSegmenter": {**STRING_LABEL_CHECKS},
    # >>> other segmenters register here
}
