"""segment_report: hand computations, optional KPI columns, empty segments, the
rfm_table + RFMSegmenter route on CDNOW, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import behaviorseg as bs
from behaviorseg.exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from behaviorseg.kpi import segment_report


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["champions", "champions", "at risk", "at risk", "at risk"],
            "frequency": [10, 6, 2, 1, 1],
            "monetary": [500.0, 300.0, 80.0, 40.0, 80.0],
            "converted": [True, True, False, True, False],
            "cltv": [900.0, 500.0, 60.0, 30.0, 30.0],
            "churn_probability": [0.1, 0.3, 0.6, 0.8, 0.7],
            "acquisition_cost": [100.0, 100.0, 20.0, 20.0, 20.0],
        },
        index=pd.Index([11, 12, 13, 14, 15], name="customer_id"),
    )


def test_report_size_revenue_and_order_value_by_hand():
    """at risk: 3 customers (0.6), revenue 200 (0.2), 4 orders, AOV 50; champions: 2 (0.4),
    revenue 800 (0.8), 16 orders, AOV 50."""
    out = segment_report(_customers(), segment_col="segment")
    assert out.index.name == "segment" and list(out.index) == ["at risk", "champions"]
    assert out["customers"].tolist() == [3, 2]
    np.testing.assert_allclose(out["share"], [0.6, 0.4])
    np.testing.assert_allclose(out["revenue"], [200.0, 800.0])
    np.testing.assert_allclose(out["revenue_share"], [0.2, 0.8])
    np.testing.assert_allclose(out["revenue_per_customer"], [200 / 3, 400.0])
    np.testing.assert_allclose(out["orders"], [4.0, 16.0])
    np.testing.assert_allclose(out["avg_order_value"], [50.0, 50.0])
    assert "conversion_rate" not in out.columns and "cltv_mean" not in out.columns


def test_report_adds_the_kpis_the_inputs_allow():
    """Conversion 1/3 and 2/2; CLTV mean 40 and 700; churn 0.7 and 0.2; CAC 20 and 100,
    so LTV:CAC 2 and 7."""
    out = segment_report(
        _customers(),
        segment_col="segment",
        converted_col="converted",
        cltv_col="cltv",
        churn_col="churn_probability",
        cac_col="acquisition_cost",
    )
    np.testing.assert_array_equal(out["conversions"], [1, 2])
    np.testing.assert_allclose(out["conversion_rate"], [1 / 3, 1.0])
    np.testing.assert_allclose(out["cltv_mean"], [40.0, 700.0])
    np.testing.assert_allclose(out["cltv_total"], [120.0, 1400.0])
    np.testing.assert_allclose(out["churn_rate"], [0.7, 0.2])
    np.testing.assert_allclose(out["cac"], [20.0, 100.0])
    np.testing.assert_allclose(out["ltv_cac"], [2.0, 7.0])


def test_revenue_and_orders_can_be_left_out():
    """revenue_col=None and orders_col=None give the size columns only."""
    out = segment_report(_customers(), segment_col="segment", revenue_col=None, orders_col=None)
    assert list(out.columns) == ["customers", "share"]
    orders_only = segment_report(_customers(), segment_col="segment", revenue_col=None)
    assert "orders" in orders_only.columns and "avg_order_value" not in orders_only.columns


def test_empty_categorical_segments_are_rows_with_nan_ratios():
    """An unused category: 0 customers, share 0, revenue 0, NaN per-customer ratios."""
    customers = _customers().assign(
        segment=lambda d: pd.Categorical(
            d["segment"], categories=["champions", "hibernating", "at risk"]
        )
    )
    with np.errstate(all="raise"):
        out = segment_report(customers, segment_col="segment", cltv_col="cltv")
    assert list(out.index) == ["champions", "hibernating", "at risk"]
    empty = out.loc["hibernating"]
    assert empty["customers"] == 0 and empty["share"] == 0 and empty["revenue"] == 0
    assert empty[["revenue_per_customer", "avg_order_value", "cltv_mean"]].isna().all()


def test_boolean_churn_flags_and_input_left_alone():
    """Churn flags give the observed churn share; the caller's frame is unchanged."""
    customers = _customers().assign(churned=[False, False, True, True, False])
    before = customers.copy()
    out = segment_report(customers, segment_col="segment", churn_col="churned")
    pd.testing.assert_frame_equal(customers, before)
    np.testing.assert_allclose(out["churn_rate"], [2 / 3, 0.0])


def test_report_on_cdnow_rfm_segments_adds_up():
    """rfm_table + RFMSegmenter: every customer in exactly one row, shares sum to 1 and the
    revenue column sums to the total net spend of the log."""
    tx = bs.datasets.load_cdnow()
    customers = bs.rfm_table(tx)
    with warnings.catch_warnings():  # the segmenter warns that ties leave a score empty
        warnings.simplefilter("ignore", BehaviorsegWarning)
        segmenter = bs.RFMSegmenter().fit(customers)
    labelled = customers.assign(
        segment=pd.Categorical(segmenter.predict(customers), categories=segmenter.segments_)
    )
    out = segment_report(labelled, segment_col="segment")
    assert list(out.index) == segmenter.segments_
    assert out["customers"].sum() == len(customers) == 2357
    assert out["share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert out["revenue"].sum() == pytest.approx(tx["amount"].sum(), rel=1e-9)
    assert out["revenue_share"].sum() == pytest.approx(1.0, rel=1e-12)
    # champions buy more often than hibernating customers, by construction of the map
    assert (
        out.loc["champions", "orders"] / out.loc["champions", "customers"]
        > out.loc["hibernating", "orders"] / out.loc["hibernating", "customers"]
    )


@pytest.mark.parametrize(
    ("kwargs", "frame", "error", "match"),
    [
        ({"revenue_col": "sales"}, _customers(), SchemaError, r"'sales' \(revenue_col\)"),
        (
            {"churn_col": "churn_probability"},
            _customers().assign(churn_probability=1.5),
            DataValidationError,
            "outside",
        ),
        ({"converted_col": "cltv"}, _customers(), DataValidationError, "neither"),
        (
            {"cac_col": "acquisition_cost"},
            _customers().assign(acquisition_cost=-1.0),
            DataValidationError,
            "'acquisition_cost'",
        ),
        ({}, _customers().assign(monetary=np.nan), DataValidationError, "'monetary'"),
        ({}, _customers().assign(segment=None), DataValidationError, "missing segment"),
    ],
)
def test_bad_report_input_is_refused(kwargs, frame, error, match):
    """Missing columns, out-of-range churn, non-flag conversions, negative costs, NaN revenue
    and missing labels raise errors naming the column."""
    with pytest.raises(error, match=match):
        segment_report(frame, segment_col="segment", **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.integers(1, 20), st.floats(0, 1e4)),
        min_size=1,
        max_size=40,
    )
)
def test_shares_are_proportions_that_sum_to_one(rows):
    """share in [0, 1] summing to 1; revenue sums to the input's total."""
    customers = pd.DataFrame(rows, columns=["segment", "frequency", "monetary"])
    out = segment_report(customers, segment_col="segment")
    assert ((out["share"] >= 0) & (out["share"] <= 1)).all()
    assert out["share"].sum() == pytest.approx(1.0)
    assert out["revenue"].sum() == pytest.approx(customers["monetary"].sum())
