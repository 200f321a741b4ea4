"""Transaction logs → each customer's buying rhythm: ``lifecycle_table``.

The log goes through rfm_table's preparation step (:func:`._transactions._prepare`),
so a *purchase* means exactly what it means there. Everything per customer then comes
from two sorts of packed int64 keys (``customer code × width + value``), with no
argsort (``np.lexsort`` only where such keys would overflow int64): one puts the
purchases of every customer in time order (their count, first and last purchase, and
the gaps between consecutive ones), the other puts the gaps of every customer in order
of size, so that the medians, and the largest gap before the last one, are read at
computed positions from the group starts.
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
_CHUNK = 1 << 20  # rows per slice where a row-length temporary is avoided
_GAP_COLUMNS = (
    "median_gap_days",
    "median_earlier_gap_days",
    "last_gap_days",
    "longest_earlier_gap_days",
)

#: Units tried, coarsest first, when packed keys in the time column's own unit would
#: overflow int64 (in nanoseconds: day, hour, minute, second, millisecond, microsecond).
_UNITS_NS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)


def _coarsest_unit(ticks: np.ndarray, step: int) -> int:
    """The coarsest unit of ``_UNITS_NS`` that divides every tick, in ticks (1 if none).

    ``step`` is the number of nanoseconds per tick. A 1024-row probe rules most units
    out; the full check runs in slices (no row-length temporary) and stops at the
    first slice with a remainder.
    """
    for unit_ns in _UNITS_NS:
        if unit_ns <= step or unit_ns % step:
            continue
        unit = unit_ns // step
        if not (ticks[:1024] % unit).any() and not any(
            (ticks[begin : begin + _CHUNK] % unit).any() for begin in range(0, len(ticks), _CHUNK)
        ):
            return unit
    return 1


def _packed_purchases(
    codes: np.ndarray, ticks: np.ndarray, unit: int, low: int, width: int, *, distinct: bool
) -> np.ndarray:
    """The keys ``code * width + ticks // unit - low`` of the purchases, sorted.

    Built in place in ``codes`` (overwritten), adding the times slice by slice; the
    caller has checked that the keys fit in int64. With ``distinct``, repeated keys
    (rows of one customer at one instant) are kept once.
    """
    key = codes
    key *= width
    for begin in range(0, len(key), _CHUNK):
        offset = ticks[begin : begin + _CHUNK] // unit
        offset -= low
        key[begin : begin + _CHUNK] += offset
    key.sort()
    if distinct:
        repeated = key[1:] == key[:-1]
        if repeated.any():
            key = key[np.concatenate(([True], ~repeated))]
    return key


def _lexsorted_purchases(
    codes: np.ndarray, times: np.ndarray, *, distinct: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Codes and times of the purchases sorted by customer, then time (``np.lexsort``:
    for times too wide to pack with the customer code in one int64)."""
    order = np.lexsort((times, codes))
    code, time = codes[order], times[order]
    del order
    if distinct:
        keep = np.concatenate(([True], (time[1:] != time[:-1]) | (code[1:] != code[:-1])))
        code, time = code[keep], time[keep]
    return code, time


