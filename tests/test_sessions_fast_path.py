"""The fast sessionizer and cohort matrix give exactly what the straightforward code gives.

``split_sessions`` and ``session_table`` code customers and sessions densely and order
rows by sorting packed int64 keys; ``cohort_retention`` counts (customer, period) pairs
over dense codes. Each test below restates the documented rules the plain pandas way
(``sort_values``, a per-customer ``diff``, ``cumsum``, ``groupby``, ``to_period``) and
requires bit-identical frames on random logs: sorted and shuffled, compact, sparse and
string ids, missing ids, ties at one instant, gaps exactly equal to the threshold,
several time units and time zones (across daylight saving changes), and several
gap and period choices.
"""

from __future__ import annotations

import warnings
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning
from behaviorseg.kpi import _cohorts, cohort_retention
from behaviorseg.summaries import _sessions, session_table, split_sessions

#: Origin of every log: a week before the 2024 spring daylight saving change in Europe.
BASE = pd.Timestamp("2024-03-24")

#: Gaps as users pass them: strings, Timedeltas and bare numbers of days.
GAPS: tuple[Any, ...] = ("10min", "30min", pd.Timedelta(hours=1), 0.5, 1)


def _random_log(
    seed: int,
    *,
    n_rows: int,
    n_customers: int,
    id_kind: str,
    missing_ids: bool,
    time_sorted: bool,
    unit: str,
    tz: str | None,
    step_seconds: int,
    n_slots: int,
    jitter: bool,
    index_kind: str,
) -> pd.DataFrame:
    """A messy log: instants on a grid of ``step_seconds`` (so gaps equal to a threshold
    and ties at one instant are common), optional sub-step jitter, any row order."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_rows)
    ids: Any
    if id_kind == "compact":
        ids = customer + 1000
    elif id_kind == "sparse":
        ids = customer.astype(np.int64) * 10**9 - 5 * 10**9
    else:
        ids = np.array([f"c{c:03d}" for c in customer], dtype=object)
    if missing_ids and n_rows > 1:
        ids = pd.Series(ids, dtype=object if id_kind == "string" else "float64")
        ids[rng.random(n_rows) < 0.1] = None
    seconds = rng.integers(0, n_slots, n_rows).astype(np.int64) * step_seconds
    offsets = pd.to_timedelta(seconds, unit="s")
    if jitter:  # a few rows off the grid, by a unit the column can hold
        tick = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
        extra = rng.integers(0, 1000, n_rows) * tick * (rng.random(n_rows) < 0.2)
        offsets = offsets + pd.to_timedelta(extra, unit="ns")
    times = (BASE + offsets).as_unit(unit)
    if tz is not None:
        times = times.tz_localize("UTC").tz_convert(tz)
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "timestamp": times,
            "event": np.array(["view", "cart", "buy"], dtype=object)[rng.integers(0, 3, n_rows)],
            "value": rng.integers(0, 5, n_rows).astype(np.float64),
        }
    )
    order = (
        np.argsort(log["timestamp"].array.asi8, kind="stable")
        if time_sorted
        else rng.permutation(n_rows)
    )
    log = log.iloc[order]
    if index_kind == "range":
        log.index = pd.RangeIndex(n_rows)
    elif index_kind == "reversed":
        log.index = pd.Index(np.arange(n_rows)[::-1] * 3 + 7)
    elif index_kind == "labels":
        log.index = pd.Index([f"row{i}" for i in range(n_rows)])
    return log  # "kept": the shuffled positions stay as the index


def _logs(*, step_seconds: tuple[int, ...], max_slots: int) -> st.SearchStrategy[pd.DataFrame]:
    return st.builds(
        _random_log,
        seed=st.integers(0, 2**31),
        n_rows=st.integers(1, 250),
        n_customers=st.integers(1, 30),
        id_kind=st.sampled_from(["compact", "sparse", "string"]),
        missing_ids=st.booleans(),
        time_sorted=st.booleans(),
        unit=st.sampled_from(["s", "ms", "us", "ns"]),
        tz=st.sampled_from([None, "UTC", "Europe/Paris", "America/New_York"]),
        step_seconds=st.sampled_from(step_seconds),
        n_slots=st.integers(1, max_slots),
        jitter=st.booleans(),
        index_kind=st.sampled_from(["range", "reversed", "labels", "kept"]),
    )


#: Event logs: instants 5 or 10 minutes apart over at most about two weeks.
event_logs = _logs(step_seconds=(300, 600), max_slots=2000)

#: Transaction logs: instants hours apart over at most about three years.
transaction_logs = _logs(step_seconds=(3600, 6 * 3600), max_slots=4500)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _gap(gap: Any) -> pd.Timedelta:
    """A gap as documented: a bare number is a number of days."""
    return pd.Timedelta(days=gap) if isinstance(gap, (int, float)) else pd.Timedelta(gap)


def _reference_sessions(
    events: pd.DataFrame, gap: pd.Timedelta, number_col: str | None
) -> pd.DataFrame:
    """split_sessions' documented rules: drop rows without an id, sort by (customer,
    time), open a session at a customer's first event or after a gap strictly greater
    than ``gap``, number sessions by a running count, write back in the caller's order."""
    kept = events.loc[events["customer_id"].notna()]
    work = pd.DataFrame(
        {
            "customer": kept["customer_id"].to_numpy(),
            "time": kept["timestamp"].to_numpy(),
            "row": np.arange(len(kept)),
        }
    )
    if kept["timestamp"].dt.tz is not None:
        work["time"] = kept["timestamp"].dt.tz_convert("UTC").to_numpy()
    ordered = work.sort_values(["customer", "time"], kind="stable")
    first = ordered["customer"].ne(ordered["customer"].shift())
    since_previous = ordered.groupby("customer", sort=False)["time"].diff()
    opens = first | (since_previous > gap)
    ids = opens.cumsum().to_numpy().astype(np.int64) - 1
    session_ids = np.empty(len(kept), dtype=np.int64)
    session_ids[ordered["row"].to_numpy()] = ids
    out = kept.copy()
    out["session_id"] = session_ids
    if number_col is not None:
        first_id = pd.Series(ids).groupby(ordered["customer"].to_numpy()).transform("min")
        numbers = np.empty(len(kept), dtype=np.int64)
        numbers[ordered["row"].to_numpy()] = ids - first_id.to_numpy() + 1
        out[number_col] = numbers
    return out


