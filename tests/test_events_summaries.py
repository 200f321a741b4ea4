"""usage_table, funnel_table and make_events: exact semantics, bad input, invariants."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.datasets import make_events
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.summaries import AIDA_STAGES, funnel_table, usage_table

DAY = pd.Timedelta(days=1)
BASE = pd.Timestamp("2024-03-01")

#: The 7-stage funnel many teams use instead of AIDA.
LONG_FUNNEL = (
    ("awareness", ("ad_impression",)),
    ("interest", ("site_visit",)),
    ("consideration", ("product_view", "compare")),
    ("intent", ("add_to_cart",)),
    ("purchase", ("purchase",)),
    ("loyalty", ("repeat_purchase",)),
    ("advocacy", ("referral", "review")),
)


def _log(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Build a log from rows whose second field is an ISO timestamp."""
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    return frame


@pytest.fixture
def usage_log() -> pd.DataFrame:
    return _log(
        [
            (1, "2024-03-01T09:00", "session", 30.0, "reports"),
            (1, "2024-03-01T17:00", "session", 10.0, "reports"),
            (1, "2024-03-20T12:00", "session", 20.0, "export"),
            (1, "2024-03-21T12:00", "purchase", 99.0, None),
            (2, "2024-01-05T00:00", "session", 45.0, "api"),
            (3, "2024-03-25T00:00", "signup", np.nan, None),
        ],
        ("customer_id", "timestamp", "event", "minutes", "feature"),
    )


def _quiet(func: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        out: pd.DataFrame = func(*args, **kwargs)
    return out


# --- usage_table -------------------------------------------------------------------------


def test_usage_table_counts_events_days_value_and_features(usage_log):
    """Counts, distinct days, total value, rate per day and distinct features per customer."""
    table = usage_table(
        usage_log,
        event_col="event",
        value_col="minutes",
        feature_col="feature",
        usage_events="session",
        as_of="2024-03-31",
    )
    assert list(table.index) == [1, 2, 3]
    assert table.index.name == "customer_id"
    assert table["event_count"].tolist() == [3, 1, 0]
    assert table["active_days"].tolist() == [2, 1, 0]  # two sessions on 1 March: one day
    assert table["usage_value"].tolist() == [60.0, 45.0, 0.0]
    assert table["events_per_active_day"].tolist() == [1.5, 1.0, 0.0]
    assert table["distinct_features"].tolist() == [2, 1, 0]
    expected_days = [
        (pd.Timestamp("2024-03-31") - pd.Timestamp("2024-03-20T12:00")) / DAY,
        (pd.Timestamp("2024-03-31") - pd.Timestamp("2024-01-05")) / DAY,
    ]
    np.testing.assert_allclose(table["days_since_last_activity"].iloc[:2], expected_days)
    assert np.isnan(table["days_since_last_activity"].iloc[2])  # customer 3 never used it


def test_usage_table_without_value_col_counts_each_event_once(usage_log):
    """Without value_col, usage_value equals event_count and every event counts."""
    table = usage_table(usage_log)
    assert table["event_count"].tolist() == [4, 1, 1]
    np.testing.assert_array_equal(table["usage_value"], table["event_count"])
    assert "distinct_features" not in table.columns


def test_window_keeps_customers_seen_before_it_with_zero_usage(usage_log):
    """A customer with events only before the window stays, with zero usage, nothing lost."""
    table = usage_table(
        usage_log, event_col="event", value_col="minutes", usage_events="session",
        as_of="2024-03-31", window="30D",
    )  # fmt: skip
    assert list(table.index) == [1, 2, 3]
    assert table.loc[2, "event_count"] == 0
    assert table.loc[2, "usage_value"] == 0.0
    # days since last activity still tells how long ago customer 2 last used the product
    assert table.loc[2, "days_since_last_activity"] == pytest.approx(86.0)
    # the window is [as_of - 30 days, as_of]: all three sessions of customer 1 are in it
    assert table.loc[1, "event_count"] == 3


def test_window_edge_is_inclusive_and_forms_are_equivalent(usage_log):
    """Events at exactly as_of - window count; "20D", Timedelta and 20 (days) agree."""
    kwargs: dict[str, Any] = {"as_of": "2024-03-21T12:00"}
    tables = [_quiet(usage_table, usage_log, window=w, **kwargs) for w in ("20D", 20 * DAY, 20)]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
    # 2024-03-01T12:00 is exactly 20 days before as_of: the 17:00 session counts, 09:00 not
    assert tables[0].loc[1, "event_count"] == 3  # 17:00 session, 03-20 session, purchase


def test_rows_after_as_of_are_excluded_with_a_warning_that_counts_them(usage_log):
    """Rows after as_of are dropped; the warning counts rows and customers left out."""
    with pytest.warns(RowsExcludedWarning, match=r"^3 rows are after .*\(1 customers"):
        table = usage_table(usage_log, as_of="2024-03-20")
    assert list(table.index) == [1, 2]  # customer 3 signed up later
    assert table.loc[1, "event_count"] == 2


def test_duplicate_rows_count_once_with_a_warning(usage_log):
    """A row repeated in every column read counts once (warned); drop_duplicates=False keeps it."""
    doubled = pd.concat([usage_log, usage_log.iloc[[0, 0]]], ignore_index=True)
    with pytest.warns(RowsExcludedWarning, match=r"^2 rows repeat"):
        table = usage_table(doubled, value_col="minutes", feature_col="feature",
                            event_col="event", usage_events=("session",))  # fmt: skip
    assert table.loc[1, "usage_value"] == 60.0
    kept = usage_table(
        doubled, value_col="minutes", event_col="event", usage_events="session",
        drop_duplicates=False,
    )  # fmt: skip
    assert kept.loc[1, "usage_value"] == 120.0


def test_same_instant_with_different_values_is_not_a_duplicate(usage_log):
    """Two events at one instant that differ in a column read are two events."""
    extra = usage_log.iloc[[0]].assign(minutes=5.0)
    table = usage_table(pd.concat([usage_log, extra]), value_col="minutes",
                        event_col="event", usage_events="session")  # fmt: skip
    assert table.loc[1, "event_count"] == 4


def test_active_days_are_local_calendar_days_for_aware_timestamps():
    """Two events on one local day (different UTC days) are one active day."""
    log = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": pd.to_datetime(["2024-03-01 00:30", "2024-03-01 23:30"]).tz_localize(
                "America/New_York"
            ),
        }
    )
    table = usage_table(log)
    assert table.loc[1, "active_days"] == 1
    assert table.loc[1, "events_per_active_day"] == 2.0


