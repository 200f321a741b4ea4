"""retention_rate and engagement_rate: hand computations, mismatched tables, time zones,
bad input and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.kpi import engagement_rate, retention_rate


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4, 5, 5, 5],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-02-03",
                    "2024-01-09",
                    "2024-01-20",
                    "2024-02-25",
                    "2024-02-10",
                    "2024-01-31",
                    "2024-01-02",
                    "2024-03-01",
                ]
            ),
        }
    )


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {"segment": ["new", "new", "loyal", "loyal", "new"]},
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )


def test_retention_between_two_months_by_hand():
    """January actives: new {1, 2, 5}, loyal {3}; back in February: 1 and 3 (5 came back in
    March, 4 was only active in February) → new 1/3, loyal 1/1."""
    out = retention_rate(
        _events(),
        _customers(),
        segment_col="segment",
        base_period="2024-01",
        next_period="2024-02",
    )
    assert out.index.name == "segment" and list(out.index) == ["loyal", "new"]
    assert out["customers"].tolist() == [2, 3]
    assert out["active"].tolist() == [1, 3]
    assert out["retained"].tolist() == [1, 1]
    np.testing.assert_allclose(out["rate"], [1.0, 1 / 3], rtol=1e-12)
    assert ((out["ci_low"] <= out["rate"]) & (out["rate"] <= out["ci_high"])).all()


def test_retention_periods_as_date_pairs_and_quarters():
    """(start, end) pairs are half-open; a quarter string covers three months."""
    pairs = retention_rate(
        _events(),
        _customers(),
        segment_col="segment",
        base_period=("2024-01-01", "2024-01-31"),  # end excluded; customer 5 is active
        next_period=("2024-02-01", "2024-04-01"),  # and back on 1 March
    )
    assert pairs.loc["new", "active"] == 3 and pairs.loc["new", "retained"] == 2
    quarters = retention_rate(
        _events(),
        _customers(),
        segment_col="segment",
        base_period="2024Q1",
        next_period="2024Q2",
    )
    assert quarters["active"].sum() == 5 and quarters["retained"].sum() == 0
    assert (quarters["rate"] == 0).all()


def test_events_of_unknown_customers_are_ignored_with_a_count():
    """Two unknown customers (3 events) are counted in the warning, not silently dropped."""
    events = pd.concat(
        [
            _events(),
            pd.DataFrame(
                {
                    "customer_id": [8, 8, 9],
                    "timestamp": pd.to_datetime(["2024-01-02", "2024-02-02", "2024-01-02"]),
                }
            ),
        ],
        ignore_index=True,
    )
    with pytest.warns(RowsExcludedWarning, match=r"2 customers of events .*their 3 events"):
        out = retention_rate(
            events,
            _customers(),
            segment_col="segment",
            base_period="2024-01",
            next_period="2024-02",
        )
    assert out["active"].sum() == 4


def test_segments_without_activity_are_explicit_rows():
    """A Categorical segment with nobody active (and an empty one) has rate NaN, not 0."""
    customers = _customers().assign(
        segment=pd.Categorical(
            ["new", "new", "loyal", "lapsed", "new"], categories=["loyal", "new", "lapsed", "vip"]
        )
    )
    out = retention_rate(
        _events(),
        customers,
        segment_col="segment",
        base_period="2024-01",
        next_period="2024-02",
    )
    assert list(out.index) == ["loyal", "new", "lapsed", "vip"]
    assert out.loc["lapsed", "customers"] == 1 and out.loc["lapsed", "active"] == 0
    assert np.isnan(out.loc["lapsed", "rate"]) and np.isnan(out.loc["vip", "ci_low"])
    assert out.loc["vip", "customers"] == 0


def test_time_zone_aware_events_use_their_own_calendar():
    """With events in Europe/Paris, a month string is a Paris month."""
    events = _events().assign(timestamp=lambda d: d["timestamp"].dt.tz_localize("Europe/Paris"))
    events.loc[6, "timestamp"] = pd.Timestamp("2024-01-31 23:30", tz="Europe/Paris")
    out = retention_rate(
        events,
        _customers(),
        segment_col="segment",
        base_period="2024-01",
        next_period="2024-02",
    )
    assert out.loc["new", "active"] == 3
    with pytest.raises(SchemaError, match="naive"):
        retention_rate(
            events,
            _customers(),
            segment_col="segment",
            base_period=("2024-01-01", "2024-02-01"),
            next_period="2024-02",
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"base_period": "2024-02", "next_period": "2024-01"}, DataValidationError, "before"),
        ({"base_period": "2024Q1", "next_period": "2024-03"}, DataValidationError, "before"),
        ({"base_period": "soon", "next_period": "2024-02"}, DataValidationError, "soon"),
        (
            {"base_period": ("2024-02-01", "2024-01-01"), "next_period": "2024-03"},
            DataValidationError,
            "not before its end",
        ),
        ({"base_period": ("2024-01-01",), "next_period": "2024-03"}, DataValidationError, "pair"),
        ({"segment_col": "tier"}, SchemaError, "segment_col"),
        ({"time_col": "when"}, SchemaError, "time_col"),
    ],
)
def test_bad_retention_input_is_refused(kwargs, error, match):
    """Overlapping or reversed periods, unreadable periods and missing columns raise."""
    params = {
        "segment_col": "segment",
        "base_period": "2024-01",
        "next_period": "2024-02",
        **kwargs,
    }
    with pytest.raises(error, match=match):
        retention_rate(_events(), _customers(), **params)


def test_duplicated_customers_are_refused():
    """customers must have one row per id."""
    customers = pd.concat([_customers(), _customers().iloc[:1]])
    with pytest.raises(DataValidationError, match="1 duplicated ids"):
        retention_rate(
            _events(),
            customers,
            segment_col="segment",
            base_period="2024-01",
            next_period="2024-02",
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 89)), min_size=1, max_size=60))
def test_retention_is_a_proportion_of_the_base_actives(rows):
    """retained <= active <= customers and 0 <= rate <= 1 for any activity log."""
    events = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d in rows], "D"),
        }
    )
    customers = pd.DataFrame(
        {"segment": list("ababababab")}, index=pd.Index(range(10), name="customer_id")
    )
    out = retention_rate(
        events, customers, segment_col="segment", base_period="2024-01", next_period="2024-02"
    )
    assert (out["retained"] <= out["active"]).all() and (out["active"] <= out["customers"]).all()
    rates = out["rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()


# --- engagement ----------------------------------------------------------------------------


def test_engagement_per_member_by_hand():
    """a: 0 + 2 + 4 over 3 members = 2, 2 of 3 engaged; b: 1 over 1; c: 0 over 2."""
    members = pd.DataFrame(
        {"segment": ["a", "a", "a", "b", "c", "c"], "interactions": [0, 2, 4, 1, 0, 0]}
    )
    out = engagement_rate(members, segment_col="segment")
    assert out["audience"].tolist() == [3, 1, 2]
    np.testing.assert_allclose(out["interactions"], [6, 1, 0])
    np.testing.assert_allclose(out["rate"], [2.0, 1.0, 0.0])
    assert out["engaged"].tolist() == [2, 1, 0]
    np.testing.assert_allclose(out["engaged_share"], [2 / 3, 1.0, 0.0])


def test_engagement_from_counts_and_zero_audiences():
    """Rows of (audience, interactions) are summed; an audience of 0 gives NaN, not inf."""
    counts = pd.DataFrame(
        {
            "segment": ["a", "a", "b"],
            "followers": [100, 300, 0],
            "likes": [10, 50, 0],
        }
    )
    with np.errstate(all="raise"):
        out = engagement_rate(
            counts, segment_col="segment", interactions_col="likes", audience_col="followers"
        )
    assert list(out.columns) == ["audience", "interactions", "rate"]
    assert out.loc["a", "rate"] == pytest.approx(60 / 400)
    assert np.isnan(out.loc["b", "rate"])


def test_bad_engagement_input_is_refused():
    """Negative interactions and missing columns raise errors naming the column."""
    members = pd.DataFrame({"segment": ["a"], "interactions": [-1]})
    with pytest.raises(DataValidationError, match="'interactions'"):
        engagement_rate(members, segment_col="segment")
    with pytest.raises(SchemaError, match="audience_col"):
        engagement_rate(members.assign(interactions=1), segment_col="segment", audience_col="reach")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.integers(0, 20)), min_size=1, max_size=40))
def test_engaged_share_is_a_proportion(rows):
    """engaged_share in [0, 1] and rate >= engaged_share (each engaged member counts >= 1)."""
    members = pd.DataFrame(rows, columns=["segment", "interactions"])
    out = engagement_rate(members, segment_col="segment")
    assert ((out["engaged_share"] >= 0) & (out["engaged_share"] <= 1)).all()
    assert (out["rate"] >= out["engaged_share"]).all()
