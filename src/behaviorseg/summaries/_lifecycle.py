"""Transaction logs → each customer's buying rhythm: ``lifecycle_table``.

The log goes through rfm_table's preparation step (:func:`._transactions._prepare`),
so a *purchase* means exactly what it means there; the purchases of every customer
are then put in time order once (one sort) and the gaps between consecutive
purchases are reduced per customer with whole-column numpy operations (group
medians from one lexicographic sort, group maxima with ``np.maximum.at``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from ._transactions import _NS_PER_DAY, _epoch_ns, _keep_buyers, _prepare, _to_ns

__all__ = ["LIFECYCLE_STATUSES", "lifecycle_table"]

#: The lifecycle statuses of :class:`~behaviorseg.segmenters.LifecycleSegmenter`, in
#: lifecycle order (also the order of ``segments_``). Kept here, below both the
#: segmenter and the data generator that returns the true status of each customer.
LIFECYCLE_STATUSES: tuple[str, ...] = ("new", "active", "reactivated", "at risk", "lapsed")


def _purchases(
    codes: np.ndarray, ns: np.ndarray, orders: pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct purchases as (customer code, time) arrays, sorted by customer then time.

    A purchase is a distinct (customer, order) pair with ``orders``, else a distinct
    (customer, instant) pair; an order's time is its earliest row.
    """
    if orders is not None:
        order_codes, uniques = pd.factorize(orders.to_numpy())
        width = np.int64(max(len(uniques), 1))
        pair_codes, inverse = np.unique(codes * width + order_codes, return_inverse=True)
        start = np.full(len(pair_codes), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(start, inverse.ravel(), ns)
        p_code, p_ns = pair_codes // width, start
    else:
        p_code, p_ns = codes, ns
    order = np.lexsort((p_ns, p_code))
    p_code, p_ns = p_code[order], p_ns[order]
    if orders is None:  # rows of one customer at one instant are one purchase
        distinct = np.ones(len(p_code), dtype=bool)
        distinct[1:] = (p_code[1:] != p_code[:-1]) | (p_ns[1:] != p_ns[:-1])
        p_code, p_ns = p_code[distinct], p_ns[distinct]
    return p_code.astype(np.int64, copy=False), p_ns


def _group_median(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of ``values`` per customer code (NaN for codes without values)."""
    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, codes))
    sorted_codes, sorted_values = codes[order], values[order]
    counts = np.bincount(sorted_codes, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    out[has] = (sorted_values[low] + sorted_values[high]) / 2.0
    return out


@frame_boundary("transactions")
def lifecycle_table(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str | None = "amount",
    order_col: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Summarise a transaction log into each customer's buying rhythm.

    The columns :class:`~behaviorseg.segmenters.LifecycleSegmenter` reads to
    judge every customer against their own rhythm: how many purchases, how
    long the usual gap between them is, how long the gap before the last one
    was, and how long it has been since.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line (or per purchase), with a customer id and a
        timestamp (and an amount). Not modified.
    customer_col, time_col : str
        Column names. Timestamps may be datetimes or parseable strings, all
        naive or all time-zone-aware.
    amount_col : str or None, default="amount"
        Column with the amount: rows with a negative amount are returns, not
        purchases (as in :func:`rfm_table`). ``None``: every row is a purchase.
    order_col : str or None
        Column with an order id: the rows of one order are one purchase, at the
        time of its earliest row. Without it, the rows of one customer at one
        instant are one purchase.
    as_of : date-like or None
        End of the observation, inclusive. Rows after it are excluded with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp in the log.

    Returns
    -------
    DataFrame
        One row per customer with a purchase at or before ``as_of``, indexed by
        customer id (index named ``customer_col``, sorted), with:

        - ``purchases`` (int): number of purchases (rfm_table's ``frequency``).
        - ``tenure_days`` (float): days from the first purchase to ``as_of``.
        - ``recency_days`` (float): days from the last purchase to ``as_of``.
        - ``median_gap_days`` (float): median of the gaps between consecutive
          purchases (NaN with one purchase).
        - ``median_earlier_gap_days`` (float): median of the gaps before the
          last one, i.e. the rhythm as it stood before the last purchase (NaN
          with fewer than three purchases).
        - ``last_gap_days`` (float): the gap before the last purchase (NaN with
          one purchase).
        - ``longest_earlier_gap_days`` (float): the longest gap before the last
          one (NaN with fewer than three purchases).

        ``purchases``, ``tenure_days`` and ``recency_days`` equal rfm_table's
        ``frequency``, ``tenure_days`` and ``recency_days`` on the same log.

    Notes
    -----
    A *purchase* is what :func:`rfm_table` counts: a distinct order (with
    ``order_col``) or a distinct instant of a customer, with at least one row
    whose amount is >= 0. Two purchases on one day at different times are two
    purchases and their gap is a fraction of a day; pass dates (or floor the
    timestamps to days) to count purchase days instead. Customers with only
    returns are left out with a warning that counts them, as in rfm_table.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import lifecycle_table
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-01", "2024-01-11", "2024-01-21", "2024-03-21", "2024-03-25"]),
    ...     "amount": [10.0, 12.0, 9.0, 30.0, 5.0],
    ... })
    >>> lifecycle_table(tx, as_of="2024-03-31").T
    customer_id                  1     2
    purchases                  4.0   1.0
    tenure_days               90.0   6.0
    recency_days              10.0   6.0
    median_gap_days           10.0   NaN
    median_earlier_gap_days   10.0   NaN
    last_gap_days             60.0   NaN
    longest_earlier_gap_days  10.0   NaN
    """
    log = _prepare(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        order_col=order_col,
        as_of=as_of,
    )
    n = len(log.customers)
    ns = _epoch_ns(log.times)
    as_of_ns = _to_ns(log.as_of)
    bought = log.amounts >= 0 if log.amounts is not None else np.ones(len(ns), dtype=bool)
    codes_b, ns_b = log.codes[bought], ns[bought]
    orders_b = log.orders[bought] if log.orders is not None else None

    p_code, p_ns = _purchases(codes_b, ns_b, orders_b)
    purchases = np.bincount(p_code, minlength=n)
    # rfm_table's first and last purchase: the earliest and latest purchase rows.
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(last, codes_b, ns_b)
    np.minimum.at(first, codes_b, ns_b)
    buyer = purchases > 0

    # Gaps between consecutive purchases of one customer, in time order.
    same = p_code[1:] == p_code[:-1]
    g_code = p_code[1:][same]
    gaps = (p_ns[1:] - p_ns[:-1])[same] / _NS_PER_DAY
    is_last = np.ones(len(g_code), dtype=bool)  # the last gap of each customer
    is_last[:-1] = g_code[1:] != g_code[:-1]
    last_gap = np.full(n, np.nan)
    last_gap[g_code[is_last]] = gaps[is_last]
    earlier_code, earlier = g_code[~is_last], gaps[~is_last]
    longest = np.full(n, -np.inf)
    np.maximum.at(longest, earlier_code, earlier)

    index = _keep_buyers(buyer, log.customers)
    out: pd.DataFrame = pd.DataFrame(
        {
            "purchases": purchases[buyer].astype(np.int64),
            "tenure_days": (as_of_ns - first[buyer]) / _NS_PER_DAY,
            "recency_days": (as_of_ns - last[buyer]) / _NS_PER_DAY,
            "median_gap_days": _group_median(g_code, gaps, n)[buyer],
            "median_earlier_gap_days": _group_median(earlier_code, earlier, n)[buyer],
            "last_gap_days": last_gap[buyer],
            "longest_earlier_gap_days": np.where(np.isinf(longest), np.nan, longest)[buyer],
        },
        index=index,
    )
    return out
