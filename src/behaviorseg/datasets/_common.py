"""Private helpers shared by the data generators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__: list[str] = []


def _probabilities(
    value: Sequence[float] | None, size: int, default: np.ndarray, name: str
) -> np.ndarray:
    """Return ``value`` (or ``default``) as ``size`` probabilities that sum to one."""
    probs = default if value is None else np.asarray(value, dtype=np.float64)
    if probs.shape != (size,) or not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise ValueError(f"{name}={value!r} must be {size} non-negative probabilities")
    if not np.isclose(probs.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name}={value!r} must sum to 1, got {probs.sum():.6g}")
    return probs
