"""Transaction logs → one row per customer: ``rfm_table`` and ``clv_summary``.

Both functions share one preparation step (:func:`_prepare`) that validates the log,
drops rows without a customer id, closes the observation window at ``as_of`` and
factorizes customer ids once; the per-customer reductions are then whole-column
numpy operations over the dense customer codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    as_timestamp,
    check_columns,
    check_frame,
    check_numeric,
    to_datetime,
    warn_excluded,
)
from ..exceptions import DataValidationError

__all__ = ["clv_summary", "rfm_table"]

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class _Log:
    """A validated transaction log, restricted to the observation window."""

    codes: np.ndarray  # dense customer code per row (int64)
    customers: pd.Index  # customer id per code, sorted
    times: pd.Series  # datetime64 per row
    amounts: np.ndarray | None  # float64 per row
    orders: pd.Series | None  # order id per row
    as_of: pd.Timestamp


def _prepare(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    amount_col: str | None,
    order_col: str | None,
    as_of: Any,
    period: str | None = None,
) -> _Log:
    """Validate the log and keep the rows inside the observation window.

    With ``period`` (a pandas frequency), the window closes at the end of the
    period that contains ``as_of`` instead of at ``as_of`` itself.
    """
    check_frame(transactions, name="transactions")
    columns = {"customer_col": customer_col, "time_col": time_col}
    if amount_col is not None:
        columns["amount_col"] = amount_col
    if order_col is not None:
        columns["order_col"] = order_col
    check_columns(transactions, columns, name="transactions")

    ids = transactions[customer_col]
    has_id = ids.notna().to_numpy()
    n_missing = int((~has_id).sum())
    if n_missing:
        warn_excluded(
            n_missing,
            f"rows have no customer id in column {customer_col!r} and were dropped",
        )
        if n_missing == len(transactions):
            raise DataValidationError(
                f"every row has a missing customer id in column {customer_col!r}"
            )
        frame = transactions.loc[has_id]
    else:
        frame = transactions

    times = to_datetime(frame[time_col], column=time_col)
    amounts = check_numeric(frame[amount_col], column=amount_col) if amount_col else None
    orders = frame[order_col] if order_col is not None else None
    if orders is not None and orders.isna().any():
        raise DataValidationError(
            f"column {order_col!r} has {int(orders.isna().sum())} missing order ids; "
            f"fill them or pass order_col=None to count purchases by timestamp"
        )

    stamp = times.max() if as_of is None else as_timestamp(as_of, reference=times)
    cutoff = stamp
    if period is not None:
        cutoff = _period_end(stamp, period)
    inside = (times <= cutoff).to_numpy()
    n_late = int((~inside).sum())
    if n_late:
        warn_excluded(n_late, f"rows are after as_of={stamp} and were excluded")
        if n_late == len(frame):
            raise DataValidationError(
                f"every row of column {time_col!r} is after as_of={stamp}; "
                f"there is nothing to summarise"
            )
        frame = frame.loc[inside]
        times = times.loc[inside]
        amounts = amounts[inside] if amounts is not None else None
        orders = orders.loc[inside] if orders is not None else None

    codes, customers = _customer_codes(frame[customer_col])
    return _Log(
        codes=codes,
        customers=pd.Index(customers, name=customer_col),
        times=times,
        amounts=amounts,
        orders=orders,
        as_of=stamp,
    )


class _CustomerCoder:
    """Dense customer codes (0..n-1, in sorted id order) of a column of ids, on demand.

    Integer ids in a compact range (the usual warehouse surrogate keys) are coded by
    direct indexing, without hashing: a presence mask over ``[min, max]`` and its
    cumulative sum; the codes of only some rows (:meth:`at`) then cost a gather of
    those rows. Other ids go through ``pd.factorize(sort=True)``. Both give the same
    codes. ``ids`` holds the id of each code.
    """

    def __init__(self, ids: pd.Series) -> None:
        values = ids.to_numpy()
        self._offset: np.ndarray | None = None
        self._codes: np.ndarray | None = None
        if values.dtype.kind in "iu" and len(values):
            low, high = int(values.min()), int(values.max())
            span = high - low + 1
            if span <= 2 * len(values) + 1024:
                offset = (values - low).astype(np.intp, copy=False)
                present = np.zeros(span, dtype=bool)
                present[offset] = True
                self._rank = np.cumsum(present, dtype=np.int64) - 1
                self._offset = offset
                self.ids: Any = (np.flatnonzero(present) + low).astype(values.dtype)
                return
        try:
            codes, uniques = pd.factorize(ids, sort=True)
        except TypeError:  # ids of mixed, unorderable types: keep first-seen order
            codes, uniques = pd.factorize(ids, sort=False)
        self._codes = codes.astype(np.int64, copy=False)
        self.ids = uniques

    def all(self) -> np.ndarray:
        """The code of every row (int64)."""
        if self._codes is None:
            assert self._offset is not None
            self._codes = self._rank[self._offset]
            self._offset = None  # the codes replace the offsets: one row-length array
        return self._codes

    def row_keys(self) -> tuple[np.ndarray, int]:
        """An integer per row that is equal exactly for equal ids, and its bound.

        The offsets ``id - min`` for compact integer ids (no dense codes are built),
        otherwise the codes; every value is below the bound.
        """
        if self._codes is None:
            assert self._offset is not None
            return self._offset, len(self._rank)
        return self._codes, len(self.ids)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The codes of the given rows (positions or a boolean mask)."""
        if self._codes is not None:
            picked: np.ndarray = self._codes[rows]
            return picked
        assert self._offset is not None
        codes: np.ndarray = self._rank[self._offset[rows]]
        return codes


