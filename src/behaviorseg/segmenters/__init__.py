"""Segmenters: scikit-learn estimators that turn a customer table into named segments."""

from .churn import ChurnSegmenter
from .rfm import RFMSegmenter

__all__ = [
    "ChurnSegmenter",
    "RFMSegmenter",
]
