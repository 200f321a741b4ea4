"""Cohort retention: customers grouped by acquisition period, active in each later period."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import to_datetime, warn_excluded
from ..exceptions import DataValidationError, SchemaError
from ..summaries._events import _prepare_events
from ._common import _safe_divide

__all__ = ["cohort_retention"]

#: The (customer, period) pairs are marked in a bitmap when it takes at most this many
#: bytes per row (plus ``_BITMAP_MIN_BYTES``); beyond, their packed keys are sorted.
_BITMAP_BYTES_PER_ROW = 8
_BITMAP_MIN_BYTES = 1024

# Periods whose pandas ordinals numpy computes directly from datetime64 (days since
# 1970-01-01, weeks ending on Sunday, months since 1970-01, quarters = months // 3,
# years since 1970): (unit, shift, step) with ordinal = (ticks + shift) // step (+ 1
# for weeks, whose ordinal 1 is the week of 1970-01-01).
_NUMPY_UNITS = {
    "D": ("D", 0, 1),
    "W": ("D", 3, 7),
    "M": ("M", 0, 1),
    "Q": ("M", 0, 3),
    "Y": ("Y", 0, 1),
}


def _check_period(period: object) -> str:
    """Return ``period`` if pandas reads it as a period alias, else raise naming it."""
    if not isinstance(period, str):
        raise TypeError(
            f"cohort_retention: period={period!r} must be a pandas period alias such as "
            f"'W', 'M', 'Q' or 'Y'"
        )
    try:
        pd.Period("2024-01-01", freq=period)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"cohort_retention: period={period!r} is not a pandas period alias ({err}); pass "
            f"e.g. 'D', 'W', 'M', 'Q' or 'Y'"
        ) from err
    return period


def _local(times: pd.Series) -> pd.Series:
    """Wall-clock times: periods follow the local calendar of aware timestamps."""
    return times.dt.tz_localize(None) if times.dt.tz is not None else times


def _ordinals(times: pd.Series, period: str) -> np.ndarray:
    """pandas period ordinal of ``period`` per row, in local time (a fresh array).

    For D, W, M, Q and Y numpy casts the times from their own unit straight to days,
    months or years (flooring, as periods do, before 1970 too), and the week and
    quarter arithmetic is done in place: one row-length array in all.
    """
    local = _local(times)
    if period in _NUMPY_UNITS:
        unit, shift, step = _NUMPY_UNITS[period]
        values = local.to_numpy().astype(f"datetime64[{unit}]")
        ordinals: np.ndarray = values.view(np.int64)
        if step > 1:
            ordinals += shift
            ordinals //= step
            if period == "W":
                ordinals += 1
        return ordinals
    out: np.ndarray = local.dt.to_period(period).array.asi8
    return out


def _periods(ordinals: np.ndarray, period: str) -> pd.PeriodIndex:
    """The Periods of ``ordinals`` (a handful of distinct values), without a loop."""
    low = int(ordinals.min()) if len(ordinals) else 0
    span = int(ordinals.max()) - low + 1 if len(ordinals) else 1
    calendar = pd.period_range(start=pd.Period(ordinal=low, freq=period), periods=span)
    out: pd.PeriodIndex = calendar[np.asarray(ordinals, dtype=np.int64) - low]
    return out


def _acquisition_series(
    acquisition: pd.Series, *, times: pd.Series, period: str
) -> tuple[pd.Index, np.ndarray]:
    """Customers and their acquisition period ordinals from a Series indexed by customer."""
    if acquisition.index.has_duplicates:
        raise DataValidationError(
            f"acquisition has {int(acquisition.index.duplicated().sum())} duplicated customer "
            f"ids in its index; give one acquisition date per customer"
        )
    dates = to_datetime(acquisition, column="acquisition")
    if (dates.dt.tz is None) != (times.dt.tz is None):
        raise SchemaError(
            "acquisition and the transaction timestamps mix time-zone-aware and naive "
            "datetimes; localise one or convert the other first"
        )
    return acquisition.index, _ordinals(dates, period)


def _distinct_pairs(keys: np.ndarray, n_customers: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (customer, period) keys ``customer * span + period``, sorted, and the
    number of them per customer.

    A mark per possible key when the marks take at most ``_BITMAP_BYTES_PER_ROW``
    bytes per row (no hashing, no sort); otherwise ``keys`` are sorted in place and
    the first of each run is kept (no hash table either).
    """
    if n_customers * span <= _BITMAP_BYTES_PER_ROW * len(keys) + _BITMAP_MIN_BYTES:
        seen = np.zeros((n_customers, span), dtype=bool)
        seen.ravel()[keys] = True
        per_customer: np.ndarray = np.count_nonzero(seen, axis=1)
        found: np.ndarray = np.flatnonzero(seen)
        return found, per_customer
    keys.sort()
    first = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    distinct: np.ndarray = keys[first]
    del first
    bounds = np.searchsorted(distinct, np.arange(n_customers + 1, dtype=np.int64) * span)
    return distinct, np.diff(bounds)