@settings(max_examples=200, deadline=None)
@given(log=event_logs, gap=st.sampled_from(GAPS), numbered=st.booleans())
def test_split_sessions_is_bit_identical_to_sort_diff_cumsum(log, gap, numbered):
    """The whole frame (rows, index, carried columns, ids, numbers) equals the plain
    sort / per-customer diff / cumsum restatement, and the caller's frame is untouched."""
    before = log.copy()
    number_col = "session_number" if numbered else None
    n_missing = int(log["customer_id"].isna().sum())
    if n_missing == len(log):
        with pytest.raises(DataValidationError, match="every row has a missing customer id"):
            split_sessions(log, gap=gap)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = split_sessions(log, gap=gap, number_col=number_col)
    excluded = [str(w.message) for w in caught if issubclass(w.category, RowsExcludedWarning)]
    assert len(excluded) == (1 if n_missing else 0)
    assert all(m.startswith(f"{n_missing} rows have no customer id") for m in excluded)
    expected = _reference_sessions(log, _gap(gap), number_col)
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    pd.testing.assert_frame_equal(log, before, check_exact=True)


@settings(max_examples=60, deadline=None)
@given(log=event_logs, gap=st.sampled_from(GAPS))
def test_split_sessions_does_not_depend_on_row_order(log, gap):
    """Shuffling the rows moves each row's session id with it (ties included)."""
    log = log.loc[log["customer_id"].notna()]
    if log.empty:
        return
    out = _quiet(split_sessions, log, gap=gap)
    shuffled = log.sample(frac=1.0, random_state=1)
    again = _quiet(split_sessions, shuffled, gap=gap)
    pd.testing.assert_frame_equal(again, out.loc[shuffled.index], check_exact=True)


