"""Transaction logs → each customer's buying rhythm: ``lifecycle_table``.

The log goes through rfm_table's preparation step (:func:`._transactions._prepare`),
so a *purchase* means exactly what it means there. Everything per customer then comes
from two sorts of packed int64 keys (``customer code × width + value``), no lexsort
and no argsort: one puts the purchases of every customer in time order (their count,
first and last purchase, and the gaps between consecutive ones), the other puts the
gaps of every customer in order of size, so that the medians, and the largest gap
before the last one, are read at computed positions from the group starts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from ._transactions import _NS_PER_DAY, _epoch_ticks, _keep_buyers, _prepare, _to_ns

__all__ = ["LIFECYCLE_STATUSES", "lifecycle_table"]

#: The lifecycle statuses of :class:`~behaviorseg.segmenters.LifecycleSegmenter`, in
#: lifecycle order (also the order of ``segments_``). Kept here, below both the
#: segmenter and the data generator that returns the true status of each customer.
LIFECYCLE_STATUSES: tuple[str, ...] = ("new", "active", "reactivated", "at risk", "lapsed")

_INT64_MAX = int(np.iinfo(np.int64).max)

#: Units tried, coarsest first, when packed keys in the time column's own unit would
#: overflow int64 (in nanoseconds: day, hour, minute, second, millisecond, microsecond).
_UNITS_NS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)


def _coarsest_unit(ticks: np.ndarray, step: int) -> int:
    """The coarsest unit of ``_UNITS_NS`` that divides every tick, in ticks (1 if none).

    ``step`` is the number of nanoseconds per tick. A 1024-row probe rules most units
    out before a full pass.
    """
    for unit_ns in _UNITS_NS:
        if unit_ns <= step or unit_ns % step:
            continue
        unit = unit_ns // step
        if not (ticks[:1024] % unit).any() and not (ticks % unit).any():
            return unit
    return 1


def _by_customer_then_time(
    codes: np.ndarray, times: np.ndarray, low: int, width: int, n: int, *, distinct: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Purchases sorted by customer, then time: ``(code, key, origin)`` per purchase.

    ``times`` lie in ``[low, low + width)`` and ``codes`` below ``n``; the time of a
    purchase is ``key - origin[code] + low``. Keys are ``code * width + time - low``,
    sorted in one pass, when they fit in int64; otherwise the pairs go through
    ``np.lexsort`` and the key is ``time - low``. With ``distinct``, repeated
    (customer, time) pairs are kept once.
    """
    if n * width <= _INT64_MAX:
        key = codes * np.int64(width)
        key += times
        key -= low
        key.sort()
        if distinct:
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        return key // width, key, np.arange(n, dtype=np.int64) * width
    order = np.lexsort((times, codes))
    code, key = codes[order], times[order] - low
    del order
    if distinct:
        keep = np.concatenate(([True], (key[1:] != key[:-1]) | (code[1:] != code[:-1])))
        code, key = code[keep], key[keep]
    return code, key, np.zeros(n, dtype=np.int64)