def test_missing_customer_ids_are_dropped_with_a_warning(usage_log):
    """Rows without a customer id are dropped and counted."""
    log = usage_log.astype({"customer_id": "float64"})
    log.loc[5, "customer_id"] = np.nan
    with pytest.warns(RowsExcludedWarning, match=r"^1 rows have no customer id"):
        table = usage_table(log)
    assert len(table) == 2


def test_usage_table_errors_name_the_column_and_fix(usage_log):
    """Missing columns, negative or missing values, bad options and empty logs raise clearly."""
    with pytest.raises(SchemaError, match=r"'mins' \(value_col\) not found"):
        usage_table(usage_log, value_col="mins")
    negative = usage_log.assign(minutes=usage_log["minutes"].fillna(0) - 40)
    with pytest.raises(DataValidationError, match=r"column 'minutes' has \d+ values < 0"):
        usage_table(negative, value_col="minutes")
    with pytest.raises(DataValidationError, match="column 'minutes' has 1 missing"):
        usage_table(usage_log, value_col="minutes")  # the signup row has no minutes
    with pytest.raises(ValueError, match="usage_events needs event_col"):
        usage_table(usage_log, usage_events="session")
    with pytest.raises(ValueError, match="pass usage_events"):
        usage_table(usage_log, event_col="event")
    with pytest.raises(ValueError, match="window='soon'"):
        usage_table(usage_log, window="soon")
    with pytest.raises(ValueError, match="positive duration"):
        usage_table(usage_log, window=-3)
    with pytest.raises(DataValidationError, match="empty"):
        usage_table(usage_log.iloc[:0])
    with pytest.raises(DataValidationError, match=r"every row .* is after as_of"):
        usage_table(usage_log, as_of="2020-01-01")


def test_usage_table_leaves_the_log_untouched(usage_log):
    """The caller's frame is not modified."""
    before = usage_log.copy(deep=True)
    usage_table(usage_log, value_col="minutes", event_col="event", usage_events="session",
                feature_col="feature", window="10D")  # fmt: skip
    pd.testing.assert_frame_equal(usage_log, before)


@st.composite
def _event_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    customers = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 20), min_size=n, max_size=n))
    values = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["session", "view", "cart"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": customers,
            "timestamp": BASE + pd.to_timedelta(minutes, unit="min"),
            "event": events,
            "value": np.asarray(values, dtype=float),
        }
    )


