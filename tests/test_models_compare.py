"""compare_models, purchase_tracking and tracking_table: fit statistics, holdout errors and
the tracking of repeat transactions (Fader, Hardie & Lee 2005, CDNOW figures 3-5)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    compare_models,
    purchase_tracking,
    tracking_table,
)

WINDOWS = {"calibration_end": "1997-09-30", "as_of": "1998-06-30", "freq_multiplier": 7}
CAL = {"frequency_col": "frequency_cal", "recency_col": "recency_cal", "T_col": "T_cal"}


@pytest.fixture(scope="module")
def cdnow():
    tx = bs.datasets.load_cdnow()
    split = bs.calibration_holdout_split(tx, **WINDOWS)
    return tx, split, purchase_tracking(tx, **WINDOWS)


@pytest.fixture(scope="module")
def compared(cdnow):
    _, split, tracking = cdnow
    return compare_models(split, tracking=tracking)


def test_purchase_tracking_adds_up_to_the_split(cdnow):
    """First purchases count the split's customers; repeats add up to frequency_cal and
    frequency_holdout on either side of t = 0."""
    _, split, tracking = cdnow
    assert tracking["first_purchases"].sum() == len(split)
    calibration = tracking.index <= 0
    assert tracking.loc[calibration, "repeat_purchases"].sum() == split["frequency_cal"].sum()
    assert tracking.loc[~calibration, "repeat_purchases"].sum() == split["frequency_holdout"].sum()
    # One row per day from 1997-01-01 (age 38.857 weeks at the calibration end) to as_of.
    assert tracking.index[0] == pytest.approx(-272 / 7)
    assert tracking.index[-1] == pytest.approx(39.0)
    assert len(tracking) == 272 + 273 + 1


def test_purchase_tracking_on_a_log_counted_by_hand():
    """Two customers: one purchase per day merges, the first purchase is not a repeat, later
    customers and rows after as_of are left out."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "a", "b", "c", "a"],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01 00:00",
                    "2024-01-01 18:00",  # same day: one purchase
                    "2024-01-03 00:00",
                    "2024-01-02 00:00",
                    "2024-01-05 00:00",  # holdout
                    "2024-01-05 00:00",  # holdout
                    "2024-01-05 00:00",  # first seen in the holdout: excluded
                    "2024-01-09 00:00",  # after as_of: excluded
                ]
            ),
        }
    )
    with pytest.warns(RowsExcludedWarning):
        tracking = purchase_tracking(tx, calibration_end="2024-01-03", as_of="2024-01-06")
    assert tracking.index.tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    assert tracking["first_purchases"].tolist() == [1, 1, 0, 0, 0, 0]
    assert tracking["repeat_purchases"].tolist() == [0, 0, 1, 0, 2, 0]


def test_tracking_table_sums_each_customers_expected_purchases_since_the_first(cdnow):
    """Cumulative expected repeat transactions at each week's end are the sum over the
    customers of E[X(age)], computed customer by customer here."""
    _, split, tracking = cdnow
    model = BetaGeoModel(**CAL).fit(split)
    table = tracking_table(model, tracking)
    assert len(table) == 78  # weeks 1-39 calibration, 40-78 holdout
    assert table.index.tolist() == [float(k) for k in range(-38, 40)]
    for week in (-30.0, 0.0, 12.0, 39.0):
        ages = np.maximum(week + split["T_cal"].to_numpy(), 0.0)
        by_hand = sum(model.expected_purchases_new(age) for age in ages)
        assert table.loc[week, "cumulative_predicted"] == pytest.approx(by_hand, rel=1e-12)
    assert (
        table["cumulative_actual"].iloc[-1]
        == split["frequency_cal"].sum() + split["frequency_holdout"].sum()
    )
    np.testing.assert_allclose(table["predicted"].cumsum(), table["cumulative_predicted"])
    np.testing.assert_allclose(table["actual"].cumsum(), table["cumulative_actual"])


def test_tracking_table_with_a_period_that_does_not_divide_the_holdout(cdnow):
    """Four-week periods end on multiples of 4 from the calibration end; the last one stops
    at the end of the holdout."""
    _, split, tracking = cdnow
    model = BetaGeoModel(**CAL).fit(split)
    table = tracking_table(model, tracking, period=4.0)
    assert table.index[0] == -36.0 and table.index[-1] == 39.0
    assert table.index[-2] == 36.0
    weekly = tracking_table(model, tracking)
    assert table["cumulative_predicted"].iloc[-1] == pytest.approx(
        weekly["cumulative_predicted"].iloc[-1]
    )


def test_compare_models_aic_and_bic_follow_the_textbook_formulas(cdnow, compared):
    """AIC = 2k - 2 LL and BIC = k ln(n) - 2 LL from each model's own fitted log_likelihood_."""
    _, split, _ = cdnow
    assert compared.index.tolist() == ["BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"]
    for cls in (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel):
        model = cls(**CAL).fit(split)
        row = compared.loc[cls.__name__]
        k, ll = 4, model.log_likelihood_
        assert row["n_params"] == k
        assert row["log_likelihood"] == pytest.approx(ll, rel=1e-12)
        assert row["aic"] == pytest.approx(2 * k - 2 * ll, rel=1e-12)
        assert row["bic"] == pytest.approx(k * np.log(2357) - 2 * ll, rel=1e-12)
        assert row["unidentified"] == ""
    # Published log-likelihoods (Fader, Hardie & Lee 2005; Fader & Hardie's Pareto/NBD note).
    assert compared.loc["BetaGeoModel", "log_likelihood"] == pytest.approx(-9582.43, abs=0.01)
    assert compared.loc["ParetoNBDModel", "log_likelihood"] == pytest.approx(-9594.98, abs=0.01)