def _reference_session_table(sessions: pd.DataFrame) -> pd.DataFrame:
    """session_table's documented rules by one groupby over the session id (times in
    nanoseconds, in the column's zone; the duration is end - start in minutes)."""
    times = sessions["timestamp"].dt.as_unit("ns")
    grouped = times.groupby(sessions["session_id"].to_numpy(), sort=True)
    start, end = grouped.min(), grouped.max()
    owner = sessions["customer_id"].groupby(sessions["session_id"].to_numpy(), sort=True)
    assert (owner.nunique() == 1).all()
    out = pd.DataFrame(
        {
            "customer_id": owner.first(),
            "start": start,
            "end": end,
            "duration_minutes": (end - start) / pd.Timedelta(minutes=1),
            "event_count": grouped.size().astype(np.int64),
        }
    )
    out.index.name = "session_id"
    return out


@settings(max_examples=150, deadline=None)
@given(
    log=event_logs,
    gap=st.sampled_from(GAPS),
    relabel=st.sampled_from(["ids", "shifted", "sparse", "strings"]),
    fast_ufunc_at=st.booleans(),
)
def test_session_table_is_bit_identical_to_a_groupby(log, gap, relabel, fast_ufunc_at):
    """One row per session, equal to a groupby on the session id, for the ids of
    split_sessions (as they are, or shifted) and for session ids logged by an app
    (sparse integers or strings, unrelated to customer order); with minimum.at /
    maximum.at or with the sort and reduceat used before numpy 1.25."""
    log = log.loc[log["customer_id"].notna()]
    if log.empty:
        return
    sessions = _quiet(split_sessions, log, gap=gap)
    codes = sessions["session_id"].to_numpy()
    scrambled = np.random.default_rng(len(codes)).permutation(int(codes.max()) + 1)
    if relabel == "shifted":
        sessions["session_id"] = codes + 10**12
    elif relabel == "sparse":  # every other id of the range unused
        sessions["session_id"] = scrambled[codes] * 2 - 5
    elif relabel == "strings":
        sessions["session_id"] = [f"s{c:05d}" for c in scrambled[codes]]
    before = sessions.copy()
    with mock.patch.object(_sessions, "_FAST_UFUNC_AT", fast_ufunc_at):
        out = session_table(sessions)
    pd.testing.assert_frame_equal(out, _reference_session_table(sessions), check_exact=True)
    pd.testing.assert_frame_equal(sessions, before, check_exact=True)


def _local(times: pd.Series) -> pd.Series:
    return times.dt.tz_localize(None) if times.dt.tz is not None else times


