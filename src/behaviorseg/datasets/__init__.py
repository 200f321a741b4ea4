"""Data sets: ``load_*`` bundled real data, ``make_*`` seeded generators with ground truth."""

from ._loaders import load_cdnow
from ._transactions import make_transactions

__all__ = [
    "load_cdnow",
    "make_transactions",
]