def _gap_columns(
    sorted_gaps: np.ndarray,
    origin: np.ndarray,
    g_code: np.ndarray | None,
    n_gaps: np.ndarray,
    last_gap: np.ndarray,
    ns_per_unit: int,
) -> dict[str, np.ndarray]:
    """The gap columns of every customer code (NaN where the gaps do not exist).

    ``sorted_gaps`` holds each customer's gaps in order of size, customer after
    customer (``n_gaps`` of them): the gap of customer ``c`` is ``sorted_gaps[i] -
    origin[c]``; ``g_code`` is None when the packed gaps are in order across customers
    too, else the customer code of each gap. ``last_gap`` is the gap before the last
    purchase of each customer with a gap. Gaps are in units of ``ns_per_unit``.
    """
    n = len(n_gaps)
    start = np.cumsum(n_gaps) - n_gaps  # each customer's first gap in sorted_gaps

    def days(ranks: np.ndarray, first: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Days of the gaps at ``ranks`` (in order of size) from positions ``first``."""
        ns: np.ndarray = (sorted_gaps[first + ranks] - base) * ns_per_unit
        return ns / _NS_PER_DAY

    columns = {name: np.full(n, np.nan) for name in _GAP_COLUMNS}
    repeat = n_gaps >= 1
    k, first, base = n_gaps[repeat], start[repeat], origin[repeat]
    median = (days((k - 1) // 2, first, base) + days(k // 2, first, base)) / 2.0
    columns["median_gap_days"][repeat] = median
    columns["last_gap_days"][repeat] = last_gap * ns_per_unit / _NS_PER_DAY
    # The gaps before the last one are the sorted gaps without one copy of the last
    # gap, the first at or above it (rank ``skip``): ranks from ``skip`` on move up one.
    earlier = n_gaps >= 2
    k, first, base = n_gaps[earlier], start[earlier], origin[earlier]
    final = last_gap[earlier[repeat]]
    if g_code is None:
        skip = np.searchsorted(sorted_gaps, base + final) - first
    else:  # count each customer's gaps below the last one
        final_by_code = np.zeros(n, dtype=np.int64)
        final_by_code[earlier] = final
        skip = np.bincount(g_code[sorted_gaps < final_by_code[g_code]], minlength=n)[earlier]
    low, high, top = (k - 2) // 2, (k - 1) // 2, k - 2
    low += low >= skip
    high += high >= skip
    top += top >= skip
    median = (days(low, first, base) + days(high, first, base)) / 2.0
    columns["median_earlier_gap_days"][earlier] = median
    columns["longest_earlier_gap_days"][earlier] = days(top, first, base)
    return columns


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

    # Times are counted in the coarsest unit that keeps (customer, time) keys in int64.
    low, high = int(ticks.min()), int(ticks.max())
    unit = 1 if n * (high - low + 1) <= _INT64_MAX else _coarsest_unit(ticks, step)
    ns_per_unit = unit * step
    low, width = low // unit, high // unit - low // unit + 1
    latest: np.ndarray | None = None  # with orders: rfm_table's latest purchase row
    if orders is not None:
        # A purchase is a distinct (customer, order) pair, at its earliest purchase row.
        times = ticks // unit
        order_codes, uniques = pd.factorize(orders.to_numpy())
        n_orders = np.int64(max(len(uniques), 1))
        pairs, inverse = np.unique(codes * n_orders + order_codes, return_inverse=True)
        ticks = np.full(len(pairs), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(ticks, inverse.ravel(), times)
        latest = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(latest, codes, times)
        codes, unit = pairs // n_orders, 1  # the pairs' times are in units already
        del times, order_codes, uniques, pairs, inverse

    # The purchases by customer, then time: ``key`` grows with the time within a
    # customer, ``key - origin[code]`` is the time (from ``low``).
    packed = n * width <= _INT64_MAX
    if packed:  # the row codes are not needed after this: the keys overwrite them
        key = _packed_purchases(codes, ticks, unit, low, width, distinct=orders is None)
        del codes
        p_code = key // width
        origin = np.arange(n, dtype=np.int64) * width
    else:
        p_code, key = _lexsorted_purchases(codes, ticks // unit - low, distinct=orders is None)
        del codes
        origin = np.zeros(n, dtype=np.int64)
    del ticks, orders
    purchases = np.bincount(p_code, minlength=n)
    buyer = purchases > 0
    ends = np.cumsum(purchases) - 1  # position of each customer's last purchase
    first = key[(ends - purchases + 1)[buyer]] - origin[buyer] + low
    last = key[ends[buyer]] - origin[buyer] + low if latest is None else latest[buyer]
    n_gaps = np.maximum(purchases - 1, 0)  # gaps between consecutive purchases
    repeat = n_gaps >= 1
    last_gap = key[ends[repeat]] - key[ends[repeat] - 1]

    # The gaps by customer, then size. Gap keys ``code * width + gap`` (``width`` larger
    # than any gap) are written over the codes: the gap before purchase i is key[i] -
    # key[i - 1] when purchase i - 1 is the same customer's (other positions are left
    # out; subtracting first keeps the kept ones inside int64 all along).
    same = p_code[1:] == p_code[:-1]
    if not packed:  # the widest gap decides whether gap keys fit
        width = int(np.diff(key).max(where=same, initial=0)) + 1
    g_code: np.ndarray | None = None
    if n * width <= _INT64_MAX:
        p_code *= width
        p_code[1:] -= key[:-1]
        p_code[1:] += key[1:]
        del key
        sorted_gaps = p_code[1:][same]
        del p_code
        sorted_gaps.sort()
        g_origin = np.arange(n, dtype=np.int64) * width
    else:
        gaps = np.diff(key)[same]
        g_code = p_code[1:][same]
        del key, p_code
        order = np.lexsort((gaps, g_code))
        sorted_gaps, g_code = gaps[order], g_code[order]
        g_origin = np.zeros(n, dtype=np.int64)
        del gaps, order
    del same
    gap_columns = _gap_columns(sorted_gaps, g_origin, g_code, n_gaps, last_gap, ns_per_unit)
    del sorted_gaps, g_origin, g_code

    index = _keep_buyers(buyer, customers)
    out: pd.DataFrame = pd.DataFrame(
        {
            "purchases": purchases[buyer].astype(np.int64),
            "tenure_days": (as_of_ns - first * ns_per_unit) / _NS_PER_DAY,
            "recency_days": (as_of_ns - last * ns_per_unit) / _NS_PER_DAY,
            **{name: column[buyer] for name, column in gap_columns.items()},
        },
        index=index,
    )
    return out