@settings(max_examples=40, deadline=None)
@given(log=_event_logs(), window_days=st.one_of(st.none(), st.integers(1, 25)))
def test_usage_table_matches_a_groupby_oracle(log, window_days):
    """Every column equals a plain pandas groupby over the same rows (oracle)."""
    window = None if window_days is None else f"{window_days}D"
    table = _quiet(usage_table, log, value_col="value", event_col="event",
                   usage_events="session", window=window)  # fmt: skip
    as_of = log["timestamp"].max()
    used = log[log["event"] == "session"].drop_duplicates()
    start = as_of - pd.Timedelta(days=window_days or 10_000)
    inside = used[used["timestamp"] >= start]
    grouped = inside.groupby("customer_id")
    everyone = pd.Index(sorted(log["customer_id"].unique()), name="customer_id")
    expected_count = grouped.size().reindex(everyone, fill_value=0)
    expected_value = grouped["value"].sum().reindex(everyone, fill_value=0.0)
    days = inside.assign(day=inside["timestamp"].dt.normalize())
    expected_days = days.groupby("customer_id")["day"].nunique()
    last = used.groupby("customer_id")["timestamp"].max().reindex(everyone)
    assert table.index.equals(everyone)
    np.testing.assert_array_equal(table["event_count"], expected_count)
    np.testing.assert_allclose(table["usage_value"], expected_value)
    np.testing.assert_array_equal(
        table["active_days"], expected_days.reindex(everyone).fillna(0).astype(np.int64)
    )
    np.testing.assert_allclose(table["days_since_last_activity"], (as_of - last) / DAY)
    assert (table["active_days"] <= table["event_count"]).all()


@settings(max_examples=25, deadline=None)
@given(log=_event_logs(), seed=st.integers(0, 1000))
def test_usage_table_does_not_depend_on_row_order(log, seed):
    """Shuffling the log gives the same table."""
    shuffled = log.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        _quiet(usage_table, log, value_col="value"),
        _quiet(usage_table, shuffled, value_col="value"),
    )


# --- funnel_table ------------------------------------------------------------------------


@pytest.fixture
def funnel_log() -> pd.DataFrame:
    return _log(
        [
            (1, "2024-03-01", "product_view"),
            (1, "2024-03-05", "product_view"),
            (1, "2024-03-21", "purchase"),
            (2, "2024-03-30", "ad_impression"),
            (2, "2024-03-30", "ad_impression"),  # duplicate
            (3, "2024-03-02", "newsletter"),  # in no stage
            (4, "2024-03-10", "purchase"),  # skipped every earlier step
        ],
        ("customer_id", "timestamp", "event"),
    )


def test_funnel_table_records_first_last_and_days_since_each_stage(funnel_log):
    """Per stage: reached, first and last time, and days from the last time to as_of."""
    table = _quiet(funnel_table, funnel_log, stages=AIDA_STAGES, as_of="2024-03-31")
    names = [s for s, _ in AIDA_STAGES]
    assert list(table.columns) == [
        f"{kind}_{s}" for kind in ("days_since", "reached", "first", "last") for s in names
    ]
    assert table.loc[1, "first_interest"] == pd.Timestamp("2024-03-01")
    assert table.loc[1, "last_interest"] == pd.Timestamp("2024-03-05")
    assert table.loc[1, "days_since_interest"] == 26.0
    assert table.loc[1, "days_since_action"] == 10.0
    assert table.loc[2, "days_since_attention"] == 1.0
    assert table.loc[4, "reached_action"]
    assert not table.loc[4, "reached_interest"]
    # never reached: NaN days, NaT times, False flags
    assert np.isnan(table.loc[4, "days_since_interest"])
    assert pd.isna(table.loc[4, "first_interest"])
    assert not table.loc[3, ["reached_" + s for s in names]].any()


def test_unknown_events_are_ignored_and_counted_but_customers_stay(funnel_log):
    """Event names in no stage are counted in a warning; their customers keep a row."""
    with pytest.warns(RowsExcludedWarning, match=r"^1 rows have event names in no stage.*newsl"):
        table = funnel_table(funnel_log, stages=AIDA_STAGES)
    assert 3 in table.index


