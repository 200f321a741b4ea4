"""split_sessions and session_table: hand-worked logs, a plain pandas reference, row order,
time zones, funnels per session and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.summaries import funnel_table, session_table, split_sessions
from strategies import transaction_logs


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [2, 1, 1, 2, 1, 1],
            "timestamp": pd.to_datetime(
                [
                    "2024-03-01 10:00",
                    "2024-03-01 09:45",
                    "2024-03-01 09:00",
                    "2024-03-01 10:31",
                    "2024-03-01 09:30",  # exactly 30 min after 09:00: same session
                    "2024-03-01 09:45",  # same instant as row 1
                ]
            ),
            "event": ["home", "cart", "home", "home", "product_view", "purchase"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def _reference(events: pd.DataFrame, gap: pd.Timedelta) -> np.ndarray:
    """Session ids by plain pandas: sort, per-customer diff, cumsum (the definition)."""
    ordered = events.sort_values(["customer_id", "timestamp"], kind="stable")
    new_customer = ordered["customer_id"].ne(ordered["customer_id"].shift())
    gaps = ordered.groupby("customer_id", sort=False)["timestamp"].diff()
    opens = new_customer | (gaps > gap)
    ids = opens.cumsum() - 1
    return ids.reindex(events.index).to_numpy()


def test_sessions_by_hand_keep_rows_and_index():
    """Customer 1: 09:00, 09:30 (gap = 30 min exactly), 09:45 twice → one session; customer
    2: 10:00 then 10:31 (31 min) → two sessions. Rows and index stay in the caller's order."""
    log = _log()
    before = log.copy()
    out = split_sessions(log, gap="30min", number_col="session_number")
    pd.testing.assert_frame_equal(log, before)  # never mutated
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    assert out["session_id"].tolist() == [1, 0, 0, 2, 0, 0]
    assert out["session_number"].tolist() == [1, 1, 1, 2, 1, 1]
    assert out["session_id"].dtype == np.int64
    pd.testing.assert_frame_equal(out[log.columns], log)


def test_gap_is_strictly_greater():
    """With a 29-minute gap, customer 1's 30-minute pause opens a new session."""
    out = split_sessions(_log(), gap=pd.Timedelta(minutes=29))
    assert out["session_id"].tolist() == [2, 1, 0, 3, 1, 1]


@settings(max_examples=60, deadline=None)
@given(
    log=transaction_logs(max_customers=5, max_rows=30),
    minutes=st.sampled_from([1, 60, 24 * 60, 3 * 24 * 60]),
)
def test_session_ids_equal_a_plain_pandas_reference(log, minutes):
    """Any log, any row order: the ids equal the sort-diff-cumsum definition."""
    gap = pd.Timedelta(minutes=minutes)
    out = split_sessions(log, gap=gap, number_col="n")
    np.testing.assert_array_equal(out["session_id"].to_numpy(), _reference(log, gap))
    first = out.groupby("customer_id")["session_id"].transform("min")
    np.testing.assert_array_equal(out["n"], out["session_id"] - first + 1)


def test_unsorted_sub_second_times_take_the_general_path():
    """Nanosecond times out of order (no coarse unit to pack) still sessionise correctly."""
    rng = np.random.default_rng(0)
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**13, 500), unit="ns")
    log = pd.DataFrame({"customer_id": rng.integers(0, 7, 500), "timestamp": times})
    out = split_sessions(log, gap="5s")
    np.testing.assert_array_equal(out["session_id"], _reference(log, pd.Timedelta("5s")))


def test_string_ids_and_time_zones():
    """String ids sort; aware timestamps measure gaps in absolute time across a DST change."""
    times = pd.to_datetime(["2024-03-31 01:50", "2024-03-31 03:10"]).tz_localize("Europe/Paris")
    log = pd.DataFrame({"customer_id": ["b", "b"], "timestamp": times})
    # 01:50 CET to 03:10 CEST is 20 minutes of real time
    assert split_sessions(log, gap="30min")["session_id"].tolist() == [0, 0]
    table = session_table(split_sessions(log, gap="30min"))
    assert table["duration_minutes"].tolist() == [20.0]
    assert str(table["start"].dt.tz) == "Europe/Paris"


def test_missing_customer_ids_are_dropped_with_a_warning():
    """Rows without a customer belong to no session: dropped and counted."""
    log = _log()
    log.loc[13, "customer_id"] = np.nan
    with pytest.warns(RowsExcludedWarning, match="1 rows have no customer id"):
        out = split_sessions(log)
    assert 13 not in out.index and len(out) == 5


def test_session_table_by_hand():
    """One row per session: customer, start, end, duration and events."""
    table = session_table(split_sessions(_log(), gap="30min"))
    assert table.index.name == "session_id" and list(table.index) == [0, 1, 2]
    assert table["customer_id"].tolist() == [1, 2, 2]
    assert table["duration_minutes"].tolist() == [45.0, 0.0, 0.0]
    assert table["event_count"].tolist() == [4, 1, 1]
    assert table["start"].iloc[0] == pd.Timestamp("2024-03-01 09:00")


def test_session_table_refuses_ids_shared_by_customers():
    """A session id used by two customers is refused with the fix."""
    log = _log().assign(session_id=0)
    with pytest.raises(DataValidationError, match="shared by several customers"):
        session_table(log)


def test_funnels_count_per_session():
    """funnel_table with customer_col='session_id' gives one row per session."""
    sessions = split_sessions(_log(), gap="30min")
    stages = {"visit": "home", "desire": "cart", "action": "purchase"}
    with pytest.warns(RowsExcludedWarning):  # product_view marks no stage
        funnel = funnel_table(sessions, stages=stages, customer_col="session_id")
    assert funnel["reached_action"].tolist() == [True, False, False]
    assert funnel["reached_visit"].tolist() == [True, True, True]


def test_bad_input_names_the_problem():
    """Existing output column, missing column, bad gap: clear errors."""
    with pytest.raises(SchemaError, match="already has a column 'event'"):
        split_sessions(_log(), session_col="event")
    with pytest.raises(SchemaError, match="time_col"):
        split_sessions(_log(), time_col="when")
    with pytest.raises(ValueError, match="gap"):
        split_sessions(_log(), gap="-5min")
    with pytest.raises(ValueError, match="name them apart"):
        split_sessions(_log(), number_col="session_id")
