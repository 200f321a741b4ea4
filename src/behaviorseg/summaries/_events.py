"""Event logs → one row per customer: ``usage_table`` and ``funnel_table``.

Both functions share one preparation step (:func:`_prepare_events`) that validates
the log, drops rows without a customer id, closes the observation window at
``as_of`` and factorizes customer ids once; the per-customer reductions are then
whole-column numpy operations over the dense customer codes. The funnel
definition (``stages``) is parsed by :func:`_normalize_stages`, which the AIDA
segmenter, the funnel KPI and the event generator reuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    as_duration,
    as_timestamp,
    check_columns,
    check_frame,
    check_numeric,
    to_datetime,
    warn_excluded,
)
from ..exceptions import DataValidationError
from ._transactions import (
    _NS_PER_DAY,
    _CustomerCoder,
    _epoch_ns,
    _epoch_ticks,
    _instant_keys,
    _to_ns,
)

__all__ = ["AIDA_STAGES", "funnel_table", "usage_table"]

#: The AIDA funnel (attention → interest → desire → action) with the event names
#: that :func:`behaviorseg.datasets.make_events` logs for each stage. Pass your own
#: event names for a real log: ``(("attention", ("ad_click",)), ...)``.
AIDA_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("attention", ("ad_impression", "email_open")),
    ("interest", ("site_visit", "product_view")),
    ("desire", ("add_to_cart", "wishlist_add")),
    ("action", ("purchase",)),
)

#: What ``stages`` may be: a mapping stage → event name(s), or a sequence of
#: ``(stage, event name(s))`` pairs, in funnel order.
StagesLike = Mapping[str, str | Sequence[str]] | Sequence[Any]


def _normalize_stages(
    stages: Any, *, param: str = "stages", names_only: bool = False
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ``stages`` as a tuple of ``(stage, (event, ...))`` pairs, in funnel order.

    Accepts a mapping stage → event name or tuple of names, or a sequence of
    ``(stage, events)`` pairs. With ``names_only`` (the segmenter, which reads one
    column per stage and never sees event names) a plain sequence of stage names
    is accepted too, and stages may list no events. Raises ValueError for an
    empty funnel, repeated stage names, events that are not strings, and an
    event listed under two stages.
    """
    if isinstance(stages, Mapping):
        items: list[Any] = list(stages.items())
    elif isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence):
        raise TypeError(
            f"{param} must be a mapping stage -> event name(s) or a sequence of "
            f"(stage, events) pairs in funnel order, got {type(stages).__name__}"
        )
    else:
        items = list(stages)
    if not items:
        raise ValueError(f"{param} is empty; give at least one stage")
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for item in items:  # a loop over a handful of stages
        events: tuple[Any, ...]
        if names_only and isinstance(item, str):
            stage, events = item, ()
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            stage, raw = item
            events = (raw,) if isinstance(raw, str) else tuple(raw)
        else:
            raise ValueError(
                f"{param} entry {item!r} is not a (stage, events) pair with a str stage "
                f"name; write e.g. ('interest', ('product_view',))"
            )
        if not all(isinstance(e, str) for e in events):
            raise ValueError(
                f"{param}: stage {stage!r} lists non-string event names {events!r}; "
                f"event names must be str"
            )
        if not events and not names_only:
            raise ValueError(f"{param}: stage {stage!r} lists no event names")
        pairs.append((stage, events))
    names = [stage for stage, _ in pairs]
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise ValueError(f"{param} repeats the stage names {repeated}; each stage appears once")
    owner: dict[str, str] = {}
    for stage, events in pairs:
        for event in events:
            if event in owner and owner[event] != stage:
                raise ValueError(
                    f"{param} lists the event {event!r} under two stages ({owner[event]!r} "
                    f"and {stage!r}); an event must mark exactly one stage, so remove it "
                    f"from one of them"
                )
            owner[event] = stage
    return tuple(pairs)


