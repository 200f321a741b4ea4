"""Event logs → sessions: ``split_sessions`` (a session id per event) and ``session_table``.

A session is a run of a customer's events with no inactivity gap longer than ``gap``.
Everything is whole-column numpy on the times in their own unit: ``split_sessions``
puts the rows in (customer, time) order once, by sorting one packed int64 key (much
cheaper than an argsort), then the gaps are a ``diff`` and the session ids a
``cumsum``; ``session_table`` needs no sort: counts, first and last times and owners
are ``bincount`` and ``minimum.at``/``maximum.at`` over dense session codes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    as_duration,
    check_columns,
    check_frame,
    to_datetime,
    warn_excluded,
)
from ..exceptions import DataValidationError, SchemaError
from ._transactions import _customer_codes, _epoch_ticks

__all__ = ["session_table", "split_sessions"]

_INT64_MAX = np.iinfo(np.int64).max
#: ``ufunc.at`` is about as fast as ``np.bincount`` from numpy 1.25 on, tens of times
#: slower before.
_FAST_UFUNC_AT = np.lib.NumpyVersion(np.__version__) >= "1.25.0"
_COPY_ON_WRITE = int(pd.__version__.split(".", 1)[0]) >= 3


def _packed_sort(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A stable argsort of ``keys`` (ints in ``[0, n_keys)``) and the keys in that order.

    Sorts ``key * n + row`` (one int64 per row) by value, which numpy does several
    times faster than an argsort, and splits each packed value back into its key and
    its row number with one ``divmod`` (no gather of the keys). None if the packed
    values would overflow int64.
    """
    n = len(keys)
    if n == 0 or max(n_keys, 1) > (_INT64_MAX - n) // max(n, 1):
        return None
    packed = keys.astype(np.int64, copy=True)
    packed *= n
    packed += np.arange(n, dtype=np.int64)
    packed.sort()
    sorted_keys = np.empty_like(packed)
    np.divmod(packed, n, out=(sorted_keys, packed))
    return packed, sorted_keys


def _time_order(ticks: np.ndarray, step: int) -> np.ndarray | None:
    """Rows in time order (ties in row order); None when the rows already are.

    ``ticks`` count ``step`` nanoseconds. Before packing, the times are counted from
    the first one in the coarsest of seconds, milliseconds, microseconds and ticks
    that all of them are whole in (a 1024-row probe skips the full pass for units
    that cannot divide them all), so that the packed keys fit in int64.
    """
    if len(ticks) < 2 or bool(np.all(ticks[1:] >= ticks[:-1])):
        return None
    shifted = ticks - ticks.min()
    for unit_ns in (10**9, 10**6, 10**3):
        unit = unit_ns // step
        if unit > 1 and not (shifted[:1024] % unit).any() and not (shifted % unit).any():
            shifted //= unit
            break
    packed = _packed_sort(shifted, int(shifted.max()) + 1)
    return np.argsort(ticks, kind="stable") if packed is None else packed[0]


