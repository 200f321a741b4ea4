"""Segmenters: scikit-learn estimators that turn a customer table into named segments."""

from .aida import AIDAStageSegmenter
from .assael import AssaelSegmenter
from .benefit import BenefitSegmenter
from .churn import ChurnClassifier, ChurnSegmenter
from .cluster import ClusterSegmenter
from .engagement import EngagementSegmenter
from .lifecycle import LifecycleSegmenter
from .matrix import MatrixSegmenter
from .occasion import OccasionSegmenter
from .rfm import RFMSegmenter
from .usage import UsageTierSegmenter
from .walker import WalkerLoyaltySegmenter

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
]