def _customer_codes(ids: pd.Series) -> tuple[np.ndarray, Any]:
    """Dense customer codes per row (0..n-1, in sorted id order) and the ids per code."""
    coder = _CustomerCoder(ids)
    return coder.all(), coder.ids


def _instant_keys(
    ns: np.ndarray, codes: np.ndarray, width: np.int64
) -> tuple[np.ndarray, bool] | None:
    """One int64 key per row, equal exactly for rows of one customer at one instant.

    The key is ``instant number * width + customer code``: instants are numbered by
    their run in a time-ordered log, or by their offset from the first instant (in
    the coarsest unit that divides all of them) when that fits in int64; otherwise
    ``None`` (the caller hashes the pairs instead). The flag says whether the keys are
    already sorted but for the order of customers within an instant.
    """
    limit = np.iinfo(np.int64).max // int(width) - 1  # largest instant number that fits
    key = np.zeros(len(ns), dtype=np.int64)
    in_order = bool(np.all(ns[1:] >= ns[:-1]))
    if in_order:
        # The instant changes written as 0/1 into the keys, then summed in place: a
        # cumulative sum of a boolean array would cast it into a row-length temporary.
        np.not_equal(ns[1:], ns[:-1], out=key[1:], casting="unsafe")
        np.cumsum(key[1:], out=key[1:])
    else:
        low, high = int(ns.min()), int(ns.max())
        if high - low > np.iinfo(np.int64).max:  # the offsets themselves overflow
            return None
        np.subtract(ns, low, out=key)
        if high - low >= limit:
            # Dividing by any common divisor keeps distinct instants distinct; a
            # 1024-row probe skips full passes for divisors that cannot work.
            for unit in (86_400 * 10**9, 86_400 * 10**6, 10**9, 10**6, 10**3):
                if not (key[:1024] % unit).any() and not (key % unit).any():
                    key //= unit
                    break
    if int(key.max()) >= limit:
        return None
    key *= width
    key += codes
    return key, in_order