def _reference_cohorts(
    tx: pd.DataFrame, period: str, as_of: pd.Timestamp, acquisition: Any
) -> pd.DataFrame | None:
    """cohort_retention's documented rules with to_period and groupbys (None: nobody is
    acquired by as_of, an error)."""
    tx = tx.loc[tx["customer_id"].notna() & (tx["timestamp"] <= as_of)]
    active_period = _local(tx["timestamp"]).dt.to_period(period)
    last = _local(pd.Series([as_of])).dt.to_period(period).iloc[0]
    if acquisition is None:
        cohort_of = active_period.groupby(tx["customer_id"].to_numpy()).min()
    elif isinstance(acquisition, str):
        dates = _local(tx[acquisition]).dt.to_period(period)
        cohort_of = dates.groupby(tx["customer_id"].to_numpy()).first()
    else:
        cohort_of = _local(acquisition).dt.to_period(period)
    cohort_of = cohort_of[cohort_of <= last]
    if cohort_of.empty:
        return None
    pairs = pd.DataFrame(
        {"customer": tx["customer_id"].to_numpy(), "period": active_period.to_numpy()}
    ).drop_duplicates()
    pairs = pairs.loc[pairs["customer"].isin(cohort_of.index)]
    pairs["cohort"] = cohort_of.reindex(pairs["customer"].to_numpy()).to_numpy()
    pairs = pairs.loc[pairs["period"] >= pairs["cohort"]]
    sizes = cohort_of.value_counts().to_dict()
    active = pairs.groupby(["cohort", "period"]).size().to_dict()
    rows = []
    for cohort in pd.period_range(cohort_of.min(), cohort_of.max(), freq=period):
        for offset in range(last.ordinal - cohort.ordinal + 1):
            size = int(sizes.get(cohort, 0))
            count = int(active.get((cohort, cohort + offset), 0))
            rows.append((cohort, offset, cohort + offset, size, count))
    out = pd.DataFrame(rows, columns=["cohort", "offset", "period", "cohort_size", "active"])
    out = out.astype({"offset": np.int64, "cohort_size": np.int64, "active": np.int64})
    out["period"] = pd.PeriodIndex(out["period"], freq=period)
    out["share"] = out["active"] / out["cohort_size"].where(out["cohort_size"] > 0)
    index = pd.MultiIndex.from_arrays(
        [pd.PeriodIndex(out["cohort"], freq=period), out["offset"]], names=["cohort", "offset"]
    )
    return out.drop(columns=["cohort", "offset"]).set_index(index)


def _acquisition(log: pd.DataFrame, kind: str, seed: int) -> Any:
    """None, a column of one date per customer, or a Series of sign-up dates that
    misses some customers and adds others who never bought."""
    if kind == "first":
        return None
    rng = np.random.default_rng(seed)
    customers = pd.Index(log["customer_id"].dropna().unique())
    early = pd.to_timedelta(rng.integers(0, 400, len(customers)), unit="D")
    firsts = log.groupby("customer_id")["timestamp"].min().reindex(customers)
    if kind == "column":
        dates = pd.Series((firsts - early).to_numpy(), index=customers)
        log["signup"] = dates.reindex(log["customer_id"].to_numpy()).to_numpy()
        return "signup"
    shift = pd.to_timedelta(rng.integers(-300, 300, len(customers)), unit="D")
    signups = pd.Series((firsts + shift).to_numpy(), index=customers)
    signups = signups.loc[rng.random(len(customers)) < 0.8]
    if len(signups) and rng.random() < 0.5:  # a customer who signed up but never bought
        new_id = "zzz" if isinstance(customers[0], str) else customers.max() + 1
        signups = pd.concat([signups, pd.Series([signups.iloc[0]], index=[new_id])])
    return signups


@settings(max_examples=200, deadline=None)
@given(
    log=transaction_logs,
    period=st.sampled_from(["D", "W", "M", "Q", "Y"]),
    cut=st.sampled_from([None, 0.5, 0.9]),
    acquisition_kind=st.sampled_from(["first", "first", "column", "series"]),
    seed=st.integers(0, 2**16),
    bitmap=st.booleans(),
)
def test_cohort_retention_is_bit_identical_to_to_period_groupbys(
    log, period, cut, acquisition_kind, seed, bitmap
):
    """Every cell (period, sizes, counts, shares) and the index equal the to_period /
    groupby restatement, for first-purchase cohorts and given acquisition dates, with
    the active (customer, period) pairs found by a bitmap or by sorting their keys."""
    log = log.copy()
    if acquisition_kind == "series" and period == "D":
        period = "W"  # daily cohorts over years of sign-ups: a very tall matrix
    if acquisition_kind == "column":
        log = log.loc[log["customer_id"].notna()]
    acquisition = _acquisition(log, acquisition_kind, seed)
    times = log.loc[log["customer_id"].notna(), "timestamp"]
    if times.empty:
        return
    as_of = times.max() if cut is None else times.min() + (times.max() - times.min()) * cut
    if period == "D" and (as_of - times.min()) > pd.Timedelta(days=60):
        period = "W"  # keep the daily matrix small
    before = log.copy()
    expected = _reference_cohorts(log, period, as_of, acquisition)
    if expected is None:
        with pytest.raises(DataValidationError, match="acquired after as_of"):
            _quiet(cohort_retention, log, period=period, as_of=as_of, acquisition=acquisition)
        return
    budget = (_cohorts._BITMAP_BYTES_PER_ROW, _cohorts._BITMAP_MIN_BYTES) if bitmap else (0, 0)
    with mock.patch.multiple(
        _cohorts, _BITMAP_BYTES_PER_ROW=budget[0], _BITMAP_MIN_BYTES=budget[1]
    ):
        out = _quiet(cohort_retention, log, period=period, as_of=as_of, acquisition=acquisition)
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    pd.testing.assert_frame_equal(log, before, check_exact=True)