def _acquisition_column(
    dates: pd.Series, codes: np.ndarray, customers: pd.Index, *, column: str, customer_col: str
) -> np.ndarray:
    """Per customer code, the local acquisition time repeated on each of its rows.

    The earliest and latest date of each customer are compared in the column's own
    unit (``minimum.at``/``maximum.at``, no sort, no groupby); several dates for one
    customer are an error.
    """
    local = _local(dates).to_numpy()
    ticks = local.view(np.int64)
    low = np.full(len(customers), np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(len(customers), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(low, codes, ticks)
    np.maximum.at(high, codes, ticks)
    several = low != high
    if several.any():
        raise DataValidationError(
            f"column {column!r} (acquisition) holds several dates for "
            f"{int(several.sum())} customers (e.g. {customers[several][0]!r}); it must "
            f"repeat each customer's one acquisition date, e.g. "
            f"df.groupby({customer_col!r})[{column!r}].transform('min')"
        )
    out: np.ndarray = low.view(local.dtype)
    return out


@frame_boundary("transactions")
def cohort_retention(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    period: str = "M",
    as_of: Any = None,
    acquisition: str | pd.Series | None = None,
) -> pd.DataFrame:
    """Cohort retention: the share of each acquisition cohort active in each later period.

    Customers are grouped into **cohorts** by the period of their acquisition
    (by default their first transaction). A customer is **active** in a period
    when they have at least one row of ``transactions`` in it. For cohort ``c``
    and **offset** ``k``, ``share`` = customers of ``c`` active in period
    ``c + k`` / customers of ``c``.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (or any event that counts as activity: filter
        the log first, e.g. keep purchases only). Not modified.
    customer_col, time_col : str
        Column names. Timestamps may be datetimes or parseable strings; periods
        follow the timestamps' own (local) calendar.
    period : str, default="M"
        pandas period alias of the cohorts and offsets: ``"D"``, ``"W"``,
        ``"M"``, ``"Q"``, ``"Y"`` ...
    as_of : date-like or None
        End of the observation, inclusive. Rows after it are excluded with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp. The period that contains ``as_of`` is
        observed only up to ``as_of``: pass the last day of a period for whole
        periods only.
    acquisition : str, Series or None, default=None
        ``None``: a customer is acquired in the period of their first row.
        A column name of ``transactions``: that column holds each customer's
        acquisition date (sign-up, first order ...) on each of their rows (one
        date per customer). A Series of acquisition dates indexed by customer id:
        its customers make the cohorts, also those without any transaction
        (never active); transactions of customers not in it are ignored with a
        warning. Activity before a customer's acquisition period is ignored
        with a warning counting the rows, and customers acquired after
        ``as_of`` are left out with a warning.

    Returns
    -------
    DataFrame
        Tidy: one row per **observed** (cohort, offset) cell, indexed by
        ``("cohort", "offset")`` (the cohort a pandas Period, the offset an int
        from 0), sorted, with:

        - ``period`` (Period): the calendar period ``cohort + offset``.
        - ``cohort_size`` (int): customers acquired in the cohort.
        - ``active`` (int): of them, customers active in ``period``.
        - ``share`` (float): ``active / cohort_size``; NaN for an empty cohort.

        Every cohort from the first to the last acquisition period has a row per
        offset from 0 up to the period of ``as_of`` (a period without
        acquisitions is a cohort of size 0). Cells after ``as_of`` have no row,
        so the matrix ``table["share"].unstack("offset")`` holds NaN there (not
        yet observed), never 0.

    Raises
    ------
    SchemaError
        A column is missing, or acquisition dates and timestamps mix aware and
        naive times.
    DataValidationError
        Missing or unreadable timestamps or acquisition dates, a customer with
        several acquisition dates in the ``acquisition`` column, duplicated ids
        in an ``acquisition`` Series.

    Warns
    -----
    RowsExcludedWarning
        Rows without a customer id, rows after ``as_of``, activity before
        acquisition, customers missing from an ``acquisition`` Series or
        acquired after ``as_of`` (each counted).

    See Also
    --------
    retention_rate : retention between two given periods, per segment.
    behaviorseg.plotting.cohort_heatmap : draws the table.

    Notes
    -----
    With the default acquisition every customer is active in their cohort's
    period, so offset 0 has share 1. Cohort ``c``'s share at offset ``k`` is
    then :func:`retention_rate` of the customers of ``c`` with
    ``base_period=c`` and ``next_period=c + k``. The computation is
    vectorised: one period ordinal per row (cast from the times' own unit),
    the distinct (customer, period) pairs by marking one int64 key per row in
    a bitmap (or, when the bitmap would be large, by sorting the keys; never a
    hash table), and the counts per (cohort, offset) by ``np.bincount``; there
    is no loop over customers or cohorts. Besides the log, it holds about two
    row-length int64 arrays at a time.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import cohort_retention
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 3, 3, 4],
    ...     "timestamp": pd.to_datetime([
    ...         "2024-01-05", "2024-02-10", "2024-03-01", "2024-01-20",
    ...         "2024-02-02", "2024-03-15", "2024-02-28",
    ...     ]),
    ... })
    >>> table = cohort_retention(tx, period="M")
    >>> table
                    period  cohort_size  active  share
    cohort  offset
    2024-01 0      2024-01            2       2    1.0
            1      2024-02            2       1    0.5
            2      2024-03            2       1    0.5
    2024-02 0      2024-02            2       2    1.0
            1      2024-03            2       1    0.5
    >>> table["share"].unstack("offset")
    offset     0    1    2
    cohort
    2024-01  1.0  0.5  0.5
    2024-02  1.0  0.5  NaN
    """
    if acquisition is not None and not isinstance(acquisition, (str, pd.Series)):
        raise TypeError(
            f"acquisition must be None, a column name or a Series of dates indexed by "
            f"customer id, got {type(acquisition).__name__}"
        )
    freq = _check_period(period)
    log = _prepare_events(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={"acquisition": acquisition if isinstance(acquisition, str) else None},
        as_of=as_of,
    )
    stamp, times, customers, codes = log.as_of, log.times, log.customers, log.codes
    acquisition_dates = (
        to_datetime(log.frame[acquisition], column=acquisition)
        if isinstance(acquisition, str)
        else None
    )
    del log  # row-length arrays stay alive only as long as they are used below
    last = int(_ordinals(pd.Series([stamp]), freq)[0])
    row_period = _ordinals(times, freq)

    cohort_of: np.ndarray | None = None  # per customer; None: the first active period
    if isinstance(acquisition, pd.Series):
        acquired_ids, cohort_of = _acquisition_series(acquisition, times=times, period=freq)
        position = acquired_ids.get_indexer(customers)  # per customer of the log
        codes = position[codes]
        unknown = codes < 0
        if unknown.any():
            warn_excluded(
                int((position < 0).sum()),
                f"customers of transactions are not in acquisition (their {int(unknown.sum())} "
                f"rows are ignored); add their acquisition dates to count them",
            )
            codes, row_period = codes[~unknown], row_period[~unknown]
        del unknown
        customers = acquired_ids
    elif acquisition_dates is not None:
        acquired_at = _acquisition_column(
            acquisition_dates,
            codes,
            customers,
            column=str(acquisition),
            customer_col=customer_col,
        )
        cohort_of = _ordinals(pd.Series(acquired_at), freq)
    late = np.zeros(len(customers), dtype=bool)
    if cohort_of is not None:
        late = cohort_of > last
        if late.all():
            raise DataValidationError(
                f"every customer was acquired after as_of={stamp}; there is no cohort to follow"
            )
        if late.any():
            warn_excluded(
                int(late.sum()),
                f"customers were acquired after as_of={stamp} and were left out",
            )
        # Rows of customers acquired after as_of, and activity before acquisition, are
        # dropped row by row, so that every (customer, period) pair left is counted.
        acquired_in = cohort_of[codes]
        early = row_period < acquired_in
        drop = acquired_in > last
        del acquired_in
        early &= ~drop
        warn_excluded(
            int(early.sum()),
            "rows are activity before the customer's acquisition period and were ignored",
        )
        drop |= early
        del early
        if drop.any():
            codes, row_period = codes[~drop], row_period[~drop]
        del drop

    # One int64 key per row, (customer, period relative to the first active one), built
    # in the codes' own buffer (ours alone once the log is gone): each distinct key is
    # one customer active in one period.
    low = int(row_period.min()) if len(row_period) else last
    span = last - low + 1
    row_period -= low
    key = codes if codes.flags.owndata and codes.flags.writeable else codes.copy()
    del codes
    key *= span
    key += row_period
    del row_period
    pairs, per_customer = _distinct_pairs(key, len(customers), span)  # may sort ``key``
    del key
    if cohort_of is None:  # the period of the first transaction: each customer's first pair
        cohort_of = pairs[np.cumsum(per_customer) - per_customer] % span + low
    acquired = cohort_of[~late]
    first, final = int(acquired.min()), int(acquired.max())
    n_cohorts = final - first + 1
    n_offsets = last - first + 1
    # The cell of pair c * span + p is (cohort - first) * n_offsets + (p + low - cohort):
    # the pair plus a shift per customer, added run by run (pairs are sorted by customer).
    customer_shift = (cohort_of - first) * n_offsets + low - cohort_of
    customer_shift -= np.arange(len(customers), dtype=np.int64) * span
    pairs += np.repeat(customer_shift, per_customer)
    active = np.bincount(pairs, minlength=n_cohorts * n_offsets).reshape(n_cohorts, n_offsets)
    del pairs
    sizes = np.bincount(acquired - first, minlength=n_cohorts)

    # The observed cells: offsets 0 .. last - cohort for every cohort.
    observed = last - (first + np.arange(n_cohorts)) + 1
    row_cohort = np.repeat(np.arange(n_cohorts), observed)
    starts = np.cumsum(observed) - observed
    row_offset = np.arange(len(row_cohort)) - np.repeat(starts, observed)
    counts = active[row_cohort, row_offset].astype(np.int64)
    size = sizes[row_cohort].astype(np.int64)
    cohort_ordinals = first + row_cohort
    index = pd.MultiIndex.from_arrays(
        [_periods(cohort_ordinals, freq), row_offset.astype(np.int64)],
        names=["cohort", "offset"],
    )
    out: pd.DataFrame = pd.DataFrame(
        {
            "period": _periods(cohort_ordinals + row_offset, freq),
            "cohort_size": size,
            "active": counts,
            "share": _safe_divide(counts, size),
        },
        index=index,
    )
    return out