def test_ignore_events_are_silent_and_typos_still_warn(funnel_log):
    """ignore_events silences known non-funnel events; other unknown names still warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsExcludedWarning)
        table = funnel_table(funnel_log, stages=AIDA_STAGES, ignore_events="newsletter")
    assert 3 in table.index  # kept, reached nothing
    with pytest.warns(RowsExcludedWarning, match=r"^1 rows .*'newsletter'"):
        funnel_table(funnel_log, stages=AIDA_STAGES, ignore_events=("session",))
    with pytest.raises(ValueError, match=r"ignore_events lists \['purchase'\]"):
        funnel_table(funnel_log, stages=AIDA_STAGES, ignore_events=("purchase",))


def test_event_listed_under_two_stages_is_refused(funnel_log):
    """A stages mapping that lists one event under two stages raises, naming both."""
    stages = {"interest": ("product_view",), "desire": ("product_view", "add_to_cart")}
    with pytest.raises(ValueError, match=r"'product_view' under two stages .*'interest'.*'desire'"):
        funnel_table(funnel_log, stages=stages)


@pytest.mark.parametrize(
    ("stages", "match"),
    [
        ({}, "empty"),
        ("interest", "mapping stage -> event"),
        ((("a", "x"), ("a", "y")), "repeats the stage names"),
        ({"a": ("x", 3)}, "non-string event names"),
        ({"a": ()}, "lists no event names"),
        ((("a",),), "not a \\(stage, events\\) pair"),
    ],
)
def test_malformed_stages_are_refused(funnel_log, stages, match):
    """Empty funnels, repeated stages and non-string events raise clear errors."""
    with pytest.raises((ValueError, TypeError), match=match):
        funnel_table(funnel_log, stages=stages)


def test_stages_as_mapping_or_pairs_give_the_same_table(funnel_log):
    """A mapping with single event names equals the equivalent tuple of pairs."""
    as_map = {"interest": "product_view", "action": "purchase"}
    as_pairs = (("interest", ("product_view",)), ("action", ("purchase",)))
    pd.testing.assert_frame_equal(
        _quiet(funnel_table, funnel_log, stages=as_map),
        _quiet(funnel_table, funnel_log, stages=as_pairs),
    )


def test_funnel_table_as_of_excludes_later_rows(funnel_log):
    """Rows after as_of are excluded with a warning; customers only after it are absent."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = funnel_table(funnel_log, stages=AIDA_STAGES, as_of="2024-03-15")
    messages = [str(w.message) for w in caught if issubclass(w.category, RowsExcludedWarning)]
    assert any(m.startswith("3 rows are after") and "(1 customers" in m for m in messages)
    assert 2 not in table.index
    assert not table.loc[1, "reached_action"]


def test_funnel_table_keeps_the_time_zone():
    """first_/last_ columns keep the log's time zone; days are exact across zones."""
    log = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": pd.to_datetime(["2024-03-01 10:00", "2024-03-03 10:00"]).tz_localize(
                "Europe/Paris"
            ),
            "event": ["product_view", "purchase"],
        }
    )
    table = funnel_table(log, stages=AIDA_STAGES)
    assert str(table["first_interest"].dt.tz) == "Europe/Paris"
    assert table.loc[1, "first_interest"] == log["timestamp"].iloc[0]
    assert table.loc[1, "days_since_interest"] == 2.0


def test_funnel_table_errors(funnel_log):
    """Empty logs and missing columns raise; the log is not modified."""
    before = funnel_log.copy(deep=True)
    with pytest.raises(DataValidationError, match="empty"):
        funnel_table(funnel_log.iloc[:0], stages=AIDA_STAGES)
    with pytest.raises(SchemaError, match=r"'action' \(event_col\) not found"):
        funnel_table(funnel_log, stages=AIDA_STAGES, event_col="action")
    _quiet(funnel_table, funnel_log, stages=AIDA_STAGES)
    pd.testing.assert_frame_equal(funnel_log, before)


@settings(max_examples=40, deadline=None)
@given(log=_event_logs())
def test_funnel_table_matches_a_groupby_oracle(log):
    """first/last/days_since equal a pandas groupby over the mapped events (oracle)."""
    stages = {"visit": "view", "cart": "cart"}
    table = _quiet(funnel_table, log, stages=stages)
    as_of = log["timestamp"].max()
    mapped = log.assign(stage=log["event"].map({"view": "visit", "cart": "cart"})).dropna()
    times = mapped.groupby(["customer_id", "stage"])["timestamp"]
    for stage in stages:
        first = times.min().xs(stage, level="stage") if stage in set(mapped["stage"]) else None
        expected_first = (
            pd.Series(pd.NaT, index=table.index) if first is None else first.reindex(table.index)
        )
        assert table[f"first_{stage}"].equals(expected_first.astype(table[f"first_{stage}"].dtype))
        assert (table[f"reached_{stage}"] == table[f"days_since_{stage}"].notna()).all()
    reached = table["days_since_visit"].notna()
    last = times.max().unstack().reindex(table.index)
    if "visit" in last:
        np.testing.assert_allclose(
            table.loc[reached, "days_since_visit"], (as_of - last.loc[reached, "visit"]) / DAY
        )
    assert (table.filter(like="days_since_").fillna(0) >= 0).all().all()


