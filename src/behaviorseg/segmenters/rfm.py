"""RFM segmentation: recency, frequency and monetary scores, and the standard segment map."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Interval, IsCallable
from ..exceptions import BehaviorsegWarning

__all__ = ["DEFAULT_RFM_SEGMENTS", "RFMSegmenter"]

#: The widely used 10-segment map on the 5 x 5 recency x frequency grid, best first.
#: Each entry is ``(name, (r_low, r_high), (f_low, f_high))`` with inclusive score
#: ranges; together the entries cover each of the 25 cells exactly once.
DEFAULT_RFM_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (5, 5), (4, 5)),
    ("loyal customers", (3, 4), (4, 5)),
    ("potential loyalists", (4, 5), (2, 3)),
    ("new customers", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need attention", (3, 3), (3, 3)),
    ("about to sleep", (3, 3), (1, 2)),
    ("at risk", (1, 2), (3, 4)),
    ("can't lose them", (1, 2), (5, 5)),
    ("hibernating", (1, 2), (1, 2)),
)

_ROLES = ("r", "f", "m")

SegmentMap = Mapping[str, Mapping[str, tuple[int, int]]] | Callable[..., Any]


def _quantile_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Tie-aware quantile edges: ``edge_k`` is the smallest observed value with at
    least ``k / n_bins`` of the observations strictly below it (``inf`` if none).

    Scoring with ``1 + #(edges <= x)`` then gives equal values equal scores and,
    without ties, bins of equal size.
    """
    ordered = np.sort(values)
    starts = np.ones(len(ordered), dtype=bool)  # first position of each distinct value
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first_pos = np.flatnonzero(starts)
    distinct = ordered[first_pos]
    targets = np.arange(1, n_bins, dtype=np.int64) * len(ordered)
    pick = np.searchsorted(first_pos.astype(np.int64) * n_bins, targets, side="left")
    padded = np.append(distinct, np.inf)
    edges: np.ndarray = padded[pick]
    return edges


def _score_into(out: np.ndarray, values: np.ndarray, edges: np.ndarray, *, reverse: bool) -> None:
    """Write ``1 + #(edges <= value)`` (``-value`` if ``reverse``) into ``out``.

    Equal to ``1 + searchsorted(edges, value, side="right")``; with the few edges of
    quantile scores, one comparison pass per edge is several times faster than a
    binary search per row, and it needs no negated copy of the column.
    """
    if len(edges) > 16:
        column = -values if reverse else values
        out[:] = 1 + np.searchsorted(edges, column, side="right")
        return
    out[:] = 1
    for edge in edges:
        out += (values <= -edge) if reverse else (values >= edge)