def test_compare_models_holdout_errors_equal_a_hand_computation(cdnow, compared):
    """MAE, RMSE and the aggregate error use expected_purchases over duration_holdout."""
    _, split, tracking = cdnow
    model = ParetoNBDModel(**CAL).fit(split)
    predicted = model.expected_purchases(split, split["duration_holdout"]).to_numpy()
    error = predicted - split["frequency_holdout"].to_numpy()
    row = compared.loc["ParetoNBDModel"]
    assert row["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-10)
    assert row["rmse"] == pytest.approx(np.sqrt((error**2).mean()), rel=1e-10)
    assert row["predicted"] == pytest.approx(predicted.sum(), rel=1e-10)
    assert row["actual"] == 1882
    assert row["error_pct"] == pytest.approx(100 * (predicted.sum() - 1882) / 1882, rel=1e-10)
    weekly = tracking_table(model, tracking)
    holdout = weekly[weekly.index > 0]
    assert row["tracking_mae"] == pytest.approx(
        np.abs(holdout["predicted"] - holdout["actual"]).mean(), rel=1e-10
    )


def test_compare_models_on_a_plain_summary_reports_the_fit_only():
    """Without holdout columns, only n_params, log_likelihood, aic and bic."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        summary = bs.clv_summary(bs.datasets.load_cdnow(), as_of="1997-09-30", freq_multiplier=7)
    table = compare_models(summary, models={"bg": BetaGeoModel(), "mbg": ModifiedBetaGeoModel()})
    assert table.index.tolist() == ["bg", "mbg"]
    assert table.columns.tolist() == ["n_params", "log_likelihood", "aic", "bic", "unidentified"]


def test_compare_models_clones_the_models_it_is_given(cdnow):
    """The caller's model objects are left unfitted."""
    _, split, _ = cdnow
    mine = BetaGeoModel()
    compare_models(split, models=[mine])
    assert not hasattr(mine, "params_")


def test_compare_models_refuses_bad_models_and_mismatched_tracking(cdnow):
    """Non repeat-buying models, duplicates, an empty list and tracking of other customers."""
    _, split, tracking = cdnow
    with pytest.raises(TypeError, match="repeat-buying model"):
        compare_models(split, models=[GammaGammaModel()])
    with pytest.raises(ValueError, match="pass a dict"):
        compare_models(split, models=[BetaGeoModel(), BetaGeoModel(penalizer_coef=0.1)])
    with pytest.raises(ValueError, match="empty"):
        compare_models(split, models=[])
    with pytest.raises(TypeError, match="sequence or a dict"):
        compare_models(split, models=BetaGeoModel())
    with pytest.raises(DataValidationError, match="2357 customers"):
        compare_models(split, tracking=tracking.iloc[20:])
    with pytest.raises(SchemaError, match="calibration_holdout_split"):
        compare_models(split.rename(columns={"T_cal": "age"}))


def test_tracking_table_refuses_bad_input(cdnow):
    """A table without the counts, a bad index or period, or another kind of model."""
    _, split, tracking = cdnow
    model = BetaGeoModel(**CAL).fit(split)
    with pytest.raises(SchemaError, match="purchase_tracking"):
        tracking_table(model, tracking.rename(columns={"repeat_purchases": "n"}))
    with pytest.raises(DataValidationError, match="strictly increasing"):
        tracking_table(model, tracking.iloc[::-1])
    with pytest.raises(ValueError, match="positive number"):
        tracking_table(model, tracking, period=0.0)
    with pytest.raises(TypeError, match="repeat-buying model"):
        tracking_table(GammaGammaModel(), tracking)


def test_purchase_tracking_refuses_an_empty_holdout(cdnow):
    """The windows are checked as calibration_holdout_split checks them."""
    tx, _, _ = cdnow
    with pytest.raises(DataValidationError, match="holdout"):
        purchase_tracking(tx, calibration_end="1997-09-30", as_of="1997-09-01")


def test_compare_models_on_online_retail(shared_data):
    """UCI Online Retail: the models fit and the holdout totals are those of the split.

    BG/NBD and MBG/NBD only: the Pareto/NBD fit of this log takes ~50 s (its dropout
    shape s runs to the bound); examples/model_diagnostics.py shows all three.
    """
    invoices = pd.read_csv(
        shared_data / "online_retail" / "online_retail_invoices.csv", dtype={"invoice_no": str}
    )
    windows = {"calibration_end": "2011-09-09", "as_of": "2011-12-09", "freq_multiplier": 7}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        split = bs.calibration_holdout_split(invoices, time_col="date", **windows)
        tracking = purchase_tracking(invoices, time_col="date", **windows)
        table = compare_models(
            split, models=[BetaGeoModel(), ModifiedBetaGeoModel()], tracking=tracking
        )
    assert (table["actual"] == split["frequency_holdout"].sum()).all()
    assert np.isfinite(table.drop(columns="unidentified").to_numpy(dtype=float)).all()
    assert (table["bic"] > table["aic"]).all()
    # No dropout in this window: a -> 0 and b -> inf, both models are the NBD.
    assert (table["unidentified"] == "a, b").all()