def _count_purchases(
    codes: np.ndarray, ns: np.ndarray, orders: pd.Series | None, n: int
) -> np.ndarray:
    """Number of distinct (customer, order) or (customer, instant) pairs per customer.

    Rows must be the purchase rows. Without ``orders`` the (instant, customer) pairs are
    packed into int64 keys and sorted; with ``orders`` (or keys that would overflow)
    they are hashed, which is several times slower on large logs.
    """
    width = np.int64(max(n, 1))
    packed = _instant_keys(ns, codes, width) if orders is None and len(ns) > 1 else None
    if packed is not None:
        key, in_order = packed
        # Nearly sorted keys: timsort's run detection; random keys: numpy's SIMD sort.
        key.sort(kind="stable" if in_order else "quicksort")
        repeat = np.equal(key[1:], key[:-1])
        total: np.ndarray = np.bincount(codes, minlength=n)
        if repeat.any():
            total -= np.bincount(key[1:][repeat] % width, minlength=n)
        return total
    second = np.asarray(orders) if orders is not None else ns
    second_codes, second_uniques = pd.factorize(second)
    width = np.int64(max(len(second_uniques), 1))
    unique_pairs = pd.unique(codes * width + second_codes)
    counts: np.ndarray = np.bincount(unique_pairs // width, minlength=n)
    return counts


def _period_end(stamp: pd.Timestamp, period: str) -> pd.Timestamp:
    """Return the last instant of the ``period`` that contains ``stamp``."""
    naive = stamp.tz_localize(None) if stamp.tz is not None else stamp
    end = pd.Period(naive, freq=period).end_time
    return end.tz_localize(stamp.tz) if stamp.tz is not None else end


def _keep_buyers(buyer: np.ndarray, customers: pd.Index) -> pd.Index:
    """Warn about customers without any purchase in the window and return the rest."""
    n_without = int((~buyer).sum())
    warn_excluded(
        n_without,
        "customers have rows in the window but no purchase (only negative amounts, i.e. "
        "returns) and were left out of the table",
        stacklevel=3,
    )
    if n_without == len(customers):
        raise DataValidationError(
            "no customer has a purchase (a row with amount >= 0) in the window"
        )
    kept: pd.Index = customers[buyer]
    return kept


@frame_boundary("transactions")
def rfm_table(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str = "amount",
    order_col: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Summarise a transaction log into recency, frequency and monetary value per customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line (or per purchase), with a customer id, a
        timestamp and an amount. Not modified.
    customer_col, time_col, amount_col : str
        Column names. Timestamps may be datetimes or parseable strings, all naive
        or all time-zone-aware (mixing them is an error).
    order_col : str or None
        Column with an order (invoice) id. Rows of one order count as one
        purchase. Without it, rows of one customer at the same instant count as
        one purchase.
    as_of : date-like or None
        End of the observation window, inclusive. Rows after it are excluded with
        a :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp in the data.

    Returns
    -------
    DataFrame
        One row per customer who made at least one purchase in the window,
        indexed by customer id (index named ``customer_col``, sorted), with:

        - ``recency_days`` (float): days from the last purchase to ``as_of``
          (small = recent). *Not* the ``recency`` of :func:`clv_summary`, which is
          the customer's age at the last repeat purchase.
        - ``frequency`` (int): number of purchases.
        - ``monetary`` (float): total net spend, returns included.
        - ``avg_order_value`` (float): ``monetary / frequency``.
        - ``tenure_days`` (float): days from the first purchase to ``as_of``.

    Notes
    -----
    - A *purchase* is a distinct order (or instant) with at least one row whose
      amount is >= 0. Zero-amount rows are purchases (free orders exist: CDNOW
      has customers whose only purchase cost $0).
    - Negative amounts are returns: they are netted into ``monetary`` but are
      not purchases and move neither recency nor tenure. A customer with only
      returns in the window is left out, with a warning that counts them.
    - Rows with a missing customer id are dropped with a warning that counts
      them. Missing timestamps or amounts are errors.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import rfm_table
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05", "2024-01-05"]),
    ...     "amount": [10.0, 30.0, 5.0, -2.0],
    ... })
    >>> rfm_table(tx, as_of="2024-01-31")
                 recency_days  frequency  monetary  avg_order_value  tenure_days
    customer_id
    1                    20.0          2      40.0             20.0         30.0
    2                    26.0          1       3.0              3.0         26.0
    """
    log = _prepare(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        order_col=order_col,
        as_of=as_of,
    )
    assert log.amounts is not None
    n = len(log.customers)
    # Times stay in the column's own unit (no copy); per-customer spans are scaled to
    # nanoseconds exactly (int64) before dividing, as pandas' Timedelta arithmetic does.
    ns, step = _epoch_ticks(log.times)
    as_of_ns = _to_ns(log.as_of)
    if as_of_ns % step:  # as_of is finer than the column's unit: count in nanoseconds
        ns, step = _epoch_ns(log.times), 1
    else:
        as_of_ns //= step

    bought = log.amounts >= 0
    all_bought = bool(bought.all())
    codes_b = log.codes if all_bought else log.codes[bought]
    ns_b = ns if all_bought else ns[bought]
    # One purchase = one distinct (customer, order) or (customer, instant) pair.
    orders_b = log.orders[bought] if log.orders is not None else None
    frequency = _count_purchases(codes_b, ns_b, orders_b, n)

    monetary = np.bincount(log.codes, weights=log.amounts, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(last, codes_b, ns_b)
    np.minimum.at(first, codes_b, ns_b)
    if (as_of_ns - int(first.min())) * step > np.iinfo(np.int64).max:
        raise DataValidationError(
            f"column {time_col!r}: purchases start {pd.Timestamp(int(first.min()) * step)} "
            f"more than 292 years before as_of={log.as_of}; day counts in nanoseconds "
            f"would overflow. Check for mistyped years or drop those rows"
        )

    buyer = frequency > 0
    index = _keep_buyers(buyer, log.customers)
    frequency = frequency[buyer]
    monetary = monetary[buyer]
    out: pd.DataFrame = pd.DataFrame(
        {
            "recency_days": ((as_of_ns - last[buyer]) * step) / _NS_PER_DAY,
            "frequency": frequency.astype(np.int64),
            "monetary": monetary,
            "avg_order_value": monetary / frequency,
            "tenure_days": ((as_of_ns - first[buyer]) * step) / _NS_PER_DAY,
        },
        index=index,
    )
    return out


def _epoch_ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch per row (UTC for aware times, wall time for naive)."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _epoch_ticks(times: pd.Series) -> tuple[np.ndarray, int]:
    """Ticks since the epoch in the column's own unit (a view, no copy), and ns per tick.

    UTC for aware times, wall time for naive ones.
    """
    if times.dt.tz is not None:
        times = times.dt.tz_convert(None)
    values = times.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    step = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}.get(unit)
    if step is None:  # an unusual unit: fall back to nanoseconds
        return _epoch_ns(times), 1
    return values.view(np.int64), step


def _to_ns(stamp: pd.Timestamp) -> int:
    """Nanoseconds since the epoch (UTC for aware stamps, wall time for naive ones)."""
    if stamp.tz is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.as_unit("ns").value)


def _period_ordinals(times: pd.Series, freq: str) -> np.ndarray:
    """pandas period ordinals of ``freq`` per row, cut in local (wall) time.

    Daily periods of naive times are computed directly (floor of the epoch ticks by
    one day, in the column's own unit: the ``"D"`` ordinal); other cases go through
    ``Series.dt.to_period``.
    """
    if freq == "D" and times.dt.tz is None:
        ticks, step = _epoch_ticks(times)
        if _NS_PER_DAY % step == 0:
            days: np.ndarray = np.floor_divide(ticks, _NS_PER_DAY // step)
            return days
    local = times.dt.tz_localize(None) if times.dt.tz is not None else times
    ordinals: np.ndarray = local.dt.to_period(freq).array.asi8
    return ordinals


def _period_groups(
    codes: np.ndarray, periods: np.ndarray, amounts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (customer, period) groups: code, period, value (sum of its rows in row
    order) and whether it holds a purchase (a row with amount >= 0).

    Groups come in (customer, period) or (period, customer) order, so a customer's
    groups are in time order: the rows are ordered by sorting one int64 key per row,
    ``group key * n_rows + row number`` (several times cheaper than an argsort, and
    the rows of a group keep their order). Keys that would overflow int64 fall back to
    hashing the group keys (groups in order of first appearance).
    """
    n_rows = len(codes)
    low = int(periods.min())
    span = int(periods.max()) - low + 1
    if n_rows and max(n, 1) * span * n_rows < np.iinfo(np.int64).max:
        # Built in place: this runs on the whole log, so every row-sized copy counts.
        in_order = bool(np.all(periods[1:] >= periods[:-1]))
        key = periods - low
        if in_order:  # period-major: the keys are already sorted but within periods
            key *= max(n, 1)
            key += codes
        else:
            key += codes * np.int64(span)
        key *= n_rows
        chunk = 1 << 20
        for begin in range(0, n_rows, chunk):  # + row number, without a row-sized arange
            end = min(begin + chunk, n_rows)
            key[begin:end] += np.arange(begin, end, dtype=np.int64)
        key.sort(kind="stable" if in_order else "quicksort")
        sorted_amounts = amounts[key % n_rows]
        key //= n_rows  # the group key of each sorted row
        start = np.ones(n_rows, dtype=bool)
        np.not_equal(key[1:], key[:-1], out=start[1:])
        first_rows = np.flatnonzero(start)
        keys = key[first_rows]
        del key
        group = np.cumsum(start, dtype=np.int64)
        group -= 1
        if in_order:
            g_code, g_period = keys % max(n, 1), keys // max(n, 1) + low
        else:
            g_code, g_period = keys // span, keys % span + low
        g_value = np.bincount(group, weights=sorted_amounts, minlength=len(keys))
        g_purchase = np.logical_or.reduceat(sorted_amounts >= 0, first_rows)
        return g_code, g_period, g_value, g_purchase
    offset = periods - low
    group, hashed = pd.factorize(codes * np.int64(span) + offset)
    g_value = np.bincount(group, weights=amounts, minlength=len(hashed))
    g_purchase = np.bincount(group, weights=amounts >= 0, minlength=len(hashed)) > 0
    return hashed // span, hashed % span + low, g_value, g_purchase


@frame_boundary("transactions")
def clv_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str | None = "amount",
    as_of: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1.0,
) -> pd.DataFrame:
    """Summarise a transaction log in the buy-till-you-die convention (BG/NBD, Gamma-Gamma).

    Gives the same numbers as lifetimes' ``summary_data_from_transaction_data``
    with the same arguments: purchases in the same period (``freq``) merge into
    one, time is counted in periods from each customer's first purchase and
    divided by ``freq_multiplier``.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line, with a customer id and a timestamp (and an
        amount for ``monetary_value``). Not modified.
    customer_col, time_col : str
        Column names.
    amount_col : str or None
        Column with the purchase value; ``None`` leaves out ``monetary_value``.
    as_of : date-like or None
        End of the calibration period. The whole period (``freq``) that contains
        it is included; later rows are excluded with a warning that counts them.
        Default: the last timestamp in the data.
    freq : str
        pandas period alias at which purchases merge and time is measured
        (``"D"`` days, ``"W"`` weeks, ``"M"`` months, ...).
    freq_multiplier : float
        Divides every time, e.g. ``freq="D", freq_multiplier=7`` measures time in
        weeks while merging purchases by day (the CDNOW convention).

    Returns
    -------
    DataFrame
        One row per customer with a purchase in the window, indexed by customer
        id (sorted), with:

        - ``frequency`` (int): number of *repeat* purchase periods (the first
          purchase is not counted).
        - ``recency`` (float): the customer's *age* at the last repeat purchase,
          i.e. time from the first to the last purchase (0 when frequency is 0).
          Large = recent: the opposite of rfm_table's ``recency_days``.
        - ``T`` (float): the customer's age at ``as_of``.
        - ``monetary_value`` (float): mean value of the repeat purchase periods
          (period values summed first, the first purchase excluded); 0 for
          one-time buyers.

    Notes
    -----
    Negative amounts (returns) are netted into the period they fall in; a
    period with only negative rows is not a purchase. Time-zone-aware
    timestamps are cut into periods in their own (local) time zone.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import clv_summary
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-10"]),
    ...     "amount": [10.0, 5.0, 20.0, 8.0],
    ... })
    >>> clv_summary(tx, as_of="2024-01-29", freq_multiplier=7)
                 frequency  recency    T  monetary_value
    customer_id
    1                    1      2.0  4.0            20.0
    2                    0      0.0  2.7             0.0
    """
    if not (isinstance(freq_multiplier, (int, float)) and np.isfinite(freq_multiplier)) or (
        freq_multiplier <= 0
    ):
        raise ValueError(f"freq_multiplier={freq_multiplier!r} must be a positive number")
    try:
        pd.Period("2000-01-01", freq=freq)
    except (ValueError, TypeError) as err:
        raise ValueError(f"freq={freq!r} is not a pandas period alias such as 'D' or 'W'") from err
    log = _prepare(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        order_col=None,
        as_of=as_of,
        period=freq,
    )
    n = len(log.customers)
    periods = _period_ordinals(log.times, freq)
    stamp = log.as_of.tz_localize(None) if log.as_of.tz is not None else log.as_of
    as_of_period = pd.Period(stamp, freq=freq).ordinal

    # One group per (customer, period); its value is the sum of all its rows.
    amounts = log.amounts if log.amounts is not None else np.zeros(len(log.codes))
    g_code, g_period, g_value, g_purchase = _period_groups(log.codes, periods, amounts, n)

    p_code = g_code[g_purchase]
    p_period = g_period[g_purchase]
    p_value = g_value[g_purchase]
    count = np.bincount(p_code, minlength=n)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, p_code, p_period)
    np.maximum.at(last, p_code, p_period)
    repeat = p_period != first[p_code]
    repeat_value = np.bincount(p_code[repeat], weights=p_value[repeat], minlength=n)

    buyer = count > 0
    index = _keep_buyers(buyer, log.customers)
    frequency = (count[buyer] - 1).astype(np.int64)
    first, last = first[buyer], last[buyer]
    data: dict[str, np.ndarray] = {
        "frequency": frequency,
        "recency": (last - first) / freq_multiplier,
        "T": (as_of_period - first) / freq_multiplier,
    }
    if amount_col is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_repeat = repeat_value[buyer] / frequency
        data["monetary_value"] = np.where(frequency > 0, mean_repeat, 0.0)
    out: pd.DataFrame = pd.DataFrame(data, index=index)
    return out
