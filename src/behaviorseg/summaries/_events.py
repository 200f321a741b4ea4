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
from ._transactions import _NS_PER_DAY, _epoch_ns, _to_ns

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


@dataclass(frozen=True)
class _EventLog:
    """A validated event log, restricted to the rows at or before ``as_of``."""

    frame: pd.DataFrame  # the kept rows of the caller's frame (not a copy)
    codes: np.ndarray  # dense customer code per row (int64)
    customers: pd.Index  # customer id per code, sorted
    times: pd.Series  # datetime64 per row
    ns: np.ndarray  # nanoseconds since the epoch per row (int64)
    as_of: pd.Timestamp


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
    inside = (times <= stamp).to_numpy()
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

    try:
        codes, customers = pd.factorize(frame[customer_col], sort=True)
    except TypeError:  # ids of mixed, unorderable types: keep first-seen order
        codes, customers = pd.factorize(frame[customer_col], sort=False)
    return _EventLog(
        frame=frame,
        codes=codes.astype(np.int64, copy=False),
        customers=pd.Index(customers, name=customer_col),
        times=times,
        ns=_epoch_ns(times),
        as_of=stamp,
    )


def _local_days(times: pd.Series) -> np.ndarray:
    """Calendar day number per row, in the timestamps' own (local) time zone."""
    local = times.dt.tz_localize(None) if times.dt.tz is not None else times
    days: np.ndarray = local.to_numpy(dtype="datetime64[ns]").view(np.int64) // _NS_PER_DAY
    return days


def _count_distinct_pairs(codes: np.ndarray, other: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct values of ``other`` per customer code."""
    if len(codes) == 0:
        return np.zeros(n, dtype=np.int64)
    other_codes, uniques = pd.factorize(other)
    width = np.int64(max(len(uniques), 1))
    pairs = pd.unique(codes * width + other_codes)
    counts: np.ndarray = np.bincount(pairs // width, minlength=n).astype(np.int64)
    return counts


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
    delta = as_duration(window, "window") if window is not None else None
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
        key = pd.DataFrame({"_code": log.codes, "_ns": log.ns})
        for i, col in enumerate(read):
            key[f"_{i}"] = frame[col].to_numpy()
        duplicated = key.duplicated().to_numpy()
        warn_excluded(
            int(duplicated.sum()),
            "rows repeat an earlier row in every column read and were counted once "
            "(pass drop_duplicates=False to count them)",
        )
        keep &= ~duplicated
    if usage_events is not None:
        wanted = (usage_events,) if isinstance(usage_events, str) else tuple(usage_events)
        assert event_col is not None
        keep &= frame[event_col].isin(wanted).to_numpy()

    as_of_ns = _to_ns(log.as_of)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, log.codes[keep], log.ns[keep])
    if delta is not None:
        keep &= log.ns >= as_of_ns - int(delta.as_unit("ns").value)

    codes = log.codes[keep]
    event_count = np.bincount(codes, minlength=n).astype(np.int64)
    if value_col is not None:
        values = check_numeric(frame[value_col].loc[keep], column=value_col, min_value=0.0)
        usage_value = np.bincount(codes, weights=values, minlength=n)
    else:
        usage_value = event_count.astype(np.float64)
    active_days = _count_distinct_pairs(codes, _local_days(log.times)[keep], n)
    data: dict[str, np.ndarray] = {
        "event_count": event_count,
        "active_days": active_days,
        "usage_value": usage_value,
        "events_per_active_day": event_count / np.maximum(active_days, 1),
    }
    if feature_col is not None:
        features = frame[feature_col].to_numpy()[keep]
        named = pd.notna(features)
        data["distinct_features"] = _count_distinct_pairs(codes[named], features[named], n)
    never = last == np.iinfo(np.int64).min
    data["days_since_last_activity"] = np.where(
        never, np.nan, (as_of_ns - last.astype(np.float64)) / _NS_PER_DAY
    )
    out: pd.DataFrame = pd.DataFrame(data, index=log.customers)
    return out


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
        first).

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
    reaching it). The table records every stage reached, in any order: whether
    skipped steps count is the segmenter's choice (its ``ordered`` option).

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
    """
    pairs = _normalize_stages(stages)
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
    names = log.frame[event_col]
    stage_of = names.map(lookup).to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(stage_of)
    unknown = ~known & ~names.isin(ignored).to_numpy()
    n_unknown = int(unknown.sum())
    if n_unknown:
        counts = names.loc[unknown].value_counts(dropna=False).head(3)
        shown = ", ".join(f"{name!r} ({count})" for name, count in counts.items())
        warn_excluded(
            n_unknown,
            f"rows have event names in no stage (e.g. {shown}) and were ignored; their "
            f"customers stay in the table",
        )
    cell = log.codes[known] * k + stage_of[known].astype(np.int64)
    ns = log.ns[known]
    never = np.iinfo(np.int64).min  # also the integer value of NaT
    first = np.full(n * k, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n * k, never, dtype=np.int64)
    np.minimum.at(first, cell, ns)
    np.maximum.at(last, cell, ns)
    reached = (last != never).reshape(n, k)
    first_ns = np.where(last == never, never, first).reshape(n, k)
    last_ns = last.reshape(n, k)
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
