"""Subscription logs → one row per subscriber: ``subscription_table``; cohort survivor
counts → the same tenure table: ``tenures_from_survivors``.

Both write what the contractual models read (:class:`~behaviorseg.models.ShiftedBetaGeoModel`):
``tenure_periods``, the renewal decisions observed, and ``churned``. The log is put
in (customer, time, event) order once; spells, their ends and their renewals are
then found with whole-column numpy operations (running maxima, cumulative sums and
``bincount``), never a loop over subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    Options,
    as_timestamp,
    check_columns,
    check_frame,
    to_datetime,
    validate_params,
    warn_excluded,
)
from ..exceptions import DataValidationError, SchemaError

__all__ = ["SUBSCRIPTION_PERIODS", "subscription_table", "tenures_from_survivors"]

#: The billing periods ``subscription_table`` counts tenure in, with their length in
#: days ("D", "W") or months ("M", "Q", "Y").
SUBSCRIPTION_PERIODS: tuple[str, ...] = ("D", "W", "M", "Q", "Y")
_DAYS = {"D": 1, "W": 7}
_MONTHS = {"M": 1, "Q": 3, "Y": 12}
_NS_PER_DAY = 86_400 * 10**9
#: Event kinds, in the order events at the same instant are read.
_SIGNUP, _RENEWAL, _CANCEL = 0, 1, 2


def _wall(times: pd.Series) -> pd.Series:
    """Wall-clock times (time-zone-aware times in their own zone, made naive)."""
    if getattr(times.dt, "tz", None) is not None:
        out: pd.Series = times.dt.tz_localize(None)
        return out
    return times


def _full_periods(start: pd.Series, end: pd.Series, period: str) -> np.ndarray:
    """Whole billing periods from ``start`` to ``end`` (>= start), on the wall clock.

    Days and weeks count elapsed time; months, quarters and years count
    anniversaries: a period started on the 31st is complete on the last day of a
    shorter month (as :class:`pandas.DateOffset` moves dates), at the same time of day.
    """
    start, end = _wall(start), _wall(end)
    if period in _DAYS:
        elapsed = (end - start).to_numpy().astype("timedelta64[ns]").astype(np.int64)
        out: np.ndarray = elapsed // (_DAYS[period] * _NS_PER_DAY)
        return out
    months = (end.dt.year.to_numpy() - start.dt.year.to_numpy()) * 12 + (
        end.dt.month.to_numpy() - start.dt.month.to_numpy()
    )
    anniversary = np.minimum(start.dt.day.to_numpy(), end.dt.days_in_month.to_numpy())
    # Times of day in nanoseconds whatever each column's unit (pandas 3 keeps us or s).
    start_clock = (start - start.dt.normalize()).to_numpy().astype("timedelta64[ns]")
    end_clock = (end - end.dt.normalize()).to_numpy().astype("timedelta64[ns]")
    day = end.dt.day.to_numpy()
    short = (day < anniversary) | ((day == anniversary) & (end_clock < start_clock))
    months = months - short.astype(np.int64)
    result: np.ndarray = months // _MONTHS[period]
    return result


def _labels(value: str | Sequence[str], param: str) -> tuple[str, ...]:
    labels = (value,) if isinstance(value, str) else tuple(value)
    if not labels or not all(isinstance(v, str) for v in labels):
        raise TypeError(f"{param}={value!r} must be an event label (str) or a tuple of labels")
    return labels


def _event_kinds(values: pd.Series, column: str, labels: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Each row's event kind (signup, renewal, cancel); unknown labels raise."""
    kinds = np.full(len(values), -1, dtype=np.int64)
    for kind, names in enumerate(labels.values()):
        kinds[values.isin(names).to_numpy()] = kind
    unknown = kinds < 0
    if unknown.any():
        shown = pd.Series(values.to_numpy()[unknown]).value_counts(dropna=False).head(3)
        listed = ", ".join(f"{label!r} ({count} rows)" for label, count in shown.items())
        expected = ", ".join(f"{param}={names!r}" for param, names in labels.items())
        raise DataValidationError(
            f"column {column!r} has {int(unknown.sum())} values that are no known event "
            f"({listed}); the labels are {expected}. Map those events to them, pass other "
            f"labels, or drop the rows first"
        )
    return kinds


