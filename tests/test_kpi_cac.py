"""cac: CAC per group and period, LTV:CAC and payback, mismatched tables and bad input,
all against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from behaviorseg.exceptions import (
    BehaviorsegWarning,
    DataValidationError,
    RowsExcludedWarning,
    SchemaError,
)
from behaviorseg.kpi import cac


def _spend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": ["ads", "ads", "ads", "mail", "seo"],
            "period": ["2024-01", "2024-01", "2024-02", "2024-01", "2024-03"],
            "amount": [300.0, 200.0, 300.0, 90.0, 50.0],
        }
    )


def _new() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6, 7],
            "acquired_at": pd.to_datetime(
                [
                    "2024-01-03",
                    "2024-01-20",
                    "2024-02-11",
                    "2024-01-15",
                    "2024-01-16",
                    "2024-01-31 23:00:00",
                    "2024-02-02",
                ],
                format="ISO8601",
            ),
            "channel": ["ads", "ads", "ads", "mail", "mail", "mail", "mail"],
        }
    )


def test_cac_per_group_and_month_by_hand():
    """ads Jan: 500 / 2; ads Feb: 300 / 1; mail Jan: 90 / 3; mail Feb: no spend row (NaN,
    warned); seo Mar: spend 50, nobody acquired → CAC NaN, new_customers 0."""
    with pytest.warns(BehaviorsegWarning, match="1 group-periods have new customers but no"):
        out = cac(_spend(), _new())
    assert out.index.names == ["channel", "period"]
    keys = [(c, str(p)) for c, p in out.index]
    assert keys == [
        ("ads", "2024-01"),
        ("ads", "2024-02"),
        ("mail", "2024-01"),
        ("mail", "2024-02"),
        ("seo", "2024-03"),
    ]
    np.testing.assert_array_equal(out["new_customers"], [2, 1, 3, 1, 0])
    np.testing.assert_allclose(out["spend"], [500.0, 300.0, 90.0, np.nan, 50.0])
    np.testing.assert_allclose(out["cac"], [250.0, 300.0, 30.0, np.nan, np.nan])


def test_whole_period_and_quarters():
    """period=None: one row per group (ads 800 / 3); 'Q': months roll up into 2024Q1."""
    out = cac(_spend(), _new(), period=None)
    assert out.index.name == "channel"
    assert out.loc["ads", "cac"] == pytest.approx(800 / 3)
    assert out.loc["mail", "cac"] == pytest.approx(90 / 4)
    assert np.isnan(out.loc["seo", "cac"]) and out.loc["seo", "new_customers"] == 0
    spend = _spend().assign(period=lambda d: pd.PeriodIndex(d["period"], freq="M"))
    quarterly = cac(spend, _new(), period="Q")
    assert quarterly.loc[("mail", pd.Period("2024Q1")), "cac"] == pytest.approx(90 / 4)


def test_spend_dates_count_in_the_period_that_contains_them():
    """A spend column of dates is cut into periods like the acquisition dates."""
    spend = _spend().assign(
        period=pd.to_datetime(
            ["2024-01-05", "2024-01-28", "2024-02-01", "2024-01-10", "2024-03-03"]
        )
    )
    with pytest.warns(BehaviorsegWarning):
        out = cac(spend, _new())
    assert out.loc[("ads", pd.Period("2024-01", freq="M")), "spend"] == 500.0


def test_coarser_spend_periods_are_refused():
    """A quarterly spend cannot be split into months silently."""
    spend = _spend().assign(period=pd.PeriodIndex(["2024Q1"] * 5, freq="Q"))
    with pytest.raises(DataValidationError, match="span several 'M' periods"):
        cac(spend, _new(), period="M")


def test_ltv_cac_and_payback_from_per_customer_cltv():
    """Per-customer CLTV over 12 months: ads Jan mean (600 + 400) / 2 = 500, ratio 2,
    payback 250 / (500 / 12) = 6 months; customer 7 has no CLTV (warned, left out)."""
    values = pd.Series({1: 600.0, 2: 400.0, 3: 300.0, 4: 30.0, 5: 60.0, 6: 90.0, 99: 1.0})
    with pytest.warns(RowsExcludedWarning, match="1 acquired customers have no value"):
        out = cac(_spend(), _new(), period=None, cltv=values, cltv_periods=12)
    ads = out.loc["ads"]
    assert ads["cltv"] == pytest.approx(1300 / 3)
    assert ads["ltv_cac"] == pytest.approx((1300 / 3) / (800 / 3))
    assert ads["payback_periods"] == pytest.approx((800 / 3) / ((1300 / 3) / 12))
    mail = out.loc["mail"]
    assert mail["cltv"] == pytest.approx(60.0)  # customers 4-6; 7 has no value
    assert mail["new_customers"] == 4  # customer 7 still counts as acquired
    assert np.isnan(out.loc["seo", "cltv"]) and np.isnan(out.loc["seo", "ltv_cac"])


def test_group_cltv_is_mapped_by_group_and_missing_groups_are_nan():
    """A CLTV per group: ratio per row; a group without a value gets NaN, not a drop."""
    with pytest.warns(BehaviorsegWarning):
        out = cac(_spend(), _new(), group_cltv=pd.Series({"ads": 750.0, "mail": 60.0}))
    assert out.loc[("ads", pd.Period("2024-01", freq="M")), "ltv_cac"] == pytest.approx(3.0)
    assert out.loc[("mail", pd.Period("2024-01", freq="M")), "ltv_cac"] == pytest.approx(2.0)
    assert np.isnan(out.loc[("seo", pd.Period("2024-03", freq="M")), "cltv"])
    assert "payback_periods" not in out.columns


def test_free_acquisition_gives_zero_cac_and_nan_ratio():
    """Spend 0 with customers: CAC 0, LTV:CAC undefined (NaN) rather than inf."""
    spend = pd.DataFrame({"channel": ["ref"], "period": ["2024-01"], "amount": [0.0]})
    new = _new().iloc[:2].assign(channel="ref")
    with np.errstate(all="raise"):
        out = cac(spend, new, group_cltv=pd.Series({"ref": 100.0}), cltv_periods=12)
    row = out.iloc[0]
    assert row["cac"] == 0.0 and np.isnan(row["ltv_cac"])
    assert row["payback_periods"] == 0.0


def test_inputs_are_not_modified():
    """Neither table changes."""
    spend, new = _spend(), _new()
    before_spend, before_new = spend.copy(), new.copy()
    with pytest.warns(BehaviorsegWarning):
        cac(spend, new)
    pd.testing.assert_frame_equal(spend, before_spend)
    pd.testing.assert_frame_equal(new, before_new)


@pytest.mark.parametrize(
    ("spend", "new", "kwargs", "error", "match"),
    [
        (
            _spend().assign(amount=[1.0, -2.0, 3.0, 4.0, 5.0]),
            _new(),
            {},
            DataValidationError,
            "1 negative amounts",
        ),
        (
            _spend().assign(amount=[1.0, np.nan, 3.0, 4.0, 5.0]),
            _new(),
            {},
            DataValidationError,
            "non-finite",
        ),
        (_spend(), _new().drop(columns="channel"), {}, SchemaError, "'channel' \\(by\\)"),
        (_spend(), _new(), {"by": "campaign"}, SchemaError, "campaign"),
        (
            _spend(),
            pd.concat([_new(), _new().iloc[:1]]),
            {},
            DataValidationError,
            "1 customers acquired more than once",
        ),
        (
            _spend().assign(channel=["ads", None, "ads", "mail", "seo"]),
            _new(),
            {},
            DataValidationError,
            "missing group labels",
        ),
        (_spend(), _new(), {"period": "fortnightly"}, ValueError, "period"),
        (_spend(), _new(), {"cltv_periods": 0}, ValueError, "cltv_periods"),
        (
            _spend(),
            _new(),
            {"cltv": pd.Series({1: 1.0}), "group_cltv": pd.Series({"ads": 1.0})},
            ValueError,
            "not both",
        ),
        (_spend(), _new(), {"cltv": {1: 2.0}}, TypeError, "Series"),
    ],
)
def test_bad_input_is_refused(spend, new, kwargs, error, match):
    """Negative or missing spend, missing columns or labels, duplicated customers and bad
    parameters raise errors that name the problem."""
    with pytest.raises(error, match=match):
        cac(spend, new, **kwargs)


def test_time_zone_aware_acquisitions_use_the_local_calendar():
    """A customer acquired at 23:30 local time on 31 January counts in January."""
    new = _new().assign(acquired_at=lambda d: d["acquired_at"].dt.tz_localize("US/Pacific"))
    new.loc[5, "acquired_at"] = pd.Timestamp("2024-01-31 23:30", tz="US/Pacific")
    with pytest.warns(BehaviorsegWarning):
        out = cac(_spend(), new)
    assert out.loc[("mail", pd.Period("2024-01", freq="M")), "new_customers"] == 3
