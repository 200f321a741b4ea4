"""Crossing segmentations: one label per customer from several segmentations.

"One segmentation type is rarely enough": RFM says how valuable a customer is,
Walker's loyalty types why they stay. Crossed, "champions | truly loyal" and
"champions | trapped" call for different actions. Small cells are folded by one
documented rule so that every crossed segment is large enough to act on.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._protected import check_criteria
from .._validation import InstanceOf, Interval, _first_labels, check_numeric, validate_params
from ..exceptions import DataValidationError
from ..kpi._common import _safe_divide, _segment_codes

__all__ = ["SegmentCrossing", "cross_segments"]


@dataclass(frozen=True, eq=False)
class SegmentCrossing:
    """What :func:`cross_segments` returns: the crossed labels and the crosstab.

    Attributes
    ----------
    labels : Series
        One crossed label per customer (Categorical, indexed like the first
        segmentation, named after the segmentations joined by ``sep``).
    table : DataFrame
        One row per combination of labels (every combination, empty ones
        included, so that ``table["size"].unstack()`` is the crosstab of two
        segmentations), with ``size``, ``share``, ``revenue`` and
        ``revenue_share`` (when revenue is given) and ``label``, the crossed
        label its customers received (NaN for an empty combination).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import cross_segments
    >>> value = pd.Series(["high", "high", "low", "low"], name="value")
    >>> loyalty = pd.Series(["loyal", "loyal", "loyal", "switcher"], name="loyalty")
    >>> crossing = cross_segments(value, loyalty)
    >>> crossing.labels.tolist()
    ['high | loyal', 'high | loyal', 'low | loyal', 'low | switcher']
    >>> crossing.table["size"].unstack()
    loyalty  loyal  switcher
    value
    high         2         0
    low          1         1
    """

    labels: pd.Series
    table: pd.DataFrame


def _describe(position: int, series: pd.Series) -> str:
    name = f" ({series.name!r})" if series.name is not None else ""
    return f"segmentation {position}{name}"


def _aligned(labels: tuple[object, ...], revenue: object) -> tuple[list[pd.Series], pd.Index]:
    """The segmentations (and revenue) as Series in the first one's customer order.

    Every Series must hold the same customers, each once: the same index labels in
    any order (they are put in the first one's order). Anything else is refused,
    naming the segmentation and the customers that do not match.
    """
    described = [*labels, revenue] if revenue is not None else list(labels)
    series_list: list[pd.Series] = []
    for position, series in enumerate(described, start=1):
        what = "revenue" if position > len(labels) else f"segmentation {position}"
        if not isinstance(series, pd.Series):
            raise TypeError(
                f"cross_segments: {what} is a {type(series).__name__}, expected a pandas "
                f"Series indexed by customer id, e.g. df['rfm_segment'] or "
                f"pd.Series(segmenter.predict(customers), index=customers.index)"
            )
        series_list.append(series)
    first = series_list[0].index
    for position, series in enumerate(series_list, start=1):
        what = "revenue" if position > len(labels) else _describe(position, series)
        if len(series) == 0:
            raise DataValidationError(f"cross_segments: {what} is empty; there is nothing to cross")
        if not series.index.is_unique:
            repeated = series.index[series.index.duplicated()].unique()
            raise DataValidationError(
                f"cross_segments: {what} has {len(repeated)} customer ids more than once in "
                f"its index ({_first_labels(repeated)}); a segmentation gives one label per "
                f"customer. Drop the duplicates first"
            )
        if series.index.equals(first):
            continue
        missing = first.difference(series.index, sort=False)
        extra = series.index.difference(first, sort=False)
        if len(missing) or len(extra):
            problems = []
            if len(missing):
                problems.append(
                    f"lacks {len(missing)} customers of segmentation 1 ({_first_labels(missing)})"
                )
            if len(extra):
                problems.append(
                    f"has {len(extra)} customers that segmentation 1 lacks ({_first_labels(extra)})"
                )
            raise DataValidationError(
                f"cross_segments: the segmentations are not aligned on the customer index: "
                f"{what} {' and '.join(problems)}. Cross labels of the same customers: "
                f"align them first, e.g. b = b.reindex(a.index) after checking why they differ"
            )
    return [series.reindex(first) for series in series_list], first


def _codes(series: pd.Series, position: int, *, sep: str) -> tuple[np.ndarray, pd.Index]:
    """Dense codes and ordered labels of one segmentation; missing labels refused."""
    what = _describe(position, series)
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"cross_segments: {what} has {int(missing.sum())} missing labels (customers "
            f"{_first_labels(series.index[missing])}); label every customer first, e.g. "
            f".fillna('unknown') (add the category first if it is Categorical)"
        )
    codes, levels = _segment_codes(series.to_frame(name="labels"), "labels", name=what)
    text = pd.Index(levels.map(str))
    joined = text[text.str.contains(sep, regex=False)]
    if len(joined):
        raise DataValidationError(
            f"cross_segments: {what} has labels that contain sep={sep!r} "
            f"({_first_labels(joined)}), which would make the crossed labels ambiguous; "
            f"pass another sep="
        )
    return codes, levels


def cross_segments(
    *labels: pd.Series,
    min_size: int | float = 1,
    fallback: str = "other",
    sep: str = " | ",
    revenue: pd.Series | None = None,
    allow_protected: bool | Iterable[Hashable] = False,
    protected: Iterable[Hashable] = (),
) -> SegmentCrossing:
    """Cross two or more segmentations of the same customers into one label each.

    Parameters
    ----------
    *labels : Series
        Two or more segmentations: Series of segment labels indexed by customer
        id, the same customers in each (in any order: they are aligned on the
        first). Labels of a Categorical keep their category order; others are
        sorted. Missing labels and duplicated customer ids are refused.
    min_size : int or float, default=1
        Smallest crossed segment kept: a number of customers (int >= 1), or a
        share of all customers (float in (0, 1), rounded up to a count). The
        default keeps every combination that has customers.
    fallback : str, default="other"
        The name that stands for the labels folded away.
    sep : str, default=" | "
        Separator of the crossed labels; no label may contain it.
    revenue : Series, optional
        Revenue (or value) of each customer, aligned like the labels: adds
        ``revenue`` and ``revenue_share`` to the table.
    allow_protected : bool or sequence of names, default=False
        A segmentation whose *name* (the Series name) looks like a special
        category of personal data (GDPR art. 9: ethnic origin, religion,
        political opinions, union membership, health, sexual orientation,
        genetic or biometric data; English and French names) is refused as a
        criterion. ``True`` opts in explicitly (e.g. a fairness audit); a list of
        names lets only those through.
    protected : sequence of names, default=()
        Further Series names to treat as special categories.

    Returns
    -------
    SegmentCrossing
        ``.labels``: one crossed label per customer, a Categorical Series;
        ``.table``: one row per combination of labels with ``size``, ``share``,
        (``revenue``, ``revenue_share``) and the crossed ``label``. See
        :class:`SegmentCrossing`.

    Notes
    -----
    The folding rule, for segmentations 1..m, applied from the finest level to
    the coarsest:

    1. a combination of all m labels with at least ``min_size`` customers keeps
       its label, ``"l1 | l2 | ... | lm"``;
    2. the customers left are pooled by their first m - 1 labels; a pool of at
       least ``min_size`` customers is labelled ``"l1 | ... | l(m-1) | other"``;
    3. and so on with the first m - 2, ..., 1 labels (``"l1 | other"``);
    4. whoever is left is labelled ``"other"``, whatever its size (it may be
       smaller than ``min_size``, and is absent when nobody is left).

    So the order of the segmentations matters: the first is folded last. Put
    the segmentation that drives decisions first. The crossed labels are
    ordered as the combinations, each fallback after the labels it pools with,
    ``"other"`` last. To avoid ambiguous labels, the segmentations after the
    first may not use ``fallback`` as a label.

    Every customer receives exactly one label, and the sizes add up to the
    number of customers.

    Raises
    ------
    TypeError
        Fewer than two segmentations, or an argument that is not a Series.
    DataValidationError
        Segmentations (or revenue) not aligned on the same customers, duplicated
        customer ids, missing labels, labels containing ``sep`` or equal to
        ``fallback``, non-finite revenue.
    ProtectedAttributeError
        A segmentation named like (or declared) a special category.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import cross_segments
    >>> rfm = pd.Series(["champions"] * 6 + ["at risk"] * 3 + ["new"], name="rfm")
    >>> walker = pd.Series(
    ...     ["truly loyal"] * 4 + ["trapped", "switcher"] * 2 + ["truly loyal", "switcher"],
    ...     name="walker",
    ... )
    >>> crossing = cross_segments(rfm, walker, min_size=2)
    >>> crossing.labels.value_counts(sort=False)
    rfm | walker
    at risk | other            3
    champions | truly loyal    4
    champions | other          2
    other                      1
    Name: count, dtype: int64
    >>> crossing.table
                           size  share                    label
    rfm       walker
    at risk   switcher        1    0.1          at risk | other
              trapped         1    0.1          at risk | other
              truly loyal     1    0.1          at risk | other
    champions switcher        1    0.1        champions | other
              trapped         1    0.1        champions | other
              truly loyal     4    0.4  champions | truly loyal
    new       switcher        1    0.1                    other
              trapped         0    0.0                      NaN
              truly loyal     0    0.0                      NaN
    """
    if len(labels) < 2:
        raise TypeError(
            f"cross_segments needs two or more segmentations (Series of labels), got "
            f"{len(labels)}; pass them as separate arguments: cross_segments(rfm, walker)"
        )
    validate_params(
        {"min_size": min_size, "fallback": fallback, "sep": sep},
        {
            "min_size": [Interval(int, 1, None), Interval(float, 0.0, 1.0, closed="neither")],
            "fallback": [InstanceOf((str,))],
            "sep": [InstanceOf((str,))],
        },
        owner="cross_segments",
    )
    if not sep or not fallback or sep in fallback:
        raise ValueError(
            f"cross_segments: fallback={fallback!r} and sep={sep!r} must be non-empty and "
            f"the fallback must not contain the separator"
        )
    series_list, customers = _aligned(labels, revenue)
    segmentations = series_list[: len(labels)]
    names = [s.name for s in segmentations]
    check_criteria(
        [name for name in names if name is not None],
        allow_protected=allow_protected,
        declared=protected,
        owner="cross_segments",
        param="the segmentations crossed",
    )
    coded = [_codes(s, position, sep=sep) for position, s in enumerate(segmentations, start=1)]
    for position, (_, levels) in enumerate(coded[1:], start=2):
        if fallback in set(levels.map(str)):
            raise DataValidationError(
                f"cross_segments: {_describe(position, segmentations[position - 1])} has a "
                f"label {fallback!r}, the fallback name, so folded and real labels would be "
                f"confused; pass another fallback="
            )
    n = len(customers)
    threshold = int(min_size) if isinstance(min_size, int) else math.ceil(min_size * n)
    codes = [c for c, _ in coded]
    dims = tuple(len(levels) for _, levels in coded)
    m = len(dims)

    # Fold from the finest level (all m labels) to the coarsest (the first label):
    # a customer is labelled at the first level where their pool is large enough.
    level = np.zeros(n, dtype=np.int64)  # 0 = "other"
    prefix = np.zeros(n, dtype=np.int64)
    left = np.ones(n, dtype=bool)
    for depth in range(m, 0, -1):  # a loop over the handful of segmentations
        pool = np.ravel_multi_index(tuple(codes[:depth]), dims[:depth])
        counts = np.bincount(pool[left], minlength=int(np.prod(dims[:depth])))
        chosen = left & (counts[pool] >= threshold)
        level[chosen] = depth
        prefix[chosen] = pool[chosen]
        left &= ~chosen

    # The crossed labels in reading order: combination order, each fallback after
    # the labels it pools with, "other" last.
    groups, group_of = np.unique(np.stack([level, prefix]), axis=1, return_inverse=True)
    group_of = np.asarray(group_of).reshape(-1)
    positions = np.full((m, groups.shape[1]), 0, dtype=np.int64)
    names_out = []
    for g, (depth, code) in enumerate(groups.T.tolist()):
        parts = [int(p) for p in np.unravel_index(code, dims[:depth])] if depth else []
        positions[:, g] = parts + list(dims[depth:])
        text = [str(coded[i][1][p]) for i, p in enumerate(parts)]
        names_out.append(sep.join([*text, fallback] if depth < m else text))
    order = np.lexsort(positions[::-1])
    categories = pd.Index([names_out[g] for g in order])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    label_codes = rank[group_of]
    if None in names or len(set(names)) < m:  # unnamed or same names: name by position
        names = [f"segmentation_{i}" for i in range(1, m + 1)]
    crossed = pd.Series(
        pd.Categorical.from_codes(label_codes, categories=categories),
        index=customers,
        name=sep.join(str(name) for name in names),
    )

    cell = np.ravel_multi_index(tuple(codes), dims)
    n_cells = int(np.prod(dims))
    size = np.bincount(cell, minlength=n_cells)
    cell_label = np.full(n_cells, -1, dtype=np.int64)
    cell_label[cell] = label_codes
    table = pd.DataFrame(
        {"size": size, "share": size / n},
        index=pd.MultiIndex.from_product([levels for _, levels in coded], names=names),
    )
    if revenue is not None:
        values = check_numeric(series_list[-1], column=str(revenue.name or "revenue"))
        total = np.bincount(cell, weights=values, minlength=n_cells)
        table["revenue"] = total
        table["revenue_share"] = _safe_divide(total, values.sum())
    table["label"] = pd.Categorical.from_codes(cell_label, categories=categories)
    return SegmentCrossing(labels=crossed, table=table)