def _customer_time_order(
    codes: np.ndarray, ticks: np.ndarray, step: int, n_customers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in (customer code, time) order (ties keep the row order), and the
    customer code of each row in that order."""
    by_time = _time_order(ticks, step)
    codes_in_time = codes if by_time is None else codes[by_time]
    packed = _packed_sort(codes_in_time, n_customers)
    if packed is None:  # pragma: no cover - more than ~3e9 rows
        order = np.lexsort((ticks, codes))
        return order, codes[order]
    order, sorted_codes = packed
    return (order if by_time is None else by_time[order]), sorted_codes


def _copy_on_write() -> bool:
    """Whether pandas copies on write, so that a shallow copy never writes through."""
    return _COPY_ON_WRITE or pd.get_option("mode.copy_on_write") is True


@frame_boundary("events")
def split_sessions(
    events: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    gap: Any = "30min",
    session_col: str = "session_id",
    number_col: str | None = None,
) -> pd.DataFrame:
    """Split each customer's events into sessions separated by inactivity gaps.

    A customer's first event opens a session; each later event opens a new one
    when the time since the customer's previous event is **strictly greater**
    than ``gap``, and otherwise belongs to the same session. A gap of exactly
    ``gap`` keeps the session going, and events at the same instant are always
    in one session.

    Parameters
    ----------
    events : DataFrame
        One row per event, with a customer id and a timestamp (any other columns
        are carried along). Not modified.
    customer_col, time_col : str
        Column names. Timestamps may be datetimes or parseable strings, all
        naive or all time-zone-aware (gaps are then measured in absolute time).
    gap : str, Timedelta or number of days, default="30min"
        The longest inactivity within a session, e.g. ``"30min"`` (web analytics'
        usual choice) or ``pd.Timedelta(hours=1)``. A bare number is a number of
        **days**, as everywhere in behaviorseg.
    session_col : str, default="session_id"
        Name of the new column with the session id.
    number_col : str or None, default=None
        If given, also add a column of that name numbering each customer's
        sessions in time order: 1 for their first session, 2 for the second ...

    Returns
    -------
    DataFrame
        A copy of ``events`` with the rows and the index in the caller's order
        (nothing is sorted), plus ``session_col`` (int64): a session id unique
        across customers, numbered from 0 in (customer, start time) order, with
        customers sorted by id (in first-seen order when ids cannot be sorted).
        Pass it as ``customer_col`` of an event summary to count per session,
        e.g. ``funnel_table(sessions, stages=..., customer_col="session_id")``.

    Raises
    ------
    SchemaError
        A column is missing, or ``session_col``/``number_col`` already exists
        (pick another name or drop the old column first).
    DataValidationError
        Missing or unreadable timestamps, or no row with a customer id.

    Warns
    -----
    RowsExcludedWarning
        Rows without a customer id are dropped (counted): they belong to nobody's
        session.

    Notes
    -----
    The rows are put in (customer, time) order once with a packed-key sort (a
    log already in time order, as most logs are, skips one of the two sorts);
    the gaps are one ``diff`` and the ids one ``cumsum`` over that order, then
    written back in the caller's row order.

    The returned frame holds the caller's columns and adds new ones, as a
    DataFrame must, without copying them where pandas copies on write (pandas
    >= 3, or ``pd.options.mode.copy_on_write = True``): the copy is then
    shallow and writing to either frame later never changes the other. Older
    pandas without copy-on-write would let a shallow copy write through to the
    caller's data, so there the columns are copied once.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import split_sessions
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 2, 1, 1, 2],
    ...     "timestamp": pd.to_datetime([
    ...         "2024-03-01 09:00", "2024-03-01 09:05", "2024-03-01 09:30",
    ...         "2024-03-01 10:01", "2024-03-02 08:00",
    ...     ]),
    ...     "event": ["home", "home", "product_view", "purchase", "home"],
    ... })
    >>> split_sessions(log, gap="30min", number_col="session_number")
       customer_id           timestamp         event  session_id  session_number
    0            1 2024-03-01 09:00:00          home           0               1
    1            2 2024-03-01 09:05:00          home           2               1
    2            1 2024-03-01 09:30:00  product_view           0               1
    3            1 2024-03-01 10:01:00      purchase           1               2
    4            2 2024-03-02 08:00:00          home           3               2
    """
    check_frame(events, name="events")
    check_columns(events, {"customer_col": customer_col, "time_col": time_col}, name="events")
    delta = as_duration(gap, "gap")
    new_cols = {"session_col": session_col}
    if number_col is not None:
        new_cols["number_col"] = number_col
    for param, col in new_cols.items():
        if not isinstance(col, str):
            raise TypeError(f"{param}={col!r} must be a column name (str)")
        if col in events.columns:
            raise SchemaError(
                f"events already has a column {col!r} ({param}); pass {param}='<new name>' "
                f"or drop the old column first"
            )
    if number_col is not None and number_col == session_col:
        raise ValueError(f"number_col and session_col are both {session_col!r}; name them apart")

    has_id = events[customer_col].notna().to_numpy()
    frame = events
    if not has_id.all():
        n_missing = int((~has_id).sum())
        if n_missing == len(events):
            raise DataValidationError(
                f"every row has a missing customer id in column {customer_col!r}"
            )
        warn_excluded(
            n_missing,
            f"rows have no customer id in column {customer_col!r} and were dropped (they "
            f"belong to nobody's session)",
        )
        frame = events.loc[has_id]
    # Times in the column's own unit (a view, no nanosecond copy); a gap is longer
    # than ``gap`` exactly when it is longer than the whole ticks within ``gap``.
    ticks, step = _epoch_ticks(to_datetime(frame[time_col], column=time_col))
    gap_ticks = int(delta.as_unit("ns").value) // step
    codes, _ = _customer_codes(frame[customer_col])
    n_customers = int(codes.max()) + 1
    order, sorted_codes = _customer_time_order(codes, ticks, step, n_customers)
    del codes
    n_rows = len(order)
    opens = np.ones(n_rows, dtype=bool)  # a customer's first event opens a session
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=opens[1:])
    first_of_customer = opens.copy() if number_col is not None else None
    sorted_ticks = ticks[order]
    opens[1:] |= (sorted_ticks[1:] - sorted_ticks[:-1]) > gap_ticks
    del sorted_ticks
    sorted_ids = np.cumsum(opens, dtype=np.int64)
    sorted_ids -= 1
    # A fresh frame when rows were dropped; otherwise a copy, shallow (and free) when
    # pandas copies on write, since a shallow copy can then never write through to the
    # caller's data. The new columns are Series over the fresh arrays: no copy either.
    out: pd.DataFrame = frame.copy(deep=frame is events and not _copy_on_write())
    ids = np.empty(n_rows, dtype=np.int64)
    ids[order] = sorted_ids
    out[session_col] = pd.Series(ids, index=out.index, copy=False)
    if first_of_customer is not None and number_col is not None:
        first_id = sorted_ids[first_of_customer]  # per customer code, in code order
        sorted_ids -= first_id[sorted_codes]
        sorted_ids += 1
        numbers = np.empty(n_rows, dtype=np.int64)
        numbers[order] = sorted_ids
        out[number_col] = pd.Series(numbers, index=out.index, copy=False)
    return out


def _session_codes(ids: pd.Series) -> tuple[np.ndarray, Any, np.ndarray]:
    """Dense code per row (0..n-1, in sorted id order), the id of each code, rows per code.

    Session ids that are consecutive integers, as :func:`split_sessions` numbers them,
    are their own codes once shifted to start at 0: no hashing and no gather (a bincount
    that finds every id of the range used). Other ids are coded by ``_customer_codes``.
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and len(values):
        low = int(values.min())
        span = int(values.max()) - low + 1
        if span <= len(values):
            codes = values if low == 0 and values.dtype == np.intp else values - low
            codes = codes.astype(np.intp, copy=False)
            counts: np.ndarray = np.bincount(codes, minlength=span)
            if counts.all():
                return codes, np.arange(low, low + span, dtype=values.dtype), counts
    codes, labels = _customer_codes(ids)
    return codes, labels, np.bincount(codes, minlength=len(labels))