@dataclass(frozen=True, eq=False)
class _EventLog:
    """A validated event log, restricted to the rows at or before ``as_of``.

    Customer codes and nanosecond times are computed when first read (``codes``,
    ``ns``: every row), or for some rows only (:meth:`codes_at`, :meth:`ns_at`)
    when a summary reads a small part of a large log.
    """

    frame: pd.DataFrame  # the kept rows of the caller's frame (not a copy)
    customers: pd.Index  # customer id per code, sorted
    times: pd.Series  # datetime64 per row
    as_of: pd.Timestamp
    coder: _CustomerCoder

    @cached_property
    def codes(self) -> np.ndarray:
        """Dense customer code per row (int64)."""
        return self.coder.all()

    @cached_property
    def ns(self) -> np.ndarray:
        """Nanoseconds since the epoch per row (int64; UTC for aware times)."""
        return _epoch_ns(self.times)

    def codes_at(self, rows: np.ndarray) -> np.ndarray:
        """Customer codes of some rows (positions or a boolean mask)."""
        return self.coder.at(rows)

    def ns_at(self, rows: np.ndarray) -> np.ndarray:
        """Nanoseconds since the epoch of some rows (positions or a boolean mask)."""
        if "ns" in self.__dict__:
            cached: np.ndarray = self.__dict__["ns"][rows]
            return cached
        ticks, step = _epoch_ticks(self.times)
        ns: np.ndarray = ticks[rows]
        if np.may_share_memory(ns, ticks):  # a slice, not a gather: never scale the log
            ns = ns.copy()
        if step != 1:
            ns *= step
        return ns


def _prepare_events(
    events: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    other_cols: Mapping[str, str | None],
    as_of: Any,
) -> _EventLog:
    """Validate the log, drop rows without a customer id, exclude rows after ``as_of``."""
    check_frame(events, name="events")
    columns = {"customer_col": customer_col, "time_col": time_col}
    columns.update({param: col for param, col in other_cols.items() if col is not None})
    check_columns(events, columns, name="events")

    has_id = events[customer_col].notna().to_numpy()
    n_missing = int((~has_id).sum())
    frame = events
    if n_missing:
        if n_missing == len(events):
            raise DataValidationError(
                f"every row has a missing customer id in column {customer_col!r}"
            )
        warn_excluded(
            n_missing,
            f"rows have no customer id in column {customer_col!r} and were dropped",
            stacklevel=4,
        )
        frame = events.loc[has_id]

    times = to_datetime(frame[time_col], column=time_col)
    stamp = times.max() if as_of is None else as_timestamp(as_of, reference=times)
    # Times are validated (no NaT): with as_of=None every row is at or before it.
    inside = np.ones(0, dtype=bool) if as_of is None else (times <= stamp).to_numpy()
    n_late = int((~inside).sum())
    if n_late:
        if n_late == len(frame):
            raise DataValidationError(
                f"every row of column {time_col!r} is after as_of={stamp}; "
                f"there is nothing to summarise"
            )
        ids = frame[customer_col]
        late_ids = pd.Index(pd.unique(ids.loc[~inside]))
        n_future = int((~late_ids.isin(ids.loc[inside])).sum())
        warn_excluded(
            n_late,
            f"rows are after as_of={stamp} and were excluded ({n_future} customers have "
            f"only such rows and are not in the table)",
            stacklevel=4,
        )
        frame = frame.loc[inside]
        times = times.loc[inside]

    coder = _CustomerCoder(frame[customer_col])
    return _EventLog(
        frame=frame,
        customers=pd.Index(coder.ids, name=customer_col),
        times=times,
        as_of=stamp,
        coder=coder,
    )


