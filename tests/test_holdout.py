"""calibration_holdout_split: lifetimes' calibration_and_holdout_data convention on CDNOW,
and clear errors.

References
----------
- lifetimes 0.11.3 ``utils.calibration_and_holdout_data`` (test-time oracle only).
- CDNOW sample (Fader, Hardie & Lee 2005): calibration 1997-01-01..1997-09-30 (39 weeks),
  holdout to 1998-06-30 (39 weeks), time in weeks counted in days.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning
from behaviorseg.summaries import calibration_holdout_split

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes.utils import calibration_and_holdout_data

ARGS = {"calibration_end": "1997-09-30", "as_of": "1998-06-30", "freq": "D", "freq_multiplier": 7}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return bs.datasets.load_cdnow()


@pytest.fixture(scope="module")
def split(cdnow) -> pd.DataFrame:
    return calibration_holdout_split(cdnow, amount_col="amount", **ARGS)


@pytest.fixture(scope="module")
def reference(cdnow) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calibration_and_holdout_data(
            cdnow,
            "customer_id",
            "timestamp",
            calibration_period_end=ARGS["calibration_end"],
            observation_period_end=ARGS["as_of"],
            freq="D",
            freq_multiplier=7,
            monetary_value_col="amount",
        )


def test_columns_and_values_equal_lifetimes_on_cdnow(split, reference):
    """Same customers, column order and values (monetary holdout: see the next test)."""
    assert list(split.columns) == list(reference.columns)
    assert split.index.equals(reference.index) and len(split) == 2357
    for column in reference.columns.drop("monetary_value_holdout"):
        np.testing.assert_allclose(split[column], reference[column], rtol=1e-12, err_msg=column)
    assert (split["duration_holdout"] == 39.0).all()
    assert split["frequency_holdout"].sum() == 1882  # the holdout purchases of docs/models.md


def test_monetary_holdout_is_the_mean_per_purchase_period(split, reference, cdnow):
    """Mean value of the holdout purchase days (as monetary_value_cal); lifetimes averages
    rows instead, so the two agree exactly for customers with one row per holdout day."""
    holdout = cdnow[cdnow["timestamp"] > "1997-09-30"]
    rows_per_day = holdout.groupby(["customer_id", holdout["timestamp"].dt.date]).size()
    multi = rows_per_day[rows_per_day > 1].index.get_level_values(0).unique()
    single = split.index.difference(multi)
    np.testing.assert_allclose(
        split.loc[single, "monetary_value_holdout"],
        reference.loc[single, "monetary_value_holdout"],
        rtol=1e-12,
    )
    daily = holdout.groupby(["customer_id", holdout["timestamp"].dt.date])["amount"].sum()
    by_day = daily.groupby(level=0).mean()
    np.testing.assert_allclose(split.loc[by_day.index, "monetary_value_holdout"], by_day)


def test_errors_name_the_parameters(cdnow):
    """as_of not after calibration_end, or an empty calibration window, is refused."""
    with pytest.raises(DataValidationError, match=r"as_of=.* must be after calibration_end"):
        calibration_holdout_split(cdnow, calibration_end="1998-01-01", as_of="1997-06-01")
    with pytest.raises(DataValidationError, match="same 'W' period"):
        calibration_holdout_split(cdnow, calibration_end="1997-09-30", as_of="1997-10-01", freq="W")
    with pytest.raises(DataValidationError, match="calibration window is empty"):
        calibration_holdout_split(cdnow, calibration_end="1990-01-01", as_of="1998-01-01")
    with pytest.raises(bs.exceptions.SchemaError, match="amount_col"):
        calibration_holdout_split(cdnow, amount_col="price", **ARGS)


def test_new_customers_and_late_rows_are_excluded_with_counts():
    """Holdout rows of customers unseen in calibration, and rows after as_of, are counted."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 1],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-02-02", "2024-01-05", "2024-02-03", "2024-04-01"]
            ),
        }
    )
    with pytest.warns(RowsExcludedWarning) as caught:
        out = calibration_holdout_split(tx, calibration_end="2024-01-31", as_of="2024-02-29")
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("1 rows are after as_of") for m in messages)
    assert any(m.startswith("1 holdout rows belong to customers") for m in messages)
    assert list(out.index) == [1, 2]
    assert out["frequency_holdout"].tolist() == [1, 0]
    assert out["duration_holdout"].tolist() == [29.0, 29.0]


def test_input_frame_is_not_modified(cdnow):
    """The caller's frame is left as it was."""
    before = cdnow.copy()
    calibration_holdout_split(cdnow, amount_col="amount", **ARGS)
    pd.testing.assert_frame_equal(cdnow, before)
