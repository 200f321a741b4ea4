"""load_cdnow (bundled real data) and make_transactions (seeded simulator with ground truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from behaviorseg.datasets import load_cdnow, make_transactions
from behaviorseg.summaries import clv_summary, rfm_table

START = pd.Timestamp("2024-01-01")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_transactions(3000, random_state=11, start=START, n_days=365, acquisition_days=90)


# --- load_cdnow ------------------------------------------------------------------------


def test_load_cdnow_shape_columns_and_dtypes(cdnow):
    """load_cdnow returns 6,919 rows of customer_id, timestamp, amount, n_cds in stated dtypes."""
    assert cdnow.shape == (6919, 4)
    assert list(cdnow.columns) == ["customer_id", "timestamp", "amount", "n_cds"]
    assert cdnow["customer_id"].dtype == np.int64
    assert pd.api.types.is_datetime64_dtype(cdnow["timestamp"].dtype)  # naive datetimes
    assert cdnow["amount"].dtype == np.float64
    assert cdnow["n_cds"].dtype == np.int64


def test_load_cdnow_customers_dates_and_free_purchases(cdnow):
    """2,357 customers numbered 1..2357, dates 1997-01-01..1998-06-30, exactly 8 rows of $0."""
    ids = cdnow["customer_id"]
    assert ids.nunique() == 2357
    assert ids.min() == 1
    assert ids.max() == 2357
    assert cdnow["timestamp"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["timestamp"].max() == pd.Timestamp("1998-06-30")
    assert (cdnow["timestamp"] == cdnow["timestamp"].dt.normalize()).all()  # day resolution
    assert int((cdnow["amount"] == 0).sum()) == 8
    assert (cdnow["amount"] >= 0).all()
    assert (cdnow["n_cds"] >= 1).all()


def test_load_cdnow_cohort_bought_first_in_the_first_quarter_of_1997(cdnow):
    """Every customer's first purchase falls in 1997-01-01..1997-03-25 (shared/data README)."""
    first = cdnow.groupby("customer_id")["timestamp"].min()
    assert first.min() == pd.Timestamp("1997-01-01")
    assert first.max() == pd.Timestamp("1997-03-25")


def test_load_cdnow_equals_the_shared_reference_copy(cdnow, shared_data):
    """The bundled file holds the same rows as shared/data/cdnow/cdnow_sample_transactions.csv."""
    ref = pd.read_csv(shared_data / "cdnow" / "cdnow_sample_transactions.csv")
    assert len(ref) == len(cdnow)
    np.testing.assert_array_equal(cdnow["customer_id"].to_numpy(), ref["customer_id"].to_numpy())
    np.testing.assert_array_equal(
        cdnow["timestamp"].dt.strftime("%Y-%m-%d").to_numpy(), ref["date"].to_numpy()
    )
    np.testing.assert_array_equal(cdnow["amount"].to_numpy(), ref["amount"].to_numpy())
    np.testing.assert_array_equal(cdnow["n_cds"].to_numpy(), ref["n_cds"].to_numpy())


def test_load_cdnow_returns_a_fresh_frame_each_call():
    """Changing one loaded frame does not change the next one."""
    first = load_cdnow()
    first.loc[0, "amount"] = -1.0
    assert load_cdnow().loc[0, "amount"] != -1.0


# --- make_transactions: shape and determinism ------------------------------------------


def test_make_transactions_is_deterministic_for_a_seed():
    """The same seed gives identical transactions and truth."""
    tx1, truth1 = make_transactions(300, random_state=5)
    tx2, truth2 = make_transactions(300, random_state=5)
    pd.testing.assert_frame_equal(tx1, tx2)
    pd.testing.assert_frame_equal(truth1, truth2)


def test_make_transactions_accepts_a_generator():
    """Two generators in the same state give the same data."""
    tx1, _ = make_transactions(100, random_state=np.random.default_rng(9))
    tx2, _ = make_transactions(100, random_state=np.random.default_rng(9))
    pd.testing.assert_frame_equal(tx1, tx2)


def test_make_transactions_differs_for_another_seed():
    """Another seed gives other data."""
    tx1, truth1 = make_transactions(300, random_state=5)
    tx2, truth2 = make_transactions(300, random_state=6)
    assert not tx1.equals(tx2)
    assert not np.allclose(
        truth1["purchase_rate_per_day"].to_numpy(), truth2["purchase_rate_per_day"].to_numpy()
    )


def test_make_transactions_columns_and_dtypes(simulated):
    """Transactions have customer_id/timestamp/amount; truth is indexed by customer_id 1..n."""
    tx, truth = simulated
    assert list(tx.columns) == ["customer_id", "timestamp", "amount"]
    assert pd.api.types.is_integer_dtype(tx["customer_id"].dtype)
    assert pd.api.types.is_datetime64_dtype(tx["timestamp"].dtype)
    assert tx["amount"].dtype == np.float64
    assert truth.index.name == "customer_id"
    assert truth.index.tolist() == list(range(1, 3001))
    assert list(truth.columns) == [
        "purchase_rate_per_day",
        "dropout_probability",
        "mean_spend",
        "first_purchase",
        "alive",
        "dropout_at",
        "n_purchases",
    ]
    assert truth["alive"].dtype == bool


