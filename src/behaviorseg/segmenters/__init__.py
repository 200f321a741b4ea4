"""Segmenters: scikit-learn estimators that turn a customer table into named segments."""

from .aida import AIDAStageSegmenter
from .assael import AssaelSegmenter
from .churn import ChurnClassifier, ChurnSegmenter
from .matrix import MatrixSegmenter
from .rfm import RFMSegmenter
from .usage import UsageTierSegmenter
from .walker import WalkerLoyaltySegmenter

__all__ = [
    "AIDAStageSegmenter",
    "AssaelSegmenter",
    "ChurnClassifier",
    "ChurnSegmenter",
    "MatrixSegmenter",
    "RFMSegmenter",
    "UsageTierSegmenter",
    "WalkerLoyaltySegmenter",
]