class RFMSegmenter(BaseSegmenter):
    """Score customers on recency, frequency and monetary value and name their segment.

    ``fit`` learns cut points for every score from the customer table (usually
    :func:`behaviorseg.summaries.rfm_table`); ``transform`` returns the integer
    scores (1 = worst, ``n_bins`` = best; recency is reversed so that *recent*
    scores high); ``predict`` returns segment names from a map over the recency x
    frequency grid.

    Parameters
    ----------
    n_bins : int, default=5
        Number of scores per dimension, from 2 to 100.
    bin_edges : mapping or None, default=None
        Fixed inner edges instead of learned quantiles, keyed by role ``"r"``,
        ``"f"`` or ``"m"`` (a role left out is learned). ``n_bins - 1`` ascending
        numbers in the column's units. Frequency and monetary score
        ``1 + #(edges <= x)``; recency scores ``1 + #(edges >= x)``.
    segment_map : mapping, callable or None, default=None
        ``None`` uses :data:`DEFAULT_RFM_SEGMENTS` (on the 1-5 grid; other
        ``n_bins`` are rescaled with ``ceil(5 * score / n_bins)`` before lookup).
        A mapping ``{name: {"r": (low, high), "f": (low, high), ...}}`` with
        inclusive score ranges is read in order, first match wins (an empty rule
        ``{}`` matches everything); it must cover every reachable cell. A callable
        receives integer arrays ``r, f, m`` (``m`` is None without a monetary
        column) over every cell of the grid and returns one name per cell.
    recency_col, frequency_col : str
        Columns read from a DataFrame. ``recency_col`` must count days since the
        last purchase (small = recent), as rfm_table's ``recency_days`` does.
    monetary_col : str or None, default="monetary"
        Monetary column; ``None`` scores recency and frequency only.

    Attributes
    ----------
    bin_edges_ : dict of str to ndarray
        Inner edges per input column (``n_bins - 1`` values, ascending, in the
        column's units; repeated values mean empty scores because of ties and
        ``inf`` means nobody reaches the score).
    segments_ : list of str
        The possible segment names, in map order (best first for the default).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (DataFrame input only).

    Notes
    -----
    **Ties.** Learned edges never split equal values: ``edge_k`` is the smallest
    observed value with at least ``k / n_bins`` of customers strictly below it, and
    a customer's score is one plus the number of edges at or below their value.
    Without ties this is ordinary quantile binning; with heavy ties (most
    customers buying once) the tied block keeps the lowest score and the next
    values keep their percentile scores, so some scores stay empty rather than
    one-time buyers being spread over several scores by row order. A
    :class:`~behaviorseg.exceptions.BehaviorsegWarning` says which scores are
    empty.

    **Arrays.** A plain array is read positionally: column 0 is recency
    (reversed), column 1 frequency, column 2 monetary. Further columns are ignored
    with a :class:`~behaviorseg.exceptions.ColumnsByPositionWarning`, as extra
    DataFrame columns are, so an array and the same DataFrame get the same scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg import RFMSegmenter
    >>> customers = pd.DataFrame({
    ...     "recency_days": [3, 40, 200, 10, 90],
    ...     "frequency": [12, 3, 1, 1, 6],
    ...     "monetary": [800.0, 120.0, 15.0, 30.0, 300.0],
    ... })
    >>> seg = RFMSegmenter().fit(customers)
    >>> seg.transform(customers)
    array([[5, 5, 5],
           [3, 3, 3],
           [1, 1, 1],
           [4, 1, 2],
           [2, 4, 4]])
    >>> seg.predict(customers).tolist()
    ['champions', 'need attention', 'hibernating', 'promising', 'at risk']
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "n_bins": [Interval(int, 2, 100)],
        "bin_edges": [InstanceOf((Mapping, type(None)))],
        "segment_map": [InstanceOf((Mapping, type(None))), IsCallable()],
        "recency_col": [InstanceOf((str,))],
        "frequency_col": [InstanceOf((str,))],
        "monetary_col": [InstanceOf((str, type(None)))],
    }
    _min_features = 2

    def __init__(
        self,
        n_bins: int = 5,
        *,
        bin_edges: Mapping[str, Sequence[float]] | None = None,
        segment_map: SegmentMap | None = None,
        recency_col: str = "recency_days",
        frequency_col: str = "frequency",
        monetary_col: str | None = "monetary",
    ) -> None:
        self.n_bins = n_bins
        self.bin_edges = bin_edges
        self.segment_map = segment_map
        self.recency_col = recency_col
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col

    # --- columns and names ----------------------------------------------------------
    def _input_columns(self) -> list[str]:
        columns = [self.recency_col, self.frequency_col]
        if self.monetary_col is not None:
            columns.append(self.monetary_col)
        return columns

    def _output_names(self, n_columns: int) -> list[str]:
        return [f"{_ROLES[j]}_score" for j in range(n_columns)]

    def _n_scores(self) -> int:
        return len(self._edges_)

    def _column_labels(self, n_columns: int) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return self._input_columns()
        return [f"x{j}" for j in range(n_columns)]

    # --- fit ------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: Any) -> None:
        fixed = dict(self.bin_edges or {})
        unknown = set(fixed) - set(_ROLES)
        if unknown:
            raise ValueError(f"bin_edges has unknown keys {sorted(unknown)}; use 'r', 'f' or 'm'")
        labels = self._column_labels(X.shape[1])
        edges: list[np.ndarray] = []  # in scoring scale (recency negated)
        for j in range(X.shape[1]):
            sign = -1.0 if j == 0 else 1.0
            role = _ROLES[j]
            if role in fixed:
                given = np.asarray(fixed[role], dtype=np.float64)
                if (
                    given.ndim != 1
                    or len(given) != self.n_bins - 1
                    or not np.all(np.diff(given) > 0)
                ):
                    raise ValueError(
                        f"bin_edges[{role!r}] must be {self.n_bins - 1} strictly increasing "
                        f"numbers (n_bins={self.n_bins}), got {list(np.atleast_1d(given))}"
                    )
                edges.append(np.sort(sign * given))
            else:
                col_edges = _quantile_edges(sign * X[:, j], self.n_bins)
                self._warn_empty_scores(labels[j], sign * X[:, j], col_edges)
                edges.append(col_edges)
        self._edges_ = edges
        self.bin_edges_ = {
            label: np.sort(-e) if j == 0 else e.copy()
            for j, (label, e) in enumerate(zip(labels, edges, strict=True))
        }
        self._build_lookup(len(edges))

    def _warn_empty_scores(self, label: str, values: np.ndarray, edges: np.ndarray) -> None:
        scores = np.empty(len(values), dtype=np.int64)
        _score_into(scores, values, edges, reverse=False)
        filled = np.bincount(scores, minlength=self.n_bins + 1)[1:] > 0
        if filled.all():
            return
        counts = np.unique(values, return_counts=True)[1]
        share = counts.max() / len(values)
        empty = [int(k) + 1 for k in np.flatnonzero(~filled)]
        warnings.warn(
            f"column {label!r}: ties (the most common value is shared by {share:.0%} of "
            f"customers) leave scores {empty} of 1..{self.n_bins} empty; equal values "
            f"always get equal scores",
            BehaviorsegWarning,
            stacklevel=5,
        )

    def _build_lookup(self, n_scored: int) -> None:
        """Name every cell of the score grid once, so predict is a table lookup."""
        n = self.n_bins
        has_m = n_scored >= 3
        if self.segment_map is None:
            rules: list[tuple[str, dict[str, tuple[int, int]]]] = [
                (name, {"r": r, "f": f}) for name, r, f in DEFAULT_RFM_SEGMENTS
            ]
            rescale = n != 5
        elif isinstance(self.segment_map, Mapping):
            rules = [(str(k), dict(v)) for k, v in self.segment_map.items()]
            rescale = False
        else:
            rules = []
            rescale = False
        dims = 3 if has_m else 2
        grid = np.indices((n,) * dims).reshape(dims, -1) + 1
        cells = {role: grid[i] for i, role in enumerate(_ROLES[:dims])}
        if rescale:
            cells = {role: np.ceil(5 * s / n).astype(np.int64) for role, s in cells.items()}

        if callable(self.segment_map) and not isinstance(self.segment_map, Mapping):
            names = np.asarray(
                self.segment_map(cells["r"], cells["f"], cells.get("m")), dtype=object
            )
            if names.shape != cells["r"].shape:
                raise ValueError(
                    "segment_map callable must return one name per grid cell, got shape "
                    f"{names.shape} for {cells['r'].shape[0]} cells"
                )
            segments = sorted({str(s) for s in names})
            codes = np.searchsorted(np.asarray(segments, dtype=object), names.astype(str))
        else:
            codes = np.full(grid.shape[1], -1, dtype=np.int64)
            segments = []
            for code, (name, rule) in enumerate(rules):
                bad = set(rule) - set(_ROLES[:dims])
                if bad:
                    raise ValueError(
                        f"segment_map rule {name!r} uses {sorted(bad)}, which this data "
                        f"does not score (scored roles: {list(_ROLES[:dims])})"
                    )
                match = codes < 0
                for role, (low, high) in rule.items():
                    match &= (cells[role] >= low) & (cells[role] <= high)
                codes[match] = code
                segments.append(name)
            if (codes < 0).any():
                missing = grid[:, codes < 0].T[:5].tolist()
                raise ValueError(
                    f"segment_map leaves {int((codes < 0).sum())} score cells without a "
                    f"segment (e.g. {', '.join(map(str, missing))} as "
                    f"{'/'.join(_ROLES[:dims])} scores); add a rule for them or a "
                    f"catch-all rule {{}} at the end"
                )
        self.segments_ = segments
        self._lookup_ = codes.reshape((n,) * dims)

    # --- predict / transform --------------------------------------------------------
    def _scores(self, X: np.ndarray) -> np.ndarray:
        scores = np.empty((X.shape[1], X.shape[0]), dtype=np.int64)  # one row per column
        for j, edges in enumerate(self._edges_):
            _score_into(scores[j], X[:, j], edges, reverse=j == 0)
        out: np.ndarray = scores.T
        return out

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self._scores(X)

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        scores = self._scores(X)
        dims = self._lookup_.ndim
        flat = scores[:, 0] - 1
        for j in range(1, dims):  # row-major cell number of the score grid
            flat = flat * self.n_bins + (scores[:, j] - 1)
        codes: np.ndarray = self._lookup_.ravel()[flat]
        return codes