def _sorted_gaps(
    p_code: np.ndarray, gaps: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The gaps of every customer in order of size, grouped by customer code.

    ``p_code`` and ``gaps`` are the customer code of each purchase in customer, then
    time order and the differences of consecutive purchase times; both are overwritten.
    Returns ``(sorted, origin, g_code)``: the gap at position ``i`` of customer ``c`` is
    ``sorted[i] - origin[c]``. The gaps are packed as ``code * (largest gap + 1) +
    gap`` and sorted in one pass when that fits in int64, and ``g_code`` is None (the
    packed gaps are in order across customers too: ``searchsorted`` finds a customer's
    gap). Otherwise they go through ``np.lexsort`` and ``g_code`` is the customer code
    of each sorted gap.
    """
    same = p_code[1:] == p_code[:-1]  # consecutive purchases of one customer
    width = int(gaps.max(where=same, initial=0)) + 1
    if n * width <= _INT64_MAX:
        p_code *= width  # the codes are not needed any more: scaled in place
        gaps += p_code[1:]
        packed = gaps[same]
        del gaps
        packed.sort()
        return packed, np.arange(n, dtype=np.int64) * width, None
    g_code, g = p_code[1:][same], gaps[same]
    del gaps
    order = np.lexsort((g, g_code))
    return g[order], np.zeros(n, dtype=np.int64), g_code[order]


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
    customers, as_of_ns = log.customers, _to_ns(log.as_of)
    ticks, step = _epoch_ticks(log.times)  # the column's own unit, no copy
    bought = log.amounts >= 0 if log.amounts is not None else None
    if bought is None or bool(bought.all()):
        codes, orders = log.codes, log.orders
    else:
        codes, ticks = log.codes[bought], ticks[bought]
        orders = log.orders[bought] if log.orders is not None else None
    del log, bought  # the row arrays live on only as long as they are used
    if len(codes) == 0:  # nobody bought: the error (and warning) rfm_table gives
        _keep_buyers(np.zeros(n, dtype=bool), customers)

    # Times in the coarsest unit that keeps (customer, time) keys inside int64.
    low, high = int(ticks.min()), int(ticks.max())
    unit = 1 if n * (high - low + 1) <= _INT64_MAX else _coarsest_unit(ticks, step)
    times = ticks if unit == 1 else ticks // unit
    del ticks
    low, high = low // unit, high // unit
    ns_per_unit = unit * step

    latest: np.ndarray | None = None
    if orders is not None:
        # A purchase is a distinct (customer, order) pair, at its earliest purchase row.
        order_codes, uniques = pd.factorize(orders.to_numpy())
        n_orders = np.int64(max(len(uniques), 1))
        pairs, inverse = np.unique(codes * n_orders + order_codes, return_inverse=True)
        start = np.full(len(pairs), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(start, inverse.ravel(), times)
        latest = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)  # rfm_table's last row
        np.maximum.at(latest, codes, times)
        codes, times = pairs // n_orders, start
        del order_codes, uniques, pairs, inverse, start
    p_code, key, origin = _by_customer_then_time(
        codes, times, low, high - low + 1, n, distinct=orders is None
    )
    del codes, times, orders

    purchases = np.bincount(p_code, minlength=n)
    buyer = purchases > 0
    ends = np.cumsum(purchases) - 1  # position of each customer's last purchase
    first = key[(ends - purchases + 1)[buyer]] - origin[buyer] + low
    last = key[ends[buyer]] - origin[buyer] + low if latest is None else latest[buyer]
    # Gaps per customer (purchases - 1 of them), their group starts in the sorted gaps.
    n_gaps = np.maximum(purchases - 1, 0)
    g_start = np.cumsum(n_gaps) - n_gaps
    repeat = n_gaps >= 1
    last_gap = key[ends[repeat]] - key[ends[repeat] - 1]
    gaps = np.diff(key)
    del key
    sorted_gaps, g_origin, g_code = _sorted_gaps(p_code, gaps, n)
    del p_code, gaps

    def at(rank: np.ndarray, who: np.ndarray) -> np.ndarray:
        """Days of the gap of each customer ``who`` at ``rank`` in order of size."""
        picked: np.ndarray = (sorted_gaps[g_start[who] + rank] - g_origin[who]) * ns_per_unit
        return picked / _NS_PER_DAY

    k = n_gaps[repeat]
    median_gap = np.full(n, np.nan)
    median_gap[repeat] = (at((k - 1) // 2, repeat) + at(k // 2, repeat)) / 2.0
    last_gap_days = np.full(n, np.nan)
    last_gap_days[repeat] = last_gap * ns_per_unit / _NS_PER_DAY
    # The gaps before the last one: the sorted gaps without one copy of the last gap,
    # the first at or above it (rank ``skip``): ranks from ``skip`` on move up by one.
    earlier = n_gaps >= 2
    k = n_gaps[earlier]
    final = last_gap[earlier[repeat]]
    if g_code is None:
        skip = np.searchsorted(sorted_gaps, g_origin[earlier] + final) - g_start[earlier]
    else:  # count each customer's gaps below the last one
        final_by_code = np.zeros(n, dtype=np.int64)
        final_by_code[earlier] = final
        skip = np.bincount(g_code[sorted_gaps < final_by_code[g_code]], minlength=n)[earlier]

    def earlier_at(rank: np.ndarray) -> np.ndarray:
        return at(rank + (rank >= skip), earlier)

    median_earlier = np.full(n, np.nan)
    median_earlier[earlier] = (earlier_at((k - 2) // 2) + earlier_at((k - 1) // 2)) / 2.0
    longest = np.full(n, np.nan)
    longest[earlier] = earlier_at(k - 2)

    index = _keep_buyers(buyer, customers)
    out: pd.DataFrame = pd.DataFrame(
        {
            "purchases": purchases[buyer].astype(np.int64),
            "tenure_days": (as_of_ns - first * ns_per_unit) / _NS_PER_DAY,
            "recency_days": (as_of_ns - last * ns_per_unit) / _NS_PER_DAY,
            "median_gap_days": median_gap[buyer],
            "median_earlier_gap_days": median_earlier[buyer],
            "last_gap_days": last_gap_days[buyer],
            "longest_earlier_gap_days": longest[buyer],
        },
        index=index,
    )
    return out
