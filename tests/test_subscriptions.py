"""subscription_table, tenures_from_survivors and the contractual data generators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from behaviorseg.datasets import make_opportunity_histories, make_subscriptions
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning
from behaviorseg.summaries import subscription_table, tenures_from_survivors


def _log(rows: list[tuple[int, str, str]], **extra: list[object]) -> pd.DataFrame:
    ids, times, kinds = zip(*rows, strict=True)
    return pd.DataFrame(
        {"customer_id": ids, "timestamp": pd.to_datetime(times), "event": kinds, **extra}
    )


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_table_reproduces_the_simulated_tenure_and_churn(period):
    """On a simulated log, tenure and churn equal the generator's truth for every subscriber."""
    events, truth = make_subscriptions(2000, random_state=3, period=period, n_periods=20)
    table = subscription_table(events, period=period, as_of=truth["as_of"].iloc[0])
    assert table.index.equals(truth.index)
    np.testing.assert_array_equal(table["tenure_periods"], truth["tenure_periods"])
    np.testing.assert_array_equal(table["churned"], truth["churned"])
    assert (table["start"] == truth["signup"]).all()


def test_tenure_counts_started_periods_for_churned_and_anniversaries_for_active():
    """Cancel inside period 3 -> tenure 3; active 2.5 months in -> 2; cancel at sign-up -> 1."""
    log = _log(
        [
            (1, "2024-01-15", "signup"),
            (1, "2024-03-20", "cancel"),
            (2, "2024-01-31", "signup"),
            (3, "2024-02-01", "signup"),
            (3, "2024-02-01", "cancel"),
            (4, "2024-01-10", "signup"),
            (4, "2024-04-10", "cancel"),
        ]
    )
    table = subscription_table(log, as_of="2024-04-15")
    assert table["tenure_periods"].tolist() == [3, 2, 1, 3]
    assert table["churned"].tolist() == [True, False, True, True]
    # 31 January renews on the last day of shorter months: 2.5 months -> 2 anniversaries.
    assert table.loc[2, "end"] is pd.NaT or pd.isna(table.loc[2, "end"])
    assert table["cohort"].tolist() == ["2024-01", "2024-01", "2024-02", "2024-01"]


def test_resubscriptions_open_numbered_spells():
    """A sign-up after a cancellation opens spell 2; spells picks last, first or all."""
    log = _log(
        [
            (7, "2024-01-01", "signup"),
            (7, "2024-02-01", "renewal"),
            (7, "2024-02-15", "cancel"),
            (7, "2024-05-01", "signup"),
            (8, "2024-03-01", "signup"),
        ],
        plan=["basic", "basic", "basic", "premium", "basic"],
    )
    last = subscription_table(log, plan_col="plan", as_of="2024-06-10")
    assert last.loc[7, ["spell", "n_spells", "tenure_periods", "churned", "plan"]].tolist() == [
        2,
        2,
        1,
        False,
        "premium",
    ]
    first = subscription_table(log, plan_col="plan", spells="first", as_of="2024-06-10")
    assert first.loc[7, ["spell", "tenure_periods", "churned", "renewals"]].tolist() == [
        1,
        2,
        True,
        1,
    ]
    every = subscription_table(log, spells="all", as_of="2024-06-10")
    assert every.index.names == ["customer_id", "spell"]
    assert every.index.tolist() == [(7, 1), (7, 2), (8, 1)]


def test_events_that_change_nothing_are_ignored_with_a_warning():
    """A renewal before any sign-up (left-truncated log) is counted in a warning."""
    log = _log([(1, "2024-01-01", "renewal"), (2, "2024-01-05", "signup")])
    with pytest.warns(RowsExcludedWarning, match="1 renewals came with no open spell"):
        table = subscription_table(log)
    assert table.index.tolist() == [2]


def test_unknown_event_labels_are_named():
    """An event value that is not a known label is refused, naming it."""
    log = _log([(1, "2024-01-01", "signup"), (1, "2024-02-01", "upgrade")])
    with pytest.raises(DataValidationError, match="'upgrade'"):
        subscription_table(log)
    table = subscription_table(log, renewal_label=("renewal", "upgrade"))
    assert table.loc[1, "renewals"] == 1


def test_rows_after_as_of_are_excluded_with_a_warning_and_input_is_not_mutated():
    """Events after as_of are left out (counted); the caller's frame is unchanged."""
    log = _log([(1, "2024-01-01", "signup"), (1, "2024-03-10", "cancel")])
    before = log.copy()
    with pytest.warns(RowsExcludedWarning, match="1 rows are after as_of"):
        table = subscription_table(log, as_of="2024-02-15")
    assert not table.loc[1, "churned"]
    assert table.loc[1, "tenure_periods"] == 1
    pd.testing.assert_frame_equal(log, before)


def test_tenures_from_survivors_round_trips_the_counts():
    """Survivors at each period are the cohort minus the churned so far."""
    survivors = [1000, 869, 743, 653]
    table = tenures_from_survivors(survivors)
    lost = table.loc[table["churned"], "n_subscribers"].to_numpy()
    assert (1000 - np.cumsum(lost)).tolist() == survivors[1:]
    assert table["n_subscribers"].sum() == 1000


def test_tenures_from_survivors_refuses_rising_counts():
    """A count that grows is refused: re-joiners belong to a new cohort."""
    with pytest.raises(DataValidationError, match="rises at period 2"):
        tenures_from_survivors([100, 80, 90])


def test_opportunity_histories_are_seeded_and_consistent():
    """Same seed, same data; frequency <= recency <= n_periods and recency 0 iff no purchase."""
    a, truth = make_opportunity_histories(500, random_state=4, n_periods=8, n_future=3)
    b, _ = make_opportunity_histories(500, random_state=4, n_periods=8, n_future=3)
    pd.testing.assert_frame_equal(a, b)
    assert (a["frequency"] <= a["recency"]).all() and (a["recency"] <= 8).all()
    assert ((a["frequency"] == 0) == (a["recency"] == 0)).all()
    assert not (truth["alive_next"] & ~truth["alive"]).any()
    assert (truth.loc[~truth["alive"], "future_purchases"] == 0).all()


def test_a_cancel_on_the_anniversary_day_but_earlier_in_the_day_ends_the_first_period():
    """Whole periods compare instants: 16:32 on the anniversary day is before 17:58 there."""
    log = _log([(1, "2024-01-21 17:58:44", "signup"), (1, "2024-04-21 16:32:57", "cancel")])
    table = subscription_table(log, period="Q", as_of="2025-01-01")
    assert table["tenure_periods"].tolist() == [1]
    assert table["churned"].tolist() == [True]