@frame_boundary("events")
def subscription_table(
    events: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    plan_col: str | None = None,
    period: str = "M",
    as_of: Any = None,
    spells: str = "last",
    signup_label: str | Sequence[str] = "signup",
    renewal_label: str | Sequence[str] = "renewal",
    cancel_label: str | Sequence[str] = "cancel",
) -> pd.DataFrame:
    """Summarise a subscription event log into one row per subscriber (or per spell).

    A *spell* runs from a sign-up to the next cancellation (or to ``as_of`` if
    there is none). Tenure counts renewal decisions, the unit of the
    shifted-beta-geometric model (:class:`~behaviorseg.models.ShiftedBetaGeoModel`):
    a churned subscriber left at decision ``ceil(duration / period)`` (1 = paid one
    period and did not renew); an active one has survived ``floor((as_of - start) /
    period)`` decisions (0 = still in the first period).

    Parameters
    ----------
    events : DataFrame
        One row per subscription event. Not modified.
    customer_col, time_col, event_col : str
        Column names: subscriber id, event time, event type.
    plan_col : str or None
        Optional column with the plan; the table reports the plan of each
        spell's latest event (so a renewal on a new plan counts as a change).
    period : {"D", "W", "M", "Q", "Y"}
        The billing period. Days and weeks count elapsed time; months, quarters
        and years count anniversaries on the wall clock (a subscription started
        on 31 January renews on the last day of February).
    as_of : date-like or None
        End of observation (default: the last event). Later rows are excluded
        with a :class:`~behaviorseg.exceptions.RowsExcludedWarning`.
    spells : {"last", "first", "all"}
        Re-subscriptions: each sign-up after a cancellation opens a new spell,
        numbered 1, 2, ... per subscriber. ``"last"`` (default) keeps each
        subscriber's current or most recent spell (the table to score today),
        ``"first"`` the first one (a clean acquisition cohort, for fitting),
        ``"all"`` every spell, indexed by (subscriber, spell).
    signup_label, renewal_label, cancel_label : str or tuple of str
        The values of ``event_col`` that mean each event. Any other value is an
        error that names it.

    Returns
    -------
    DataFrame
        Indexed by subscriber id (``"all"``: by subscriber id and ``spell``):

        - ``start`` (datetime): the spell's sign-up.
        - ``end`` (datetime): its cancellation; NaT while active.
        - ``tenure_periods`` (int): renewal decisions observed (see above).
        - ``churned`` (bool): cancelled by ``as_of``.
        - ``renewals`` (int): renewal events in the spell (informative: tenure
          is counted from the dates).
        - ``spell`` (int, not with ``"all"``): the spell's number.
        - ``n_spells`` (int): the subscriber's spells up to ``as_of``.
        - ``cohort`` (str): the ``period`` in which the spell started
          (e.g. ``"2024-01"``), to follow or fit cohorts.
        - ``plan`` (with ``plan_col``).

    Notes
    -----
    Events of one subscriber at the same instant are read sign-up, renewal,
    cancellation. Events that change nothing are excluded with a warning that
    counts them: a sign-up while a spell is open, a cancellation or a renewal
    with no open spell (e.g. a log that starts after the subscriber joined:
    such left-truncated subscribers are not in the table). A subscriber who
    stops paying without a cancellation event stays active: add a cancellation
    at the lapse to count it as churn.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import subscription_table
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-03-05",
    ...                                  "2024-01-20", "2024-02-20", "2024-03-20"]),
    ...     "event": ["signup", "renewal", "cancel", "signup", "renewal", "renewal"],
    ... })
    >>> subscription_table(log, as_of="2024-04-01")[["tenure_periods", "churned", "renewals"]]
                 tenure_periods  churned  renewals
    customer_id
    1                         2     True         1
    2                         2    False         2
    """
    validate_params(
        {"period": period, "spells": spells},
        {"period": [Options(SUBSCRIPTION_PERIODS)], "spells": [Options(("last", "first", "all"))]},
        owner="subscription_table",
    )
    labels = {
        "signup_label": _labels(signup_label, "signup_label"),
        "renewal_label": _labels(renewal_label, "renewal_label"),
        "cancel_label": _labels(cancel_label, "cancel_label"),
    }
    events = check_frame(events, name="events")
    columns = {"customer_col": customer_col, "time_col": time_col, "event_col": event_col}
    if plan_col is not None:
        columns["plan_col"] = plan_col
    check_columns(events, columns, name="events")

    has_id = events[customer_col].notna().to_numpy()
    warn_excluded(
        int((~has_id).sum()),
        f"rows have no subscriber id in column {customer_col!r} and were dropped",
        stacklevel=2,
    )
    frame = events.loc[has_id] if not has_id.all() else events
    if len(frame) == 0:
        raise DataValidationError(
            f"every row has a missing subscriber id in column {customer_col!r}"
        )
    times = to_datetime(frame[time_col], column=time_col)
    stamp = times.max() if as_of is None else as_timestamp(as_of, reference=times)
    inside = (times <= stamp).to_numpy()
    warn_excluded(
        int((~inside).sum()), f"rows are after as_of={stamp} and were excluded", stacklevel=2
    )
    if not inside.any():
        raise DataValidationError(
            f"every row of column {time_col!r} is after as_of={stamp}; there is nothing to "
            f"summarise"
        )
    frame, times = frame.loc[inside], times.loc[inside]
    kinds = _event_kinds(frame[event_col], event_col, labels)

    # One sort: subscriber, then time, then sign-up < renewal < cancel.
    codes, customers = pd.factorize(frame[customer_col].to_numpy(), sort=True)
    instants = _wall(times).to_numpy().astype("datetime64[ns]").astype(np.int64)
    order = np.lexsort((kinds, instants, codes))
    codes, kinds = codes[order], kinds[order]
    n_rows = len(codes)
    rows = np.arange(n_rows)
    first_row = np.ones(n_rows, dtype=bool)
    first_row[1:] = codes[1:] != codes[:-1]
    group_start = np.maximum.accumulate(np.where(first_row, rows, 0))

    # The state (open spell or not) after each row: the last sign-up or cancellation
    # of the same subscriber so far decides it.
    setter = kinds != _RENEWAL
    last_setter = np.maximum.accumulate(np.where(setter, rows, -1))
    known = last_setter >= group_start
    state_after = np.where(known, kinds[np.maximum(last_setter, 0)] == _SIGNUP, False)
    state_before = np.zeros(n_rows, dtype=bool)
    state_before[1:] = state_after[:-1]
    state_before[first_row] = False

    opens = (kinds == _SIGNUP) & ~state_before
    closes = (kinds == _CANCEL) & state_before
    renews = (kinds == _RENEWAL) & state_before
    for mask, what in (
        ((kinds == _SIGNUP) & state_before, "sign-up events came while a spell was open"),
        ((kinds == _CANCEL) & ~state_before, "cancellations came with no open spell"),
        ((kinds == _RENEWAL) & ~state_before, "renewals came with no open spell"),
    ):
        warn_excluded(
            int(mask.sum()),
            f"{what} (column {event_col!r}) and were ignored; a log that starts after "
            f"subscribers joined has them: such subscribers are left out",
            stacklevel=2,
        )
    if not opens.any():
        raise DataValidationError(
            f"column {event_col!r} has no sign-up ({labels['signup_label']!r}); a spell "
            f"starts at a sign-up: pass signup_label if yours is named otherwise"
        )

    # Spells, numbered globally (0..S-1) and per subscriber (1, 2, ...).
    spell_id = np.cumsum(opens) - 1
    n_spells_total = int(opens.sum())
    belongs = opens | closes | renews
    owner = codes[opens]
    opened_before = np.cumsum(opens) - opens
    spell_no = (opened_before[opens] - opened_before[group_start[opens]] + 1).astype(np.int64)
    n_spells = np.bincount(owner, minlength=len(customers))[owner]

    sorted_times = times.iloc[order]
    start = sorted_times.iloc[np.flatnonzero(opens)].reset_index(drop=True)
    end_rows = np.full(n_spells_total, -1, dtype=np.int64)
    end_rows[spell_id[closes]] = rows[closes]
    churned = end_rows >= 0
    end = sorted_times.iloc[np.maximum(end_rows, 0)].reset_index(drop=True).where(churned)
    renewals = np.bincount(spell_id[renews], minlength=n_spells_total).astype(np.int64)

    # Tenure: decisions survived (active) or the decision at which they left (churned).
    until = end.where(churned, stamp)
    if churned.any():
        just_before = until - pd.Timedelta(1, unit="ns")
        churned_tenure = _full_periods(start, just_before.where(churned, start), period) + 1
    else:
        churned_tenure = np.zeros(n_spells_total, dtype=np.int64)
    active_tenure = _full_periods(start, until, period)
    tenure = np.where(churned, np.maximum(churned_tenure, 1), active_tenure).astype(np.int64)

    data: dict[str, Any] = {
        "start": start,
        "end": end,
        "tenure_periods": tenure,
        "churned": churned,
        "renewals": renewals,
        "spell": spell_no,
        "n_spells": n_spells.astype(np.int64),
        "cohort": _wall(start).dt.to_period(period).astype(str).to_numpy(),
    }
    if plan_col is not None:
        last_row = np.full(n_spells_total, -1, dtype=np.int64)
        np.maximum.at(last_row, spell_id[belongs], rows[belongs])
        data["plan"] = frame[plan_col].to_numpy()[order][last_row]
    table = pd.DataFrame(data)
    ids = pd.Index(customers, name=customer_col)[owner]
    if spells == "all":
        table.index = pd.MultiIndex.from_arrays([ids, spell_no], names=[customer_col, "spell"])
        every: pd.DataFrame = table.drop(columns="spell")
        return every
    keep = spell_no == (1 if spells == "first" else n_spells)
    chosen: pd.DataFrame = table.loc[keep]
    chosen.index = ids[keep]
    return chosen


