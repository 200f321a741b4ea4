"""engagement_table and EngagementSegmenter: worked log, rates, decay, segments, truth, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from behaviorseg.datasets import make_engagement_events
from behaviorseg.exceptions import (
    DataValidationError,
    RowsExcludedWarning,
    SchemaError,
)
from behaviorseg.segmenters import EngagementSegmenter
from behaviorseg.summaries import ENGAGEMENT_SEGMENTS, engagement_table

AS_OF = pd.Timestamp("2024-06-30")


def _log(rows: list[tuple[int, int, str, str]]) -> pd.DataFrame:
    """(customer, days before AS_OF, event, channel) rows."""
    customer, days, event, channel = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "customer_id": list(customer),
            "timestamp": [AS_OF - pd.Timedelta(days=d) for d in days],
            "event": list(event),
            "channel": list(channel),
        }
    )


WORKED = _log(
    [
        (1, 30, "delivered", "email"),
        (1, 30, "open", "email"),
        (1, 29, "click", "email"),
        (1, 100, "like", "social"),
        (2, 30, "delivered", "email"),
        (2, 10, "delivered", "email"),  # received twice, never reacted
        (3, 60, "share", "social"),  # never received anything
    ]
)


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame]:
    events, truth = make_engagement_events(3000, random_state=0)
    return engagement_table(events, channel_col="channel", as_of="2024-12-31"), truth


def test_counts_rates_and_recency_of_a_worked_log():
    """Counts per type, rates only where a denominator exists, days since per channel."""
    t = engagement_table(WORKED, channel_col="channel", as_of=AS_OF)
    assert t.loc[1, ["n_delivered", "n_open", "n_click", "n_like"]].tolist() == [1, 1, 1, 1]
    assert t.loc[1, ["open_rate", "click_rate", "click_to_open_rate"]].tolist() == [1, 1, 1]
    assert t.loc[2, ["n_delivered", "open_rate", "click_rate"]].tolist() == [2, 0.0, 0.0]
    assert np.isnan(t.loc[2, "click_to_open_rate"])  # no open: no click-to-open rate
    assert t.loc[2, "engagement_score"] == 0.0  # received, never reacted: in, with zeros
    assert t.loc[3, ["open_rate", "click_rate"]].isna().all()  # nothing delivered
    assert t.loc[1, "days_since_last_interaction"] == 29.0
    assert t.loc[1, "days_since_last_social"] == 100.0
    assert t.loc[1, "days_since_last_email"] == 29.0
    assert np.isnan(t.loc[2, "days_since_last_interaction"])
    assert t.loc[3, "recent_delivered"] == 0
    # windows of 90 days: the like (100 days ago) is in the earlier window
    assert t.loc[1, ["earlier_score", "recent_score"]].tolist() == [1.0, 4.0]


def test_score_decays_with_the_half_life():
    """An interaction one half-life old counts half its weight; weights are parameters."""
    t = engagement_table(WORKED, as_of=AS_OF, half_life="60D")
    assert t.loc[3, "engagement_score"] == pytest.approx(4.0 * 0.5)
    custom = engagement_table(
        WORKED,
        as_of=AS_OF,
        half_life=30,
        weights=(("delivered", 0), ("open", 2), ("click", 0), ("like", 0), ("share", 0)),
    )
    assert custom.loc[1, "engagement_score"] == pytest.approx(2.0 * 0.5)
    assert "n_comment" not in custom.columns


def test_unknown_event_names_are_ignored_with_a_warning_and_customers_kept():
    """Rows whose event is not in weights are counted in a warning; their customer stays."""
    log = pd.concat([WORKED, _log([(4, 5, "page_view", "web")])], ignore_index=True)
    with pytest.warns(RowsExcludedWarning, match="1 rows have event names not in weights"):
        t = engagement_table(log, as_of=AS_OF)
    assert t.loc[4, "engagement_score"] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 5),
            st.integers(0, 200),
            st.sampled_from(["delivered", "open", "click", "like", "event"]),
            st.just("email"),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_table_invariants_and_no_mutation(rows):
    """Rates lie in [0, inf), NaN exactly without a denominator; the frame is untouched."""
    log = _log(rows)
    before = log.copy(deep=True)
    t = engagement_table(log, as_of=AS_OF)
    pd.testing.assert_frame_equal(log, before)
    assert set(t.index) == set(log["customer_id"])
    np.testing.assert_array_equal(t["open_rate"].isna(), t["n_delivered"] == 0)
    np.testing.assert_array_equal(t["click_to_open_rate"].isna(), t["n_open"] == 0)
    assert (t["engagement_score"] >= 0).all()
    assert (t[["earlier_score", "recent_score"]].sum(axis=1) >= 0).all()
    labels = EngagementSegmenter(method="fixed", cuts=(2.0, 5.0)).fit(t).predict(t)
    assert len(labels) == len(t) and set(labels) <= set(ENGAGEMENT_SEGMENTS)


def test_segment_rules_in_order():
    """Unreachable first, then re-engagement candidates, then disengaged, then the tiers."""
    X = pd.DataFrame(
        {
            "engagement_score": [0.0, 0.2, 1.0, 3.0, 9.0, 0.3, 4.0, 0.0],
            "earlier_score": [0.0, 1.0, 2.0, 3.0, 9.0, 9.0, 9.0, 9.0],
            "recent_score": [0.0, 0.0, 3.0, 3.0, 9.0, 0.0, 2.0, 0.0],
            "recent_delivered": [5, 5, 5, 5, 5, 5, 5, 0],
        }
    )
    seg = EngagementSegmenter(method="fixed", cuts=(2.0, 5.0)).fit(X)
    assert seg.segments_ == list(ENGAGEMENT_SEGMENTS)
    assert seg.predict(X).tolist() == [
        "disengaged",
        "disengaged",
        "passive",
        "engaged",
        "highly engaged",
        "re-engagement candidate",
        "re-engagement candidate",
        "unreachable",
    ]
    out = seg.set_output(transform="pandas").transform(X)
    assert list(out.columns) == ["engagement_score", "score_change", "segment_index"]
    np.testing.assert_array_equal(out["score_change"], X["recent_score"] - X["earlier_score"])


def test_quantile_tiers_are_learned_among_the_engaged_only():
    """Quantile cut points ignore the unreachable, the candidates and the disengaged."""
    X = pd.DataFrame(
        {
            "engagement_score": [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "earlier_score": 0.0,
            "recent_score": [0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
            "recent_delivered": [0, 3, 3, 3, 3, 3, 3, 3, 3],
        }
    )
    seg = EngagementSegmenter().fit(X)
    np.testing.assert_array_equal(seg.thresholds_, [3.0, 5.0])
    assert seg.predict(X).tolist()[:3] == ["unreachable", "disengaged", "disengaged"]


def test_recovers_the_simulated_segments(simulated):
    """On make_engagement_events (3,000 customers) the segments match the truth >= 83 %.

    Measured (seed 0): quantile tiers 0.846, natural breaks on log scores 0.873. The
    unreachable segment is exact, every disengaged customer is found (with 14 quiet
    passive ones), candidates nearly all; the other errors are between neighbouring
    tiers. Everyone in the largest segment would score 0.25.
    """
    table, truth = simulated
    for seg, floor in (
        (EngagementSegmenter(), 0.83),
        (EngagementSegmenter(method="natural"), 0.85),
    ):
        labels = pd.Series(seg.fit_predict(table), index=table.index)
        agreement = float((labels == truth["segment"].astype(str)).mean())
        assert agreement >= floor, (seg, agreement)
    labels = pd.Series(EngagementSegmenter().fit_predict(table), index=table.index)
    true = truth["segment"].astype(str)
    np.testing.assert_array_equal(labels == "unreachable", true == "unreachable")
    assert (labels[true == "disengaged"] == "disengaged").all()  # a few passive ones join
    candidates = true == "re-engagement candidate"
    assert (labels[candidates] == "re-engagement candidate").mean() > 0.95


def test_reads_by_name_positionally_clones_and_pickles(simulated):
    """A frame is read by name, an array in role order; pickles and clones behave."""
    table, _ = simulated
    seg = EngagementSegmenter().fit(table)
    arr = table.iloc[:, :4].to_numpy()
    np.testing.assert_array_equal(EngagementSegmenter().fit(arr).predict(arr), seg.predict(table))
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.predict(table), seg.predict(table))
    assert not hasattr(clone(seg), "thresholds_")


def test_bad_input_names_the_column_or_parameter():
    """Missing columns, negative scores, bad weights and options raise clearly."""
    t = engagement_table(WORKED, as_of=AS_OF)
    with pytest.raises(SchemaError, match=r"'recent_score' \(recent_col\) not found"):
        EngagementSegmenter().fit(t.drop(columns="recent_score"))
    with pytest.raises(DataValidationError, match=r"Negative values .*'engagement_score'"):
        EngagementSegmenter().fit(t.assign(engagement_score=-1.0))
    with pytest.raises(DataValidationError, match="'earlier_score' has 1 missing"):
        EngagementSegmenter().fit(t.assign(earlier_score=[np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match="needs cuts"):
        EngagementSegmenter(method="fixed").fit(t)
    with pytest.raises(ValueError, match="distinct"):
        EngagementSegmenter(tier_names=("unreachable", "b", "c")).fit(t)
    with pytest.raises(NotFittedError):
        EngagementSegmenter().predict(t)
    with pytest.raises(SchemaError, match=r"'kind' \(event_col\) not found"):
        engagement_table(WORKED, event_col="kind")
    with pytest.raises(ValueError, match="rate_events"):
        engagement_table(WORKED, weights={"open": 1.0})
    with pytest.raises(ValueError, match="weight of 'open' must be"):
        engagement_table(WORKED, weights={"delivered": 0, "open": -1.0, "click": 1})
    with pytest.raises(ValueError, match="half_life"):
        engagement_table(WORKED, half_life="-3D")
