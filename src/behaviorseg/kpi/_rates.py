"""Retention between two periods and engagement (interactions per audience member),
per segment."""

from __future__ import annotations

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
from ._common import (
    _as_period,
    _check_confidence,
    _group_size,
    _group_sum,
    _safe_divide,
    _segment_codes,
    _wilson_interval,
)

__all__ = ["engagement_rate", "retention_rate"]


def _period_bounds(
    value: Any, *, param: str, times: pd.Series
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a period: a pandas Period (or a string such as "1997-03" or
    "1997Q1"), or a ``(start, end)`` pair of date-likes, end excluded."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise DataValidationError(
                f"{param}={value!r} must be a period such as '2024-03' or a (start, end) pair"
            )
        start = as_timestamp(value[0], reference=times, param=f"{param}[0]")
        end = as_timestamp(value[1], reference=times, param=f"{param}[1]")
    else:
        period = _as_period(value, param=param, alternative=", or a (start, end) pair of dates")
        start, end = period.start_time, (period + 1).start_time
        tz = getattr(times.dt, "tz", None)
        if tz is not None:
            start, end = start.tz_localize(tz), end.tz_localize(tz)
    if not start < end:
        raise DataValidationError(f"{param} starts at {start}, not before its end {end}")
    return start, end


@frame_boundary("events", "customers", index={"customers": "customer_col"})
def retention_rate(
    events: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    segment_col: str,
    base_period: Any,
    next_period: Any,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of the customers active in one period who are active again in a later one.

    A customer is *active* in a period if they have at least one event (a
    purchase, a login, ...) in it. Retention of a segment = customers active in
    both periods / customers active in ``base_period``.

    Parameters
    ----------
    events : DataFrame
        One row per event with a customer id and a timestamp (a transaction
        log works). Not modified.
    customers : DataFrame
        One row per customer, indexed by customer id, with the segment label
        in ``segment_col`` (e.g. an ``rfm_table`` with its RFM segment). Not
        modified.
    segment_col : str
        Column of ``customers`` with the segment labels. A Categorical column
        keeps all its categories, in order.
    base_period, next_period : period-like or (start, end)
        The two periods: a pandas Period or a string pandas reads as one
        (``"1997-03"`` a month, ``"1997Q1"`` a quarter, ``"1997"`` a year), or
        a ``(start, end)`` pair of dates, start included and end excluded.
        ``next_period`` must start at or after the end of ``base_period``.
    customer_col, time_col : str
        Columns of ``events``.
    confidence : float, default=0.95
        Confidence level of the Wilson interval of the rate.

    Returns
    -------
    DataFrame
        One row per segment (index named ``segment_col``): ``customers`` (size
        of the segment), ``active`` (active in ``base_period``), ``retained``
        (active in both), ``rate`` (``retained / active``; NaN when no one in
        the segment was active in ``base_period``: nothing to retain), and the
        Wilson interval ``ci_low``, ``ci_high``.

    Warns
    -----
    RowsExcludedWarning
        Events of customers missing from ``customers`` are ignored; the
        warning counts those customers.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import retention_rate
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-01-09",
    ...                                  "2024-01-20", "2024-02-25"]),
    ... })
    >>> customers = pd.DataFrame({"segment": ["new", "new", "loyal"]},
    ...                          index=pd.Index([1, 2, 3], name="customer_id"))
    >>> retention_rate(events, customers, segment_col="segment",
    ...                base_period="2024-01", next_period="2024-02")[["active", "retained", "rate"]]
             active  retained  rate
    segment
    loyal         1         1   1.0
    new           2         1   0.5
    """
    check_frame(events, name="events")
    check_frame(customers, name="customers")
    conf = _check_confidence(confidence, owner="retention_rate")
    codes, segments = _segment_codes(customers, segment_col, name="customers")
    check_columns(events, {"customer_col": customer_col, "time_col": time_col}, name="events")
    times = to_datetime(events[time_col], column=time_col)
    base_start, base_end = _period_bounds(base_period, param="base_period", times=times)
    next_start, next_end = _period_bounds(next_period, param="next_period", times=times)
    if next_start < base_end:
        raise DataValidationError(
            f"next_period starts at {next_start}, before base_period ends ({base_end}); "
            f"retention compares a period with a later one"
        )
    if customers.index.has_duplicates:
        raise DataValidationError(
            f"customers has {int(customers.index.duplicated().sum())} duplicated ids in its "
            f"index; give one row per customer"
        )
    position = customers.index.get_indexer(pd.Index(events[customer_col]))
    unknown = position < 0
    if unknown.any():
        ids = events[customer_col].to_numpy()[unknown]
        warn_excluded(
            int(pd.unique(ids).size),
            f"customers of events are not in customers (their {int(unknown.sum())} events "
            f"are ignored); add them to customers, e.g. with an 'unknown' segment",
            stacklevel=2,
        )
    known = ~unknown
    in_base = known & ((times >= base_start) & (times < base_end)).to_numpy()
    in_next = known & ((times >= next_start) & (times < next_end)).to_numpy()
    n = len(customers)
    active = np.zeros(n, dtype=bool)
    again = np.zeros(n, dtype=bool)
    active[position[in_base]] = True
    again[position[in_next]] = True
    k = len(segments)
    n_active = _group_sum(active.astype(np.float64), codes, k)
    n_retained = _group_sum((active & again).astype(np.float64), codes, k)
    low, high = _wilson_interval(n_retained, n_active, conf)
    out: pd.DataFrame = pd.DataFrame(
        {
            "customers": _group_size(codes, k),
            "active": n_active.astype(np.int64),
            "retained": n_retained.astype(np.int64),
            "rate": _safe_divide(n_retained, n_active),
            "ci_low": low,
            "ci_high": high,
        },
        index=segments,
    )
    return out


@frame_boundary("data")
def engagement_rate(
    data: pd.DataFrame,
    *,
    segment_col: str,
    interactions_col: str = "interactions",
    audience_col: str | None = None,
) -> pd.DataFrame:
    """Interactions per audience member, per segment.

    Parameters
    ----------
    data : DataFrame
        Either one row per audience member (customer, subscriber) with their
        number of interactions (opens, clicks, likes, sessions ...), or, with
        ``audience_col``, rows of counts (several rows of a segment are added
        up). Not modified.
    segment_col : str
        Column with the segment labels. A Categorical column keeps all its
        categories, in order.
    interactions_col : str, default="interactions"
        Number of interactions (>= 0).
    audience_col : str or None, default=None
        Column with the audience size of each row of counts. ``None``: each row
        is one audience member.

    Returns
    -------
    DataFrame
        One row per segment (index named ``segment_col``): ``audience``,
        ``interactions``, ``rate`` = ``interactions / audience`` (a rate per
        member, not a proportion: it exceeds 1 when members interact more than
        once; NaN for an empty audience). With one row per member, also
        ``engaged`` (members with at least one interaction) and
        ``engaged_share`` (``engaged / audience``, in [0, 1]).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import engagement_rate
    >>> members = pd.DataFrame({"segment": ["a", "a", "a", "b"],
    ...                         "interactions": [0, 2, 4, 1]})
    >>> engagement_rate(members, segment_col="segment")
             audience  interactions  rate  engaged  engaged_share
    segment
    a               3           6.0   2.0        2       0.666667
    b               1           1.0   1.0        1       1.000000
    """
    check_frame(data, name="data")
    codes, segments = _segment_codes(data, segment_col, name="data")
    columns = {"interactions_col": interactions_col}
    if audience_col is not None:
        columns["audience_col"] = audience_col
    check_columns(data, columns, name="data")
    interactions = check_numeric(data[interactions_col], column=interactions_col, min_value=0.0)
    k = len(segments)
    total = _group_sum(interactions, codes, k)
    if audience_col is not None:
        audience = _group_sum(
            check_numeric(data[audience_col], column=audience_col, min_value=0.0), codes, k
        )
        counts: pd.DataFrame = pd.DataFrame(
            {"audience": audience, "interactions": total, "rate": _safe_divide(total, audience)},
            index=segments,
        )
        return counts
    size = _group_size(codes, k)
    engaged = _group_sum((interactions > 0).astype(np.float64), codes, k)
    out: pd.DataFrame = pd.DataFrame(
        {
            "audience": size,
            "interactions": total,
            "rate": _safe_divide(total, size),
            "engaged": engaged.astype(np.int64),
            "engaged_share": _safe_divide(engaged, size),
        },
        index=segments,
    )
    return out