@settings(max_examples=60, deadline=None)
@given(log=transaction_logs, cut=st.floats(0.2, 0.95))
def test_cohort_retention_warns_with_the_count_of_late_rows(log, cut):
    """Rows after as_of are excluded with a warning that counts them."""
    log = log.loc[log["customer_id"].notna()]
    if log.empty:
        return
    times = log["timestamp"]
    as_of = times.min() + (times.max() - times.min()) * cut
    n_late = int((times > as_of).sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cohort_retention(log, period="M", as_of=as_of)
    messages = [str(w.message) for w in caught if issubclass(w.category, RowsExcludedWarning)]
    late = [m for m in messages if "after as_of" in m and "rows" in m]
    assert late == ([late[0]] if n_late else [])
    if n_late:
        assert late[0].startswith(f"{n_late} rows are after as_of")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_period_ordinals_match_to_period_in_every_unit(unit, period):
    """Casting the times from their own unit floors like pandas' periods, before 1970 too."""
    times = pd.Series(pd.date_range("1965-12-25", "1971-01-10", freq="13h") + pd.Timedelta("7s"))
    times = times.dt.as_unit(unit)
    expected = times.dt.to_period(period).array.asi8
    np.testing.assert_array_equal(_cohorts._ordinals(times, period), expected)


@pytest.mark.parametrize("numbered", [False, True])
def test_split_sessions_output_never_writes_through_to_the_input(numbered):
    """The output shares no writable data with the caller's frame: writing to it
    (carried columns included) leaves the input as it was."""
    log = _random_log(
        3, n_rows=50, n_customers=4, id_kind="compact", missing_ids=False, time_sorted=True,
        unit="us", tz=None, step_seconds=600, n_slots=40, jitter=False, index_kind="range",
    )  # fmt: skip
    before = log.copy()
    out = split_sessions(log, number_col="n" if numbered else None)
    out.loc[out.index[0], "value"] = -1.0
    out.loc[out.index[1], "customer_id"] = -7
    out["event"] = "changed"
    pd.testing.assert_frame_equal(log, before, check_exact=True)


def test_acquisition_column_of_strings_is_parsed_like_datetimes():
    """Acquisition dates given as strings give the table of the same dates as datetimes."""
    log = _random_log(
        5, n_rows=80, n_customers=6, id_kind="string", missing_ids=False, time_sorted=False,
        unit="s", tz=None, step_seconds=6 * 3600, n_slots=400, jitter=False, index_kind="range",
    )  # fmt: skip
    firsts = log.groupby("customer_id")["timestamp"].transform("min")
    as_dates = log.assign(signup=firsts - pd.Timedelta(days=40))
    as_strings = as_dates.assign(signup=as_dates["signup"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    expected = _quiet(cohort_retention, as_dates, acquisition="signup")
    out = _quiet(cohort_retention, as_strings, acquisition="signup")
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