# --- make_events -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_events(2000, random_state=7, n_days=90)


def test_make_events_is_seeded_and_documented(simulated):
    """Same seed, same data; columns and dtypes as documented; events inside the window."""
    events, truth = simulated
    again, truth_again = make_events(2000, random_state=7, n_days=90)
    pd.testing.assert_frame_equal(events, again)
    pd.testing.assert_frame_equal(truth, truth_again)
    other, _ = make_events(2000, random_state=8, n_days=90)
    assert not events.equals(other)
    assert list(events.columns) == ["customer_id", "timestamp", "event", "value", "feature"]
    assert events["timestamp"].min() >= pd.Timestamp("2024-01-01")
    assert events["timestamp"].max() < pd.Timestamp("2024-01-01") + 90 * DAY
    assert events["timestamp"].is_monotonic_increasing
    assert truth.index.equals(pd.RangeIndex(1, 2001, name="customer_id").astype(np.int64))
    assert truth["stage"].cat.ordered
    assert truth["tier"].cat.categories.tolist() == ["non-user", "light", "medium", "heavy"]


def test_make_events_sessions_follow_the_tiers(simulated):
    """Non-users log no session, users at least one, and heavier tiers use more."""
    events, truth = simulated
    sessions = events[events["event"] == "session"].groupby("customer_id").size()
    sessions = sessions.reindex(truth.index, fill_value=0)
    assert (sessions[truth["tier"] == "non-user"] == 0).all()
    assert (sessions[truth["tier"] != "non-user"] >= 1).all()
    medians = sessions.groupby(truth["tier"], observed=True).median()
    assert medians.is_monotonic_increasing
    assert events.loc[events["event"] == "session", "feature"].notna().all()


def test_make_events_funnel_order_and_missing_rate():
    """With nothing lost, every customer's furthest logged stage is the truth, in funnel order."""
    events, truth = make_events(800, random_state=3, missing_rate=0.0)
    table = funnel_table(events, stages=AIDA_STAGES, ignore_events="session")
    reached = table.filter(like="reached_").to_numpy()
    furthest = np.where(reached.any(axis=1), reached.shape[1] - np.argmax(reached[:, ::-1], 1), 0)
    expected = truth["stage"].cat.codes.reindex(table.index)
    np.testing.assert_array_equal(furthest, expected)
    # no skipped steps and each stage's events come after the previous stage's
    assert (reached == np.logical_and.accumulate(reached, axis=1)).all()
    first = table.filter(like="first_").to_numpy()
    last = table.filter(like="last_").to_numpy()
    both = reached[:, 1:] & reached[:, :-1]
    assert (last[:, :-1][both] <= first[:, 1:][both]).all()
    # unaware customers log no funnel event
    unaware = truth.index[truth["stage"] == "unaware"]
    funnel = events[events["event"] != "session"]
    assert not funnel["customer_id"].isin(unaware).any()


def test_make_events_any_funnel_and_bad_parameters():
    """A 7-stage funnel simulates; bad probabilities and rates raise."""
    events, truth = make_events(300, random_state=0, stages=LONG_FUNNEL)
    assert truth["stage"].cat.categories.tolist() == ["unaware", *(s for s, _ in LONG_FUNNEL)]
    known = {e for _, names in LONG_FUNNEL for e in names} | {"session"}
    assert set(events["event"]) <= known
    with pytest.raises(ValueError, match="stage_probs"):
        make_events(10, stage_probs=(0.5, 0.5))
    with pytest.raises(ValueError, match="must sum to 1"):
        make_events(10, tier_probs=(0.5, 0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="sessions_per_day"):
        make_events(10, sessions_per_day=(1.0, 0.5, 2.0))
    with pytest.raises(ValueError, match="missing_rate"):
        make_events(10, missing_rate=1.0)
    with pytest.raises(ValueError, match="n_customers"):
        make_events(0)