def _local_days(times: pd.Series) -> np.ndarray:
    """Calendar day number per row, in the timestamps' own (local) time zone.

    Counted from the column's own ticks (no nanosecond copy for naive times): the
    floor of ticks / ticks per day is the floor of nanoseconds / ns per day.
    """
    local = times.dt.tz_localize(None) if times.dt.tz is not None else times
    ticks, step = _epoch_ticks(local)
    days: np.ndarray = np.floor_divide(ticks, _NS_PER_DAY // step)
    return days


def _value_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row (-1 where missing) and the distinct value of each code.

    Each distinct value is hashed once where the dtype allows it: a Categorical's
    codes are used as they are, pyarrow-backed strings are dictionary-encoded by
    Arrow (inside ``pd.factorize``); object columns are hashed row by row (Python
    strings cache their hash, so this is one lookup per row).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_codes: np.ndarray = values.cat.codes.to_numpy()
        return cat_codes, pd.Index(values.cat.categories)
    codes, uniques = pd.factorize(values.to_numpy() if values.dtype == object else values)
    return codes, pd.Index(uniques)


def _arrow_strings(values: pd.Series) -> Any:
    """The column as an Arrow string ChunkedArray (no copy), or None if it is not one."""
    array = values.array
    if not hasattr(array, "__arrow_array__") or isinstance(values.dtype, pd.CategoricalDtype):
        return None
    storage = getattr(values.dtype, "storage", None)
    if storage is not None and storage != "pyarrow":  # pandas' python-backed strings
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - arrow-backed columns need pyarrow
        return None
    chunked = array.__arrow_array__()
    kind = chunked.type
    is_view = getattr(pa.types, "is_string_view", lambda _: False)(kind)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or is_view:
        return chunked
    return None


def _values_at(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The values of a few rows (positions) as a numpy array.

    Arrow-backed strings are taken by Arrow: pandas' ``iloc`` on a chunked column
    costs a pass over the whole column however few rows are taken.
    """
    chunked = _arrow_strings(values)
    if chunked is not None:
        import pyarrow as pa

        taken: np.ndarray = chunked.take(pa.array(rows)).to_numpy(zero_copy_only=False)
        return taken
    picked: np.ndarray = values.iloc[rows].to_numpy()
    return picked


def _name_index(values: pd.Series, names: Sequence[str]) -> np.ndarray:
    """Position of each row's value in ``names`` (int32), -1 if absent or missing.

    Only the few wanted names are looked up: a Categorical's categories are matched
    once and its codes read per row; Arrow-backed strings are matched by Arrow
    (``index_in``, no dictionary of the column is built); other columns are
    factorized (each distinct value hashed once) and their distinct values matched.
    """
    wanted = pd.Index(list(names), dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        table = wanted.get_indexer(pd.Index(values.cat.categories, dtype=object))
        return _per_code(table.astype(np.int32), values.cat.codes.to_numpy(), -1)
    chunked = _arrow_strings(values) if all(isinstance(x, str) for x in names) else None
    if chunked is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(chunked, value_set=pa.array(list(names), type=chunked.type))
        index: np.ndarray = pc.fill_null(found, -1).to_numpy()
        return index.astype(np.int32, copy=False)
    codes, uniques = pd.factorize(values.to_numpy() if values.dtype == object else values)
    table = wanted.get_indexer(pd.Index(uniques, dtype=object))
    return _per_code(table.astype(np.int32), codes, -1)


def _unknown_rows(values: pd.Series, unknown: np.ndarray) -> tuple[int, str]:
    """Number of rows flagged in the mask ``unknown``, and their three most common values.

    Only the flagged rows are coded (for the warnings: they are usually few).
    """
    rows = np.flatnonzero(unknown)
    if len(rows) == 0:
        return 0, ""
    codes, names = _value_codes(values.iloc[rows])
    return _unknown_names(codes, names, np.ones(len(names), dtype=bool))


def _per_code(table: np.ndarray, codes: np.ndarray, missing: Any) -> np.ndarray:
    """``table[code]`` per row, and ``missing`` where the code is -1 (a missing value)."""
    extended = np.append(table, np.asarray(missing, dtype=table.dtype))
    out: np.ndarray = extended[codes]  # code -1 reads the appended slot
    return out


def _count_distinct_pairs(codes: np.ndarray, other: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct values of ``other`` (integers) per customer code.

    The (customer, value) pairs are marked in a bitmap when it is small (at most
    a few bytes per row), and otherwise packed into int64 keys and sorted; pairs
    are hashed only when the keys would overflow.
    """
    if len(codes) == 0:
        return np.zeros(n, dtype=np.int64)
    low = int(other.min())
    span = int(other.max()) - low + 1
    if max(n, 1) * span <= 4 * len(codes) + (1 << 20):
        present = np.zeros((max(n, 1), span), dtype=bool)
        present[codes, other - low] = True
        counts: np.ndarray = np.count_nonzero(present, axis=1).astype(np.int64)[:n]
        return counts
    if max(n, 1) * span < np.iinfo(np.int64).max:
        key = codes.astype(np.int64) * np.int64(span)
        key += other
        key -= low
        key.sort()
        first = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=first[1:])
        counts = np.bincount(key[first] // span, minlength=n).astype(np.int64)
        return counts
    other_codes, uniques = pd.factorize(other)
    width = np.int64(max(len(uniques), 1))
    pairs = pd.unique(codes * width + other_codes)
    counts = np.bincount(pairs // width, minlength=n).astype(np.int64)
    return counts


def _unknown_names(codes: np.ndarray, names: pd.Index, unknown: np.ndarray) -> tuple[int, str]:
    """Rows whose name is missing or flagged in ``unknown``, and the three most common.

    Counted per distinct name (one ``bincount`` over the codes), for the warnings.
    """
    per_name = np.bincount(codes + 1, minlength=len(names) + 1)  # [missing, *names]
    counts = np.r_[per_name[0], per_name[1:] * unknown]
    total = int(counts.sum())
    if not total:
        return 0, ""
    series = pd.Series(counts, index=pd.Index([np.nan, *names], dtype=object))
    top = series[counts > 0].sort_values(ascending=False, kind="stable").head(3)
    return total, ", ".join(f"{name!r} ({count})" for name, count in top.items())


def _duplicated_rows(log: _EventLog, columns: Sequence[str]) -> np.ndarray:
    """``DataFrame.duplicated`` over (customer, time, *columns*), without hashing every row.

    Only rows that share their (customer, instant) with another row can repeat one:
    those pairs are found by sorting packed int64 keys, and ``duplicated`` runs on
    these few candidate rows only (in row order, so "first" is the same row).
    """
    n_rows = len(log.times)
    out = np.zeros(n_rows, dtype=bool)
    if n_rows < 2:
        return out
    # Customers by a per-row key that needs no dense codes (the id offsets of compact
    # integer ids), instants in the column's own unit: no row-length copies but the keys.
    customer, bound = log.coder.row_keys()
    width = np.int64(max(bound, 1))
    ticks = _epoch_ticks(log.times)[0]
    packed = _instant_keys(ticks, customer, width)
    if packed is None:  # keys would overflow int64: every row is a candidate
        candidates = np.arange(n_rows)
    else:
        key, in_order = packed
        del packed  # the tuple would keep the keys alive after `del key`
        key.sort(kind="stable" if in_order else "quicksort")  # in place: no second copy
        repeated = key[1:][key[1:] == key[:-1]]
        del key
        if len(repeated) == 0:
            return out
        repeated = np.unique(repeated)
        # The keys again, in row order: rebuilding them costs less memory than a copy kept.
        rebuilt = _instant_keys(ticks, customer, width)
        assert rebuilt is not None  # the same inputs fitted the first time
        key = rebuilt[0]
        # A row is a candidate if its key is a repeated one. The few repeated keys are
        # first marked by their low bits in a small table (one gather per row), and only
        # the rows that pass are searched for exactly.
        bits = np.int64(min(max(1 << 16, 8 * len(repeated)), 1 << 24))
        bits = np.int64(1) << np.int64(int(bits - 1).bit_length())  # a power of two
        marked = np.zeros(int(bits), dtype=bool)
        marked[repeated & (bits - 1)] = True
        maybe = np.flatnonzero(marked[key & (bits - 1)])
        key = key[maybe]
        where = np.searchsorted(repeated, key)
        np.minimum(where, len(repeated) - 1, out=where)
        candidates = maybe[repeated[where] == key]
        del key, where, maybe
    frame = pd.DataFrame({"_code": customer[candidates], "_ns": ticks[candidates]})
    for i, col in enumerate(columns):
        frame[f"_{i}"] = _values_at(log.frame[col], candidates)
    out[candidates] = frame.duplicated().to_numpy()
    return out


def _usage_window(
    event_col: str | None, usage_events: Any, drop_duplicates: Any, window: Any
) -> pd.Timedelta | None:
    """Check the options of a usage table (pandas or Spark); the window, or None."""
    if usage_events is not None and event_col is None:
        raise ValueError("usage_events needs event_col: pass event_col='<column with event names>'")
    if event_col is not None and usage_events is None:
        raise ValueError(
            f"event_col={event_col!r} is only used to choose the usage events: pass "
            f"usage_events=('<event name>', ...) too, or leave event_col=None to count "
            f"every event"
        )
    if not isinstance(drop_duplicates, bool):
        raise TypeError(f"drop_duplicates={drop_duplicates!r} must be True or False")
    return as_duration(window, "window") if window is not None else None


@frame_boundary("events")
def usage_table(
    events: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    event_col: str | None = None,
    value_col: str | None = None,
    feature_col: str | None = None,
    usage_events: str | Sequence[str] | None = None,
    as_of: Any = None,
    window: Any = None,
    drop_duplicates: bool = True,
) -> pd.DataFrame:
    """Summarise an event log into usage intensity per customer.

    Parameters
    ----------
    events : DataFrame
        One row per event, with a customer id and a timestamp (and optionally an
        event name, a usage value and a feature name). Not modified.
    customer_col, time_col : str
        Column names. Timestamps may be datetimes or parseable strings, all naive
        or all time-zone-aware.
    event_col : str or None
        Column with the event name; needed (only) with ``usage_events``.
    value_col : str or None
        Column with the usage value of each event (minutes, units, amount;
        finite and >= 0). ``None``: every event counts 1, so ``usage_value``
        equals ``event_count``.
    feature_col : str or None
        Column with the feature or product used; adds ``distinct_features``.
        Missing feature names are not counted as a feature.
    usage_events : str, sequence of str or None
        Event names that count as usage (e.g. ``("session",)``); the other rows
        are ignored, but their customers still appear (with zero usage).
        ``None``: every event counts.
    as_of : date-like or None
        End of the observation, inclusive. Rows after it are excluded with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp in the log.
    window : str, Timedelta, number of days or None
        Lookback such as ``"90D"``: usage is counted over the events at or after
        ``as_of - window``. ``None``: the whole log up to ``as_of``.
    drop_duplicates : bool, default=True
        Rows identical in every column read (customer, time, and the event,
        value and feature columns given) are taken as one event logged twice
        and counted once, with a warning that counts them.

    Returns
    -------
    DataFrame
        One row per customer with any row in the log at or before ``as_of``
        (also customers with no usage in the window: they get zero counts, so a
        usage segmenter can put them in its zero-usage tier), indexed by
        customer id (index named ``customer_col``, sorted), with:

        - ``event_count`` (int): usage events in the window.
        - ``active_days`` (int): distinct calendar days (in the timestamps' own
          time zone) with a usage event in the window.
        - ``usage_value`` (float): total of ``value_col`` over those events
          (``event_count`` without ``value_col``).
        - ``events_per_active_day`` (float): ``event_count / active_days``
          (0 without activity).
        - ``distinct_features`` (int, only with ``feature_col``): distinct
          features used in the window.
        - ``days_since_last_activity`` (float): days from the last usage event
          up to ``as_of`` (inside the window or not) to ``as_of``; NaN if the
          customer never had one.

    Notes
    -----
    Rows outside the window are a choice of the caller, not bad data: they are
    excluded without a warning, and customers with usage only before the window
    keep their row with zero usage and their true ``days_since_last_activity``.
    Customers whose rows are all after ``as_of`` did not exist yet at ``as_of``
    and are not in the table (the warning counts them). Rows with a missing
    customer id are dropped with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import usage_table
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime([
    ...         "2024-03-01 09:00", "2024-03-01 17:00", "2024-03-20 12:00",
    ...         "2024-01-05 00:00", "2024-03-25 00:00",
    ...     ]),
    ...     "event": ["session", "session", "session", "session", "signup"],
    ...     "minutes": [30.0, 10.0, 20.0, 45.0, None],
    ... })
    >>> table = usage_table(log, event_col="event", value_col="minutes",
    ...                     usage_events="session", as_of="2024-03-31", window="60D")
    >>> table.T
    customer_id                  1     2    3
    event_count                3.0   0.0  0.0
    active_days                2.0   0.0  0.0
    usage_value               60.0   0.0  0.0
    events_per_active_day      1.5   0.0  0.0
    days_since_last_activity  10.5  86.0  NaN
    """
    delta = _usage_window(event_col, usage_events, drop_duplicates, window)
    log = _prepare_events(
        events,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={"event_col": event_col, "value_col": value_col, "feature_col": feature_col},
        as_of=as_of,
    )
    n = len(log.customers)
    frame = log.frame
    keep = np.ones(len(frame), dtype=bool)
    if drop_duplicates:
        read = [c for c in (event_col, value_col, feature_col) if c is not None]
        duplicated = _duplicated_rows(log, read)
        warn_excluded(
            int(duplicated.sum()),
            "rows repeat an earlier row in every column read and were counted once "
            "(pass drop_duplicates=False to count them)",
        )
        keep &= ~duplicated
    if usage_events is not None:
        wanted = (usage_events,) if isinstance(usage_events, str) else tuple(usage_events)
        assert event_col is not None
        keep &= _name_index(frame[event_col], sorted(set(wanted))) >= 0

    # From here on only the usage rows are read (customer codes and times included).
    # A boolean mask, not positions: one byte per row of the log.
    codes = log.codes_at(keep)
    ns = log.ns_at(keep)
    as_of_ns = _to_ns(log.as_of)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, codes, ns)
    if delta is not None:
        recent = ns >= as_of_ns - int(delta.as_unit("ns").value)
        codes = codes[recent]
        keep[keep] = recent
        del recent
    del ns
    rows = keep

    event_count = np.bincount(codes, minlength=n).astype(np.int64)
    if value_col is not None:
        values = check_numeric(frame[value_col].iloc[rows], column=value_col, min_value=0.0)
        usage_value = np.bincount(codes, weights=values, minlength=n)
    else:
        usage_value = event_count.astype(np.float64)
    active_days = _count_distinct_pairs(codes, _local_days(log.times.iloc[rows]), n)
    data: dict[str, np.ndarray] = {
        "event_count": event_count,
        "active_days": active_days,
        "usage_value": usage_value,
        "events_per_active_day": event_count / np.maximum(active_days, 1),
    }
    if feature_col is not None:
        features = _value_codes(frame[feature_col].iloc[rows])[0]
        named = features >= 0  # code -1: a missing feature name
        data["distinct_features"] = _count_distinct_pairs(codes[named], features[named], n)
    never = last == np.iinfo(np.int64).min
    data["days_since_last_activity"] = np.where(
        never, np.nan, (as_of_ns - last.astype(np.float64)) / _NS_PER_DAY
    )
    out: pd.DataFrame = pd.DataFrame(data, index=log.customers)
    return out


_FUNNEL_ORDERS = ("any", "present", "strict")


def _strict_first(
    codes: np.ndarray,
    stage_of: np.ndarray,
    ns: np.ndarray,
    first_ns: np.ndarray,
    within_ns: int | None,
) -> np.ndarray:
    """When each customer reached each stage in time order (NaT's integer if never).

    Stage 0 is reached at its first event; stage j at the first event of stage j at
    or after the time stage j - 1 was reached, and (with ``within_ns``) at most
    ``within_ns`` after it. One pass over the rows of each stage (a loop over a
    handful of stages): a row qualifies if its time is at or after its customer's
    time for the previous stage, and the earliest qualifying row wins.
    """
    never = np.iinfo(np.int64).min
    n, k = first_ns.shape
    strict = np.full((n, k), never, dtype=np.int64)
    strict[:, 0] = first_ns[:, 0]
    for j in range(1, k):
        rows = np.flatnonzero(stage_of == j)
        previous = strict[:, j - 1]
        previous_time = np.where(previous == never, np.iinfo(np.int64).max, previous)
        c, t = codes[rows], ns[rows]
        after = t >= previous_time[c]
        earliest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(earliest, c[after], t[after])
        ok = earliest != np.iinfo(np.int64).max
        if within_ns is not None:
            ok &= (earliest - previous_time) <= within_ns  # both set where ok
        strict[:, j] = np.where(ok, earliest, never)
    return strict


def _funnel_window(order: str, within: Any) -> int | None:
    """Check ``order`` and ``within`` of a funnel; the window in nanoseconds, or None."""
    if order not in _FUNNEL_ORDERS:
        raise ValueError(f"order={order!r} must be one of {list(_FUNNEL_ORDERS)}")
    if within is None:
        return None
    if order != "strict":
        raise ValueError(
            f"within={within!r} is the conversion window of the strict funnel; pass "
            f"order='strict' too"
        )
    return int(as_duration(within, "within").as_unit("ns").value)


@frame_boundary("events")
def funnel_table(
    events: pd.DataFrame,
    *,
    stages: StagesLike,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    ignore_events: str | Sequence[str] = (),
    as_of: Any = None,
    order: str = "any",
    within: Any = None,
) -> pd.DataFrame:
    """Summarise an event log into funnel progress per customer.

    Parameters
    ----------
    events : DataFrame
        One row per event, with a customer id, a timestamp and an event name.
        Not modified.
    stages : mapping or sequence of pairs
        The funnel, in order: a mapping ``{stage: event name or tuple of event
        names}`` or a sequence of ``(stage, events)`` pairs, e.g.
        :data:`AIDA_STAGES`. An event name listed under two stages is an error.
    customer_col, time_col, event_col : str
        Column names.
    ignore_events : str or sequence of str, default=()
        Event names known to mark no stage (e.g. ``"session"`` in a log that
        mixes usage and funnel events): ignored without a warning. Their
        customers stay in the table. Listing a stage's event here is an error.
    as_of : date-like or None
        End of the observation, inclusive. Rows after it are excluded with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp in the log.
    order : {"any", "present", "strict"}, default="any"
        When a stage counts as reached:

        - ``"any"``: whenever one of its events was logged, in any order (an
          "open" funnel; the segmenter and the funnel KPI can still require
          the earlier stages with their ``ordered`` option).
        - ``"present"``: only if every earlier stage was reached too, at any
          time (retentioneering's "hybrid" funnel; the same as ``ordered=True``
          downstream).
        - ``"strict"``: only in time order, the funnel of Amplitude, Mixpanel
          and retentioneering's "closed" funnel. The first stage is reached at
          its first event; each later stage at its first event at or after the
          time the previous stage was reached (the same instant counts).
    within : str, Timedelta, number of days or None, default=None
        Conversion window of the strict funnel (only with ``order="strict"``):
        each stage counts only if reached at most this long after the previous
        one (inclusive). ``None``: no limit.

    Returns
    -------
    DataFrame
        One row per customer with any row at or before ``as_of`` (also customers
        whose events mark no stage: they have reached nothing, and the AIDA
        segmenter labels them unaware), indexed by
        customer id (sorted), with, for every stage ``s`` in funnel order:

        - ``days_since_<s>`` (float): days from the *last* event of the stage
          to ``as_of``; NaN if never reached. These are the numeric columns
          :class:`~behaviorseg.segmenters.AIDAStageSegmenter` reads.
        - ``reached_<s>`` (bool): the stage was reached at least once.
        - ``first_<s>``, ``last_<s>`` (datetime, NaT if never): when the stage
          was first and last reached.

        The columns come grouped by kind in that order (all ``days_since_*``
        first). With ``order="present"`` or ``"strict"``, a stage that does not
        count has NaN days, ``False`` and NaT; with ``"strict"``, ``first_<s>``
        is when the stage was reached in order (its first event at or after the
        previous stage's ``first_``), and ``last_<s>`` its last event.

    Notes
    -----
    Event names that mark no stage (including missing names) and are not in
    ``ignore_events`` are ignored, with a
    :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them and
    names the most common ones (a typo in ``stages`` shows up here); their
    customers stay in the table. Do not drop non-funnel rows from the log
    beforehand: customers with only such rows would vanish instead of being
    unaware. Duplicate
    events change nothing (reaching a stage twice at the same instant is
    reaching it). By default the table records every stage reached, in any
    order: whether skipped steps count is then the segmenter's choice (its
    ``ordered`` option). The time order of the stages is only in the log, so
    the strict funnel is built here; the segmenter and
    :func:`behaviorseg.kpi.funnel_conversion` read its table as any other.

    The strict funnel follows each customer from their first event of the first
    stage and takes the earliest event of each next stage: a customer who
    starts again later, after missing a conversion window, is not counted again
    (most tools' default "first entry" rule).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import funnel_table
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-03-01", "2024-03-21", "2024-03-30", "2024-03-02"]),
    ...     "event": ["product_view", "purchase", "product_view", "newsletter"],
    ... })
    >>> stages = {"interest": "product_view", "action": "purchase"}
    >>> table = funnel_table(log, stages=stages, as_of="2024-03-31")  # warns: 'newsletter'
    >>> table[["days_since_interest", "days_since_action", "reached_action"]]
                 days_since_interest  days_since_action  reached_action
    customer_id
    1                           30.0               10.0            True
    2                            1.0                NaN           False
    3                            NaN                NaN           False

    In time order, with a 14-day conversion window, customer 1's purchase (20
    days after the view) no longer counts:

    >>> strict = funnel_table(log, stages=stages, as_of="2024-03-31", ignore_events="newsletter",
    ...                       order="strict", within="14D")
    >>> strict["reached_action"].tolist()
    [False, False, False]
    """
    pairs = _normalize_stages(stages)
    within_ns = _funnel_window(order, within)
    log = _prepare_events(
        events,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={"event_col": event_col},
        as_of=as_of,
    )
    n, k = len(log.customers), len(pairs)
    lookup = {event: j for j, (_, names) in enumerate(pairs) for event in names}
    ignored = (ignore_events,) if isinstance(ignore_events, str) else tuple(ignore_events)
    clash = sorted(set(ignored) & set(lookup))
    if clash:
        raise ValueError(
            f"ignore_events lists {clash}, which mark a stage in stages; remove them from "
            f"one of the two"
        )
    # Only the stage and ignored names are looked up; rows read their stage by index.
    targets = list(lookup) + sorted(set(ignored))
    stage_table = np.array(
        [*lookup.values(), *[-1] * (len(targets) - len(lookup))],
        dtype=np.int8 if k < 128 else np.int64,  # one byte per row for the usual funnels
    )
    index = _name_index(log.frame[event_col], targets)
    n_unknown, shown = _unknown_rows(log.frame[event_col], index < 0)
    if n_unknown:
        warn_excluded(
            n_unknown,
            f"rows have event names in no stage (e.g. {shown}) and were ignored; their "
            f"customers stay in the table",
        )
    stage_of = _per_code(stage_table, index, -1)
    del index
    known = np.flatnonzero(stage_of >= 0)
    stage_of = stage_of[known].astype(np.int64)
    codes = log.codes_at(known)
    ns = log.ns_at(known)
    cell = codes * k + stage_of
    never = np.iinfo(np.int64).min  # also the integer value of NaT
    first = np.full(n * k, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n * k, never, dtype=np.int64)
    np.minimum.at(first, cell, ns)
    np.maximum.at(last, cell, ns)
    del cell
    reached = (last != never).reshape(n, k)
    first_ns = np.where(last == never, never, first).reshape(n, k)
    last_ns = last.reshape(n, k)
    if order == "present":
        reached = np.logical_and.accumulate(reached, axis=1)
    elif order == "strict":
        first_ns = _strict_first(codes, stage_of, ns, first_ns, within_ns)
        reached = first_ns != never
    if order != "any":
        first_ns = np.where(reached, first_ns, never)
        last_ns = np.where(reached, last_ns, never)
    as_of_ns = _to_ns(log.as_of)
    days = np.where(reached, (as_of_ns - last_ns.astype(np.float64)) / _NS_PER_DAY, np.nan)

    tz = log.times.dt.tz
    data: dict[str, Any] = {}
    stage_names = [stage for stage, _ in pairs]
    for j, stage in enumerate(stage_names):
        data[f"days_since_{stage}"] = days[:, j]
    for j, stage in enumerate(stage_names):
        data[f"reached_{stage}"] = reached[:, j]
    for kind, values in (("first", first_ns), ("last", last_ns)):
        for j, stage in enumerate(stage_names):
            stamps = pd.DatetimeIndex(values[:, j].view("datetime64[ns]"))
            if tz is not None:
                stamps = stamps.tz_localize("UTC").tz_convert(tz)
            data[f"{kind}_{stage}"] = stamps
    out: pd.DataFrame = pd.DataFrame(data, index=log.customers)
    return out
