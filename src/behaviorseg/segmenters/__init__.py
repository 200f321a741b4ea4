"""Segmenters: scikit-learn estimators that turn a customer table into named segments."""

from .rfm import RFMSegmenter

__all__ = [
    "RFMSegmenter",
]
