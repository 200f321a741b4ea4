"""behaviorseg: behavioural customer segmentation.

Event logs → customer tables (:mod:`behaviorseg.summaries`) → segments
(scikit-learn estimators in :mod:`behaviorseg.segmenters`) → KPIs
(:mod:`behaviorseg.kpi`). Probabilistic models live in :mod:`behaviorseg.models`,
data sets in :mod:`behaviorseg.datasets`.

Examples
--------
>>> import behaviorseg as bs
>>> tx = bs.datasets.load_cdnow()
>>> customers = bs.rfm_table(tx)
>>> labels = bs.RFMSegmenter().fit_predict(customers)
>>> len(labels) == len(customers)
True
"""

from importlib.metadata import PackageNotFoundError, version

from . import datasets, exceptions, kpi, models, profiling, segmenters, summaries
from .segmenters import (
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
from .summaries import (
    brand_table,
    calibration_holdout_split,
    category_table,
    churn_labels,
    clv_summary,
    engagement_table,
    funnel_table,
    lifecycle_table,
    occasion_table,
    retail_calendar,
    rfm_table,
    session_table,
    split_sessions,
    subscription_table,
    usage_table,
)

try:
    __version__ = version("behaviorseg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AIDAStageSegmenter",
    "AssaelSegmenter",
    "BenefitSegmenter",
    "ChurnClassifier",
    "ChurnSegmenter",
    "ClusterSegmenter",
    "EngagementSegmenter",
    "LifecycleSegmenter",
    "MatrixSegmenter",
    "OccasionSegmenter",
    "RFMSegmenter",
    "UsageTierSegmenter",
    "WalkerLoyaltySegmenter",
    "__version__",
    "brand_table",
    "calibration_holdout_split",
    "category_table",
    "churn_labels",
    "clv_summary",
    "datasets",
    "engagement_table",
    "exceptions",
    "funnel_table",
    "kpi",
    "lifecycle_table",
    "models",
    "occasion_table",
    "profiling",
    "retail_calendar",
    "rfm_table",
    "segmenters",
    "session_table",
    "split_sessions",
    "subscription_table",
    "summaries",
    "usage_table",
]