def test_make_transactions_is_sorted_by_time_then_customer(simulated):
    """Rows are sorted by timestamp, then customer id, with a fresh RangeIndex."""
    tx, _ = simulated
    expected = tx.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(tx, expected)


def test_truth_n_purchases_counts_the_rows_of_each_customer(simulated):
    """n_purchases sums to len(tx) and equals each customer's row count; everyone bought once."""
    tx, truth = simulated
    assert int(truth["n_purchases"].sum()) == len(tx)
    counts = tx["customer_id"].value_counts().sort_index()
    assert counts.index.tolist() == truth.index.tolist()
    np.testing.assert_array_equal(counts.to_numpy(), truth["n_purchases"].to_numpy())


def test_amounts_are_positive_cents(simulated):
    """Every amount is > 0 and a whole number of cents."""
    tx, _ = simulated
    assert (tx["amount"] > 0).all()
    np.testing.assert_allclose(tx["amount"] * 100, np.round(tx["amount"] * 100), atol=1e-6)


def test_timestamps_stay_in_the_window_and_first_purchases_in_acquisition(simulated):
    """Purchases fall in [start, start + n_days); first purchases in the acquisition days."""
    tx, truth = simulated
    end = START + pd.Timedelta(days=365)
    assert tx["timestamp"].min() >= START
    assert tx["timestamp"].max() < end
    first = tx.groupby("customer_id")["timestamp"].min()
    pd.testing.assert_series_equal(first, truth["first_purchase"], check_names=False)
    assert truth["first_purchase"].max() < START + pd.Timedelta(days=90)


def test_customers_not_alive_left_after_their_last_purchase_inside_the_window(simulated):
    """dropout_at is NaT for the alive and, for the others, their last purchase in the window."""
    tx, truth = simulated
    dead = ~truth["alive"]
    assert 0 < dead.sum() < len(truth)
    assert truth.loc[~dead, "dropout_at"].isna().all()
    left = truth.loc[dead, "dropout_at"]
    assert left.notna().all()
    assert (left >= truth.loc[dead, "first_purchase"]).all()
    assert (left < START + pd.Timedelta(days=365)).all()
    last = tx.groupby("customer_id")["timestamp"].max()
    pd.testing.assert_series_equal(left, last[dead], check_names=False)
    # BG/NBD: customers leave only after a repeat purchase.
    assert (truth.loc[dead, "n_purchases"] >= 2).all()


def test_observed_first_purchase_spend_matches_the_population_mean():
    """Mean first-purchase value ≈ p * gamma / (q - 1) (Gamma-Gamma), within 1.0 (≈5 s.e.)."""
    p, q, gamma = 6.0, 4.0, 15.0
    tx, _ = make_transactions(20_000, random_state=3, p=p, q=q, gamma=gamma)
    # One value per customer, i.i.d. across customers: sd ≈ sqrt(675) ≈ 26, s.e. ≈ 0.18.
    first = tx.groupby("customer_id")["amount"].first()
    assert abs(first.mean() - p * gamma / (q - 1)) < 1.0


def test_observed_spend_per_customer_is_unbiased_for_mean_spend():
    """For customers with >= 5 purchases, observed mean spend / mean_spend averages ≈ 1 (±0.02)."""
    tx, truth = make_transactions(20_000, random_state=4)
    observed = tx.groupby("customer_id")["amount"].mean()
    heavy = truth["n_purchases"] >= 5
    ratio = observed[heavy] / truth.loc[heavy, "mean_spend"]
    # Each ratio has mean 1 and variance <= 1 / (p * 5); ~2,000 customers give s.e. ~ 0.003.
    assert heavy.sum() > 1000
    assert abs(ratio.mean() - 1.0) < 0.02


def test_summaries_of_the_simulated_log_count_every_purchase(simulated):
    """rfm_table frequency and clv_summary(freq='s') frequency + 1 both equal n_purchases."""
    tx, truth = simulated
    # Timestamps have second resolution; purchases of one customer never share a second here.
    assert not tx.duplicated(["customer_id", "timestamp"]).any()
    rfm = rfm_table(tx)
    np.testing.assert_array_equal(rfm["frequency"].to_numpy(), truth["n_purchases"].to_numpy())
    clv = clv_summary(tx, freq="s")
    np.testing.assert_array_equal(clv["frequency"].to_numpy() + 1, truth["n_purchases"].to_numpy())
    # By day, same-day purchases merge: the count can only go down.
    daily = clv_summary(tx, freq="D")
    assert (daily["frequency"] <= clv["frequency"]).all()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"r": 0.0}, "r"),
        ({"gamma": float("nan")}, "gamma"),
        ({"a": -1.0}, "a"),
        ({"acquisition_days": 400, "n_days": 365}, "acquisition_days"),
        ({"acquisition_days": 0}, "acquisition_days"),
    ],
)
def test_make_transactions_rejects_bad_parameters(kwargs, param):
    """Non-positive parameters or an acquisition period outside the window raise ValueError."""
    with pytest.raises(ValueError, match=rf"\b{param}="):
        make_transactions(**{"n_customers": 10, "random_state": 0, **kwargs})