def tenures_from_survivors(survivors: Any) -> pd.DataFrame:
    """Turn cohort survivor counts into the tenure table the sBG model fits.

    The contractual papers report a cohort as the number still subscribed at the
    start and after each renewal (Fader & Hardie, 2007: 1000, 869, 743, ...).
    Each drop is a group of subscribers who churned at that renewal decision;
    the last count are still active (right-censored).

    Parameters
    ----------
    survivors : sequence of numbers, Series or DataFrame
        One cohort: the counts at periods 0, 1, 2, ... (non-increasing). Several
        cohorts: a DataFrame with one column per cohort and one row per period,
        ``NaN`` after a cohort's last observed period (a triangle of cohorts
        that started at different times).

    Returns
    -------
    DataFrame
        One row per (cohort, tenure, churned) group with subscribers:
        ``cohort`` (only for a DataFrame: the column name), ``tenure_periods``
        (int), ``churned`` (bool), ``n_subscribers`` (the weight to pass as
        ``sample_weight``; whole numbers stay int).

    Examples
    --------
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> tenures_from_survivors([1000, 631, 468, 382])
       tenure_periods  churned  n_subscribers
    0               1     True            369
    1               2     True            163
    2               3     True             86
    3               3    False            382
    """
    if isinstance(survivors, pd.DataFrame):
        check_frame(survivors, name="survivors")
        parts = [
            _cohort_tenures(survivors[col], f"column {col!r} of survivors").assign(cohort=col)
            for col in survivors.columns
        ]
        table = pd.concat(parts, ignore_index=True)
        columns = ["cohort", "tenure_periods", "churned", "n_subscribers"]
        ordered: pd.DataFrame = table[columns]
        return ordered
    return _cohort_tenures(survivors, "survivors")


