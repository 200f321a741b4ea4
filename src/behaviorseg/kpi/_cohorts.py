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
    """pandas period ordinal of ``period`` per row, in local time."""
    local = _local(times)
    if period in _NUMPY_UNITS:
        unit, shift, step = _NUMPY_UNITS[period]
        values = local.to_numpy(dtype="datetime64[ns]").astype(f"datetime64[{unit}]")
        ordinals: np.ndarray = values.view(np.int64)
        if step > 1:
            ordinals = (ordinals + shift) // step + (1 if period == "W" else 0)
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


def _distinct(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """The distinct values of ``keys`` (ints in ``[0, n_keys)``), in any order.

    A mark per possible key when there are not many more keys than rows (no hashing,
    no sort), a hash otherwise.
    """
    if n_keys <= 8 * len(keys) + 1024:
        seen = np.zeros(n_keys, dtype=bool)
        seen[keys] = True
        found: np.ndarray = np.flatnonzero(seen)
        return found
    out: np.ndarray = pd.unique(keys)
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
    vectorised: one period ordinal per row, the distinct (customer, period)
    pairs by hashing one int64 key, and the counts per (cohort, offset) by
    ``np.bincount``; there is no loop over customers or cohorts.

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
    stamp, times, codes, customers = log.as_of, log.times, log.codes, log.customers
    last = int(_ordinals(pd.Series([stamp]), freq)[0])
    row_period = _ordinals(times, freq)

    if isinstance(acquisition, pd.Series):
        acquired_ids, cohort_of = _acquisition_series(acquisition, times=times, period=freq)
        position = acquired_ids.get_indexer(customers)  # per customer of the log
        unknown = position[codes] < 0
        if unknown.any():
            warn_excluded(
                int((position < 0).sum()),
                f"customers of transactions are not in acquisition (their {int(unknown.sum())} "
                f"rows are ignored); add their acquisition dates to count them",
            )
        codes, row_period = position[codes][~unknown], row_period[~unknown]
        customers = acquired_ids
    elif isinstance(acquisition, str):
        dates = to_datetime(log.frame[acquisition], column=acquisition)
        ns = _local(dates).to_numpy(dtype="datetime64[ns]").view(np.int64)
        bounds = pd.DataFrame({"ns": ns}).groupby(codes)["ns"].agg(["min", "max"])
        several = (bounds["min"] != bounds["max"]).to_numpy()
        if several.any():
            raise DataValidationError(
                f"column {acquisition!r} (acquisition) holds several dates for "
                f"{int(several.sum())} customers (e.g. {customers[several][0]!r}); it must "
                f"repeat each customer's one acquisition date, e.g. "
                f"df.groupby({customer_col!r})[{acquisition!r}].transform('min')"
            )
        first_row = np.unique(codes, return_index=True)[1]
        cohort_of = np.empty(len(customers), dtype=np.int64)
        cohort_of[codes[first_row]] = _ordinals(dates.iloc[first_row], freq)
    codes = np.asarray(codes, dtype=np.int64)

    # One int64 key per row, (customer, period): each distinct key is one customer
    # active in one period. Hashing it is the only pass over the rows.
    low = int(row_period.min()) if len(row_period) else last
    span = last - low + 1
    pairs = _distinct(codes * np.int64(span) + (row_period - low), len(customers) * span)
    pair_codes = pairs // span
    pair_period = pairs % span + low
    if acquisition is None:  # the period of the first transaction
        cohort_of = np.full(len(customers), last, dtype=np.int64)
        np.minimum.at(cohort_of, pair_codes, pair_period)
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
    offset = pair_period - cohort_of[pair_codes]
    keep = ~late[pair_codes] & (offset >= 0)
    if not keep.all():
        early = (row_period < cohort_of[codes]) & ~late[codes]
        warn_excluded(
            int(early.sum()),
            "rows are activity before the customer's acquisition period and were ignored",
        )
    acquired = cohort_of[~late]
    first, final = int(acquired.min()), int(acquired.max())
    n_cohorts = final - first + 1
    n_offsets = last - first + 1
    cells = (cohort_of[pair_codes[keep]] - first) * n_offsets + offset[keep]
    active = np.bincount(cells, minlength=n_cohorts * n_offsets).reshape(n_cohorts, n_offsets)
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