def _min_max_per_code(
    codes: np.ndarray, n: int, *columns: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The smallest and largest value of each column per code (every code in ``[0, n)``
    has a row).

    ``minimum.at``/``maximum.at`` where numpy makes them fast (>= 1.25); before, where
    they were tens of times slower, one packed sort by code shared by the columns and
    ``reduceat`` over the runs.
    """
    if _FAST_UFUNC_AT:
        bounds = []
        for values in columns:
            low = np.full(n, values.max(), dtype=values.dtype)  # a code's values are below
            high = np.full(n, values.min(), dtype=values.dtype)
            np.minimum.at(low, codes, values)
            np.maximum.at(high, codes, values)
            bounds.append((low, high))
        return bounds
    packed = _packed_sort(codes, n)
    order = np.argsort(codes, kind="stable") if packed is None else packed[0]
    starts = np.searchsorted(codes[order], np.arange(n))
    return [
        (np.minimum.reduceat(ordered, starts), np.maximum.reduceat(ordered, starts))
        for ordered in (values[order] for values in columns)
    ]


def _session_owners(
    ids: pd.Series, codes: np.ndarray, n: int, ticks: np.ndarray
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The customer of each of ``n`` sessions, whether a session has several customers,
    and the first and last tick of each session.

    Integer customer ids are compared as they are (the smallest and largest id per
    session); other ids through their dense codes.
    """
    numeric = isinstance(ids.dtype, np.dtype) and ids.dtype.kind in "iu"
    if numeric:
        customers, customer_codes = None, ids.to_numpy()
    else:
        customer_codes, customers = _customer_codes(ids)
    (start, end), (low, high) = _min_max_per_code(codes, n, ticks, customer_codes)
    owner = low if customers is None else pd.Index(customers)[low]
    return owner, low != high, start, end


@frame_boundary("sessions")
def session_table(
    sessions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    session_col: str = "session_id",
) -> pd.DataFrame:
    """Summarise a sessionised event log: one row per session.

    Parameters
    ----------
    sessions : DataFrame
        One row per event with a customer id, a timestamp and a session id, such
        as the output of :func:`split_sessions` (or sessions logged by the app).
        Not modified.
    customer_col, time_col, session_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by session id (index named ``session_col``, sorted), with:

        - ``customer_col``: the session's customer.
        - ``start``, ``end`` (datetime, in the timestamps' time zone): the first
          and last event of the session.
        - ``duration_minutes`` (float): ``end - start`` in minutes; 0 for a
          session of one event (the time spent after the last event is not
          logged).
        - ``event_count`` (int): events in the session.

    Raises
    ------
    DataValidationError
        Missing session ids or customer ids, or a session id shared by two
        customers (session ids must be unique across customers, as
        :func:`split_sessions` makes them).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import session_table, split_sessions
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-03-01 09:00", "2024-03-01 09:20",
    ...                                  "2024-03-01 11:00", "2024-03-01 09:05"]),
    ... })
    >>> table = session_table(split_sessions(log, gap="30min"))
    >>> table[["customer_id", "start", "duration_minutes", "event_count"]]
                customer_id               start  duration_minutes  event_count
    session_id
    0                     1 2024-03-01 09:00:00              20.0            2
    1                     1 2024-03-01 11:00:00               0.0            1
    2                     2 2024-03-01 09:05:00               0.0            1
    """
    check_frame(sessions, name="sessions")
    check_columns(
        sessions,
        {"customer_col": customer_col, "time_col": time_col, "session_col": session_col},
        name="sessions",
    )
    for param, col in (("session_col", session_col), ("customer_col", customer_col)):
        missing = sessions[col].isna().to_numpy()
        if missing.any():
            raise DataValidationError(
                f"column {col!r} ({param}) has {int(missing.sum())} missing values; drop those "
                f"rows or sessionise the log with split_sessions first"
            )
    times = to_datetime(sessions[time_col], column=time_col)
    ticks, step = _epoch_ticks(times)  # the column's own unit: no nanosecond copy
    codes, labels, event_count = _session_codes(sessions[session_col])
    owner, shared, start, end = _session_owners(sessions[customer_col], codes, len(labels), ticks)
    session_ids = pd.Index(labels, name=session_col, copy=False)
    if shared.any():
        shown = ", ".join(repr(s) for s in session_ids[shared][:3])
        raise DataValidationError(
            f"column {session_col!r} has {int(shared.sum())} session ids shared by several "
            f"customers (e.g. {shown}); session ids must be unique across customers: "
            f"sessionise with split_sessions, or combine the two columns into one id first"
        )
    if step != 1:  # to nanoseconds, exactly (the times are within the nanosecond range)
        start *= step
        end *= step
    stamps: dict[str, pd.DatetimeIndex] = {}
    for name, values in (("start", start), ("end", end)):
        index = pd.DatetimeIndex(values.view("datetime64[ns]"), copy=False)
        if times.dt.tz is not None:
            index = index.tz_localize("UTC").tz_convert(times.dt.tz)
        stamps[name] = index
    out: pd.DataFrame = pd.DataFrame(
        {
            customer_col: owner,
            "start": stamps["start"],
            "end": stamps["end"],
            "duration_minutes": (end - start) / 6e10,
            "event_count": event_count,
        },
        index=session_ids,
        copy=False,  # the columns are fresh arrays: no consolidating copy
    )
    return out