def _cohort_tenures(survivors: Any, name: str) -> pd.DataFrame:
    """The tenure table of one cohort's survivor counts."""
    if isinstance(survivors, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of counts, got a string")
    try:
        counts = np.asarray(survivors, dtype=np.float64).ravel()
    except (TypeError, ValueError) as err:
        raise SchemaError(f"{name} must hold numbers (survivor counts): {err}") from err
    observed = np.flatnonzero(~np.isnan(counts))
    if len(observed) == 0:
        raise DataValidationError(f"{name} has no counts")
    if len(observed) != observed[-1] + 1:
        raise DataValidationError(
            f"{name} has a missing count before its last one; only the periods after a "
            f"cohort's last observation may be missing (NaN)"
        )
    counts = counts[observed]
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or counts[0] <= 0:
        raise DataValidationError(
            f"{name} must hold finite counts >= 0, starting with the cohort's size (> 0)"
        )
    lost = -np.diff(counts)
    if np.any(lost < 0):
        rises = int(np.flatnonzero(lost < 0)[0]) + 1
        raise DataValidationError(
            f"{name} rises at period {rises} ({counts[rises - 1]:g} -> {counts[rises]:g}); "
            f"survivor counts of a cohort cannot grow: re-joiners belong to a new cohort"
        )
    horizon = len(counts) - 1
    tenure = np.append(np.arange(1, horizon + 1), horizon).astype(np.int64)
    churned = np.append(np.ones(horizon, dtype=bool), False)
    weight = np.append(lost, counts[-1])
    keep = weight > 0
    whole = bool(np.all(weight == np.floor(weight)))
    table: pd.DataFrame = pd.DataFrame(
        {
            "tenure_periods": tenure[keep],
            "churned": churned[keep],
            "n_subscribers": weight[keep].astype(np.int64) if whole else weight[keep],
        }
    )
    return table
