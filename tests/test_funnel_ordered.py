"""funnel_table's order= option: open, "present" and strict time-ordered funnels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.kpi import funnel_conversion
from behaviorseg.segmenters import AIDAStageSegmenter
from behaviorseg.summaries import funnel_table

STAGES = (("view", ("product_view",)), ("cart", ("add_to_cart",)), ("buy", ("purchase",)))
NAMES = [s for s, _ in STAGES]


def _log(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


@pytest.fixture
def log() -> pd.DataFrame:
    return _log(
        [
            (1, "2024-03-01", "product_view"),  # in order: view, cart, buy
            (1, "2024-03-02", "add_to_cart"),
            (1, "2024-03-20", "purchase"),
            (2, "2024-03-01", "add_to_cart"),  # carted before viewing
            (2, "2024-03-03", "product_view"),
            (2, "2024-03-04", "purchase"),
            (3, "2024-03-05", "product_view"),  # cart and buy at the same instant
            (3, "2024-03-06", "add_to_cart"),
            (3, "2024-03-06", "purchase"),
            (4, "2024-03-01", "purchase"),  # only a purchase
        ]
    )


def test_present_counts_a_customer_who_carts_before_viewing_but_strict_does_not(log):
    """Customer 2 carted before viewing: every stage is present, but not in time order."""
    present = funnel_table(log, stages=STAGES, order="present")
    strict = funnel_table(log, stages=STAGES, order="strict")
    assert present.loc[2, [f"reached_{s}" for s in NAMES]].tolist() == [True, True, True]
    # in order: viewed on 3 March, no cart after it, so neither cart nor buy count
    assert strict.loc[2, [f"reached_{s}" for s in NAMES]].tolist() == [True, False, False]
    assert np.isnan(strict.loc[2, "days_since_cart"])
    assert pd.isna(strict.loc[2, "first_cart"]) and pd.isna(strict.loc[2, "last_buy"])


def test_strict_keeps_in_order_customers_and_same_instant_steps(log):
    """Customers 1 and 3 reach every stage in order; the same instant counts as in order."""
    strict = funnel_table(log, stages=STAGES, order="strict")
    reached = strict[[f"reached_{s}" for s in NAMES]]
    assert reached.loc[1].all() and reached.loc[3].all()
    assert strict.loc[3, "first_buy"] == pd.Timestamp("2024-03-06")
    # a purchase without a view is no funnel at all in time order, nor in "present"
    assert not reached.loc[4].any()
    assert not funnel_table(log, stages=STAGES, order="present").loc[4, "reached_buy"]
    # the open funnel (the default) is unchanged
    assert funnel_table(log, stages=STAGES).loc[4, "reached_buy"]


def test_conversion_window_cuts_a_late_stage(log):
    """Customer 1 bought 18 days after carting: a 7-day window cuts the purchase only."""
    table = funnel_table(log, stages=STAGES, order="strict", within="7D")
    assert table.loc[1, ["reached_view", "reached_cart", "reached_buy"]].tolist() == [
        True,
        True,
        False,
    ]
    assert table.loc[3, "reached_buy"]  # within a day
    edge = funnel_table(log, stages=STAGES, order="strict", within=18)  # inclusive edge
    assert edge.loc[1, "reached_buy"]


def test_strict_first_time_is_the_first_event_after_the_previous_stage():
    """first_<s> is the stage's first event at or after the previous stage's first_."""
    log = _log(
        [
            (1, "2024-03-01", "add_to_cart"),  # before any view: not the in-order cart
            (1, "2024-03-02", "product_view"),
            (1, "2024-03-05", "add_to_cart"),
            (1, "2024-03-09", "add_to_cart"),
        ]
    )
    table = funnel_table(log, stages=STAGES, order="strict")
    assert table.loc[1, "first_cart"] == pd.Timestamp("2024-03-05")
    assert table.loc[1, "last_cart"] == pd.Timestamp("2024-03-09")
    assert table.loc[1, "days_since_cart"] == 0.0
    assert funnel_table(log, stages=STAGES).loc[1, "first_cart"] == pd.Timestamp("2024-03-01")


def test_segmenter_and_conversion_read_the_strict_table(log):
    """AIDAStageSegmenter and funnel_conversion count the closed funnel from its table."""
    strict = funnel_table(log, stages=STAGES, order="strict")
    labels = AIDAStageSegmenter(stages=NAMES).fit_predict(strict)
    assert labels.tolist() == ["buy", "view", "buy", "unaware"]
    conversion = funnel_conversion(strict)
    assert conversion["reached"].tolist() == [3, 2, 2]
    assert conversion["converted"].tolist() == [3, 2, 2]


def test_order_and_within_are_checked(log):
    """Unknown orders, a window without the strict order and bad windows raise."""
    with pytest.raises(ValueError, match="order='time'"):
        funnel_table(log, stages=STAGES, order="time")
    with pytest.raises(ValueError, match="pass order='strict'"):
        funnel_table(log, stages=STAGES, within="7D")
    with pytest.raises(ValueError, match="within"):
        funnel_table(log, stages=STAGES, order="strict", within="soon")


# --- equality with a plain reference -------------------------------------------------


def _reference_strict(
    log: pd.DataFrame, within: pd.Timedelta | None
) -> dict[Any, list[pd.Timestamp | None]]:
    """Per customer, when each stage was reached in time order: a loop, written plainly."""
    stage_of = {event: j for j, (_, events) in enumerate(STAGES) for event in events}
    out: dict[Any, list[pd.Timestamp | None]] = {}
    for customer, rows in log.groupby("customer_id"):
        times: list[pd.Timestamp | None] = []
        previous: pd.Timestamp | None = None
        for j in range(len(STAGES)):
            candidates = [
                t
                for t, e in zip(rows["timestamp"], rows["event"], strict=True)
                if stage_of.get(e) == j and (previous is None or t >= previous)
            ]
            if j > 0 and previous is None:
                candidates = []
            reached = min(candidates) if candidates else None
            late = within is not None and previous is not None and reached is not None
            if late and j > 0 and reached - previous > within:
                reached = None
            times.append(reached)
            previous = reached
            if reached is None:
                times.extend([None] * (len(STAGES) - j - 1))
                break
        out[customer] = times
    return out


@st.composite
def _logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    customers = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 10), min_size=n, max_size=n))
    events = draw(
        st.lists(
            st.sampled_from(["product_view", "add_to_cart", "purchase", "session"]),
            min_size=n,
            max_size=n,
        )
    )
    return pd.DataFrame(
        {
            "customer_id": customers,
            "timestamp": pd.Timestamp("2024-03-01") + pd.to_timedelta(hours, unit="h"),
            "event": events,
        }
    )


@settings(max_examples=150, deadline=None)
@given(log=_logs(), within_hours=st.one_of(st.none(), st.integers(1, 72)))
def test_strict_funnel_equals_a_loop_over_customers(log, within_hours):
    """first_/reached_ of the strict funnel equal the plain per-customer loop."""
    within = None if within_hours is None else pd.Timedelta(hours=within_hours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = funnel_table(
            log, stages=STAGES, ignore_events="session", order="strict", within=within
        )
        open_table = funnel_table(log, stages=STAGES, ignore_events="session")
    expected = _reference_strict(log, within)
    for customer, times in expected.items():
        for stage, time in zip(NAMES, times, strict=True):
            got = table.loc[customer, f"first_{stage}"]
            assert (pd.isna(got) and time is None) or got == time
            assert table.loc[customer, f"reached_{stage}"] == (time is not None)
            if time is not None:  # the stage's last event and its days, as in the open table
                assert (
                    table.loc[customer, f"last_{stage}"]
                    == open_table.loc[customer, f"last_{stage}"]
                )
                assert (
                    table.loc[customer, f"days_since_{stage}"]
                    == open_table.loc[customer, f"days_since_{stage}"]
                )
    # strict flags imply "present" flags, which imply the open ones
    present = funnel_table(log, stages=STAGES, ignore_events="session", order="present")
    flags = [f"reached_{s}" for s in NAMES]
    assert (table[flags].to_numpy() <= present[flags].to_numpy()).all()
    assert (present[flags].to_numpy() <= open_table[flags].to_numpy()).all()
