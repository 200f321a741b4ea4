"""What every plot shares: the Axes to draw on and the checks of plot options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._validation import Interval, validate_params

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__: list[str] = []  # private module


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.5)) -> Axes:
    """Return ``ax`` or a new Axes, with a clear error when matplotlib is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised without the extra
        raise ImportError(
            "behaviorseg.plotting needs matplotlib: pip install 'behaviorseg[plot]'"
        ) from err
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def _positive_int(owner: str, **params: object) -> None:
    """Raise ValueError naming the first parameter that is not an int >= 1."""
    validate_params(params, {k: [Interval(int, 1, None)] for k in params}, owner=owner)
