"""Bad input across the public API (issue 20): one section per class of problem, each
test parametrised over every public function or estimator the class applies to."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg import kpi
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.models import BetaGeoModel, GammaGammaModel
from behaviorseg.summaries import AIDA_STAGES

# --- small, valid inputs: each test breaks one thing in them ---------------------------


def _transactions() -> pd.DataFrame:
    """Three customers over four months; 2024-04-30 is the last day."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3, 3, 1],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-02",
                    "2024-01-20",
                    "2024-02-15",
                    "2024-01-05",
                    "2024-03-01",
                    "2024-02-10",
                    "2024-04-01",
                    "2024-04-30",
                ]
            ),
            "amount": [10.0, 20.0, 15.0, 5.0, 8.0, 30.0, 12.0, 9.0],
        }
    )


def _usage_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "timestamp": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-05", "2024-03-09"]),
            "minutes": [10.0, 5.0, 30.0, 1.0],
        }
    )


def _funnel_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "timestamp": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-05", "2024-03-09"]),
            "event": ["ad_impression", "purchase", "site_visit", "add_to_cart"],
        }
    )


def _brand_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "timestamp": pd.to_datetime(
                ["2024-03-01", "2024-03-04", "2024-03-05", "2024-03-02", "2024-03-09"]
            ),
            "event": ["view", "view", "purchase", "purchase", "purchase"],
            "brand": ["A", "B", "B", "A", "C"],
            "price": [400.0, 500.0, 500.0, 3.0, 2.5],
        }
    )


def _spend() -> pd.DataFrame:
    return pd.DataFrame(
        {"channel": ["ads", "mail"], "period": ["2024-01", "2024-01"], "amount": [500.0, 90.0]}
    )


def _acquisitions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "acquired_at": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-01-15"]),
            "channel": ["ads", "ads", "mail"],
        }
    )


def _segments() -> pd.DataFrame:
    """One row per customer of _transactions, with a segment and per-customer KPIs."""
    return pd.DataFrame(
        {
            "segment": ["a", "a", "b"],
            "converted": [True, False, True],
            "interactions": [3, 0, 1],
            "revenue": [74.0, 13.0, 42.0],
            "cltv": [100.0, 20.0, 60.0],
            "reached_attention": [True, True, False],
            "reached_action": [True, False, False],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )


def _with_copy(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with a second column named ``column``, as ``pd.concat(axis=1)`` makes."""
    return pd.concat([frame, frame[[column]]], axis=1)


# --- class 1: duplicated column names ---------------------------------------------------

# (call, input builder, column duplicated): each call reads the column it duplicates.
FUNCTIONS_READING_ONE_FRAME: dict[str, tuple[Callable[[pd.DataFrame], Any], Any, str]] = {
    "rfm_table": (bs.rfm_table, _transactions, "amount"),
    "clv_summary": (bs.clv_summary, _transactions, "timestamp"),
    "churn_labels": (
        lambda f: bs.churn_labels(f, cutoff="2024-02-28", horizon="30D"),
        _transactions,
        "amount",
    ),
    "usage_table": (lambda f: bs.usage_table(f, value_col="minutes"), _usage_events, "minutes"),
    "funnel_table": (lambda f: bs.funnel_table(f, stages=AIDA_STAGES), _funnel_events, "event"),
    "brand_table": (bs.brand_table, _brand_events, "brand"),
    "kpi.conversion_rate": (
        lambda f: kpi.conversion_rate(f, segment_col="segment"),
        _segments,
        "converted",
    ),
    "kpi.compare_conversion": (
        lambda f: kpi.compare_conversion(f, group_col="segment", control="a"),
        _segments,
        "converted",
    ),
    "kpi.cltv": (
        lambda f: kpi.cltv(f, churn_rate=0.1),
        lambda: bs.rfm_table(_transactions()),
        "frequency",
    ),
    "kpi.cltv_by_segment": (
        lambda f: kpi.cltv_by_segment(f, segment_col="segment"),
        _segments,
        "cltv",
    ),
    "kpi.cac(spend)": (lambda f: kpi.cac(f, _acquisitions()), _spend, "amount"),
    "kpi.cac(acquisitions)": (lambda f: kpi.cac(_spend(), f), _acquisitions, "channel"),
    "kpi.retention_rate(events)": (
        lambda f: kpi.retention_rate(
            f, _segments(), segment_col="segment", base_period="2024-01", next_period="2024-02"
        ),
        _transactions,
        "timestamp",
    ),
    "kpi.retention_rate(customers)": (
        lambda f: kpi.retention_rate(
            _transactions(), f, segment_col="segment", base_period="2024-01", next_period="2024-02"
        ),
        _segments,
        "segment",
    ),
    "kpi.engagement_rate": (
        lambda f: kpi.engagement_rate(f, segment_col="segment"),
        _segments,
        "interactions",
    ),
    "kpi.funnel_conversion": (kpi.funnel_conversion, _segments, "reached_action"),
    "kpi.segment_report": (
        lambda f: kpi.segment_report(
            f, segment_col="segment", revenue_col="revenue", orders_col=None
        ),
        _segments,
        "revenue",
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONS_READING_ONE_FRAME))
def test_duplicated_column_names_raise_schema_error_naming_them(name):
    """A column named twice (after pd.concat or a merge) is a SchemaError naming it and the fix,
    not an AttributeError or a broadcast error from deep inside."""
    call, build, column = FUNCTIONS_READING_ONE_FRAME[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        call(build())  # the valid input works
    frame = _with_copy(build(), column)
    before = frame.copy()
    with pytest.raises(SchemaError, match=rf"duplicated column names: '{column}' \(2 times\).*"):
        call(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_a_duplicated_column_the_function_does_not_read_is_refused_too():
    """Every boundary refuses duplicated names, read or not: the frame is ambiguous."""
    tx = _transactions().assign(note="x")
    with pytest.raises(SchemaError, match=r"'note' \(2 times\).*df\.loc\[:, ~df\.columns"):
        bs.rfm_table(_with_copy(tx, "note"))


def _customer_tables() -> dict[str, pd.DataFrame]:
    tx = _transactions()
    rfm = bs.rfm_table(tx)
    clv = bs.clv_summary(tx)
    usage = bs.usage_table(_usage_events(), value_col="minutes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        funnel = bs.funnel_table(_funnel_events(), stages=AIDA_STAGES)
    brand = bs.brand_table(_brand_events())
    walker = rfm.assign(likelihood_to_recommend=[9.0, 3.0, np.nan])
    xy = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [4.0, 1.0, 3.0, 2.0]})
    return {
        "rfm": rfm,
        "clv": clv,
        "usage": usage,
        "funnel": funnel,
        "brand": brand,
        "walker": walker,
        "xy": xy,
    }


# (estimator factory, table, a column it reads, y or None)
ESTIMATORS: dict[str, tuple[Callable[[], Any], str, str]] = {
    "RFMSegmenter": (lambda: bs.RFMSegmenter(n_bins=2), "rfm", "monetary"),
    "UsageTierSegmenter": (bs.UsageTierSegmenter, "usage", "usage_value"),
    "AIDAStageSegmenter": (bs.AIDAStageSegmenter, "funnel", "days_since_interest"),
    "MatrixSegmenter": (
        lambda: bs.MatrixSegmenter(x_axis=(("x", 1.0),), y_axis=(("y", 1.0),)),
        "xy",
        "y",
    ),
    "AssaelSegmenter": (bs.AssaelSegmenter, "brand", "price_premium"),
    "WalkerLoyaltySegmenter": (bs.WalkerLoyaltySegmenter, "walker", "frequency"),
    "ChurnSegmenter": (bs.ChurnSegmenter, "clv", "recency"),
}
MODELS: dict[str, tuple[Callable[[], Any], str, str]] = {
    "BetaGeoModel": (BetaGeoModel, "clv", "T"),
    "GammaGammaModel": (GammaGammaModel, "clv", "monetary_value"),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("method", ["fit", "predict"])
def test_segmenters_refuse_duplicated_column_names(name, method):
    """fit and predict of every segmenter refuse a duplicated column with a SchemaError."""
    factory, table, column = ESTIMATORS[name]
    frame = _customer_tables()[table]
    estimator = factory()
    if method == "predict":
        estimator.fit(frame)
    with pytest.raises(SchemaError, match=rf"duplicated column names: '{column}'"):
        getattr(estimator, method)(_with_copy(frame, column))


@pytest.mark.parametrize("name", list(MODELS))
def test_models_refuse_duplicated_column_names(name):
    """The models' fit reads its columns through check_columns, which refuses duplicates."""
    factory, table, column = MODELS[name]
    frame = _customer_tables()[table]
    if name == "GammaGammaModel":
        frame = frame[frame["frequency"] > 0]
    with pytest.raises(SchemaError, match=rf"duplicated column names: '{column}'"):
        factory().fit(_with_copy(frame, column))


def test_churn_classifier_refuses_duplicated_column_names():
    """ChurnClassifier reads rfm_table features; a duplicated one is a SchemaError."""
    rfm = _customer_tables()["rfm"]
    with pytest.raises(SchemaError, match=r"duplicated column names: 'frequency'"):
        bs.ChurnClassifier().fit(_with_copy(rfm, "frequency"), [0, 1, 0])


# --- class 2: timestamps outside the years 1677-2262 -----------------------------------

_TYPO_STAMPS = ["2024-01-02", "2924-01-20", "2024-02-15"]  # row 1: 2924 for 2024


def _typo_column(kind: str) -> pd.Series:
    if kind == "strings":
        return pd.Series(_TYPO_STAMPS)
    return pd.Series(np.array(_TYPO_STAMPS, dtype="datetime64[us]"))  # pandas >= 2 holds it


def _time_frames(time_values: pd.Series) -> dict[str, pd.DataFrame]:
    base = {
        "customer_id": [1, 2, 1],
        "timestamp": time_values,
    }
    return {
        "tx": pd.DataFrame({**base, "amount": [1.0, 2.0, 3.0]}),
        "events": pd.DataFrame({**base, "event": ["ad_impression", "purchase", "purchase"]}),
        "brand": pd.DataFrame(
            {**base, "event": "purchase", "brand": ["A", "B", "A"], "price": [1.0, 2.0, 3.0]}
        ),
        "acquisitions": pd.DataFrame(
            {"customer_id": [1, 2, 3], "acquired_at": time_values, "channel": "ads"}
        ),
    }


TIME_READERS: dict[str, tuple[str, Callable[[pd.DataFrame], Any], str]] = {
    "rfm_table": ("tx", bs.rfm_table, "timestamp"),
    "clv_summary": ("tx", bs.clv_summary, "timestamp"),
    "churn_labels": (
        "tx",
        lambda f: bs.churn_labels(f, cutoff="2024-01-10", horizon="10D", as_of="2024-03-01"),
        "timestamp",
    ),
    "usage_table": ("events", bs.usage_table, "timestamp"),
    "funnel_table": ("events", lambda f: bs.funnel_table(f, stages=AIDA_STAGES), "timestamp"),
    "brand_table": ("brand", bs.brand_table, "timestamp"),
    "kpi.cac": (
        "acquisitions",
        lambda f: kpi.cac(
            pd.DataFrame({"channel": ["ads"], "period": ["2024-01"], "amount": 1.0}), f
        ),
        "acquired_at",
    ),
    "kpi.retention_rate": (
        "tx",
        lambda f: kpi.retention_rate(
            f,
            pd.DataFrame({"segment": ["a", "b"]}, index=[1, 2]),
            segment_col="segment",
            base_period="2024-01",
            next_period="2024-02",
        ),
        "timestamp",
    ),
}


@pytest.mark.parametrize("kind", ["strings", "datetime64[us]"])
@pytest.mark.parametrize("name", list(TIME_READERS))
def test_a_year_after_2262_is_refused_naming_the_column_and_rows(name, kind):
    """One rule for every function that reads times: a year outside 1677-2262 (a typo such as
    2924) is a DataValidationError naming the column, the row and the fix, never an
    OutOfBoundsDatetime or a silent overflow."""
    which, call, column = TIME_READERS[name]
    frame = _time_frames(_typo_column(kind))[which]
    with pytest.raises(
        DataValidationError,
        match=rf"'{column}' has 1 timestamps outside the years 1677-2262 "
        r"\(rows 1: '?2924-01-20.*typo.*fix or drop",
    ):
        call(frame)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("rfm_table", lambda tx: bs.rfm_table(tx, as_of="2924-01-01")),
        ("clv_summary", lambda tx: bs.clv_summary(tx, as_of="2924-01-01")),
        ("churn_labels", lambda tx: bs.churn_labels(tx, cutoff="2924-01-01", horizon="30D")),
        ("usage_table", lambda tx: bs.usage_table(tx, as_of="2924-01-01")),
    ],
)
def test_an_as_of_after_2262_is_refused_naming_the_parameter(name, call):
    """The same rule for a date parameter: as_of (or cutoff) in 2924 is refused by name."""
    with pytest.raises(DataValidationError, match=r"(as_of|cutoff)='2924-01-01' is outside"):
        call(_transactions())


# --- class 3: the label window of churn_labels is validated ----------------------------


def test_churn_labels_refuses_a_missing_amount_in_the_label_window():
    """A NaN amount after the cutoff is an error, as before it, not a silent 'churned'."""
    tx = _transactions()
    tx.loc[4, "amount"] = np.nan  # customer 2's only purchase in (2024-02-28, 2024-03-29]
    with pytest.raises(DataValidationError, match=r"'amount' has 1 missing or non-finite.*rows 4"):
        bs.churn_labels(tx, cutoff="2024-02-28", horizon="30D")
    tx.loc[4, "amount"] = np.inf
    with pytest.raises(DataValidationError, match=r"'amount'.*rows 4"):
        bs.churn_labels(tx, cutoff="2024-02-28", horizon="30D")


def test_churn_labels_drops_label_rows_without_a_customer_id_with_a_warning():
    """Rows of the label window without a customer id are dropped and counted, as in rfm_table."""
    tx = _transactions()
    tx["customer_id"] = tx["customer_id"].astype("float64")
    tx.loc[6, "customer_id"] = np.nan  # in (2024-02-28, 2024-04-28]
    with pytest.warns(RowsExcludedWarning, match="1 rows of the label window") as caught:
        out = bs.churn_labels(tx, cutoff="2024-02-28", horizon="60D")
    assert out["churned"].to_dict() == {1.0: True, 2.0: False, 3.0: True}
    assert all(w.filename == __file__ for w in caught)


def test_churn_labels_does_not_modify_its_input():
    tx = _transactions()
    before = tx.copy()
    bs.churn_labels(tx, cutoff="2024-02-28", horizon="30D")
    pd.testing.assert_frame_equal(tx, before)


# --- class 4: periods given as strings keep their span ---------------------------------


def _quarter_spend() -> tuple[pd.DataFrame, pd.DataFrame]:
    spend = pd.DataFrame({"channel": ["ads"], "period": ["2024Q1"], "amount": [900.0]})
    new = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "acquired_at": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-03-10"]),
            "channel": "ads",
        }
    )
    return spend, new


def test_cac_books_a_quarter_string_to_the_quarter():
    """'2024Q1' is the quarter: 900 spent over three customers is a CAC of 300."""
    spend, new = _quarter_spend()
    out = kpi.cac(spend, new, period="Q")
    assert out["cac"].tolist() == [300.0]
    assert [str(p) for _, p in out.index] == ["2024Q1"]


def test_cac_refuses_a_quarter_string_in_a_monthly_report():
    """A quarter's spend cannot be booked to one month (it used to go to January)."""
    spend, new = _quarter_spend()
    with pytest.raises(
        DataValidationError, match=r"'period' of spend holds periods that span several 'M'.*2024Q1"
    ):
        kpi.cac(spend, new, period="M")


@pytest.mark.parametrize(
    "labels",
    [
        ["2024-01", "2024-02"],
        pd.PeriodIndex(["2024-01", "2024-02"], freq="M"),
        ["2024-01-15", "2024-02-03"],
        pd.to_datetime(["2024-01-15", "2024-02-03"]),
    ],
    ids=["month-strings", "periods", "day-strings", "datetimes"],
)
def test_cac_reads_month_strings_periods_days_and_dates_alike(labels):
    """Month strings, Periods and anything inside the month give the same table."""
    spend = pd.DataFrame({"channel": "ads", "period": labels, "amount": [100.0, 50.0]})
    new = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "acquired_at": pd.to_datetime(["2024-01-10", "2024-01-11", "2024-02-10"]),
            "channel": "ads",
        }
    )
    out = kpi.cac(spend, new)
    assert out["cac"].tolist() == [50.0, 50.0]


def test_kpi_functions_read_period_strings_with_one_rule():
    """retention_rate reads '2024Q1' as the quarter, as cac does (same helper)."""
    events = pd.DataFrame(
        {
            "customer_id": [1, 2, 1],
            "timestamp": pd.to_datetime(["2024-03-20", "2024-01-05", "2024-05-01"]),
        }
    )
    customers = pd.DataFrame({"segment": ["a", "a"]}, index=[1, 2])
    by_string = kpi.retention_rate(
        events, customers, segment_col="segment", base_period="2024Q1", next_period="2024Q2"
    )
    by_period = kpi.retention_rate(
        events,
        customers,
        segment_col="segment",
        base_period=pd.Period("2024Q1"),
        next_period=pd.Period("2024Q2"),
    )
    pd.testing.assert_frame_equal(by_string, by_period)
    assert by_string["active"].tolist() == [2]
    assert by_string["retained"].tolist() == [1]
    with pytest.raises(DataValidationError, match=r"base_period='first quarter' is not a period"):
        kpi.retention_rate(
            events,
            customers,
            segment_col="segment",
            base_period="first quarter",
            next_period="2024Q2",
        )


# --- class 5: messages name the column --------------------------------------------------


@pytest.mark.parametrize("name", ["AIDAStageSegmenter", "WalkerLoyaltySegmenter"])
def test_infinity_in_a_segmenter_that_allows_nan_names_the_column(name):
    """AIDA and Walker accept NaN (unknown) but refuse infinity naming the column and the fix,
    not with scikit-learn's anonymous 'Input contains infinity'."""
    factory, table, column = ESTIMATORS[name]
    frame = _customer_tables()[table].astype({column: np.float64})
    frame.iloc[0, frame.columns.get_loc(column)] = np.inf
    with pytest.raises(DataValidationError, match=rf"'{column}' has 1 infinite values.*NaN"):
        factory().fit(frame)


@pytest.mark.parametrize(
    "name", [n for n in ESTIMATORS if n not in ("AIDAStageSegmenter", "WalkerLoyaltySegmenter")]
)
def test_infinity_in_a_segmenter_column_names_the_column(name):
    """Every other segmenter names the column holding infinity."""
    factory, table, column = ESTIMATORS[name]
    frame = _customer_tables()[table].astype({column: np.float64})
    frame.iloc[0, frame.columns.get_loc(column)] = np.inf
    with pytest.raises(DataValidationError, match=rf"'{column}' has 1 missing or non-finite"):
        factory().fit(frame)


# --- class 6: mixed time zones as strings -----------------------------------------------

MIXED_ZONE_STRINGS = {
    "two-offsets": ["2024-01-02 10:00:00+01:00", "2024-01-20 10:00:00+02:00", "2024-02-15"],
    "naive-and-offset": ["2024-01-02 10:00:00", "2024-01-20 10:00:00+02:00", "2024-02-15 10:00"],
    "daylight-saving": [
        "2024-01-02T10:00:00+01:00",
        "2024-07-20T10:00:00+02:00",
        "2024-08-15T10:00:00+02:00",
    ],
    "utc-and-offset": ["2024-01-02T10:00Z", "2024-01-20T10:00+0100", "2024-02-15T10:00Z"],
}


@pytest.mark.parametrize("stamps", list(MIXED_ZONE_STRINGS))
@pytest.mark.parametrize("name", list(TIME_READERS))
def test_strings_with_mixed_offsets_raise_schema_error_on_every_pandas(name, stamps):
    """Strings mixing UTC offsets (or offsets and naive times) are a SchemaError naming the
    column and utc=True, decided by behaviorseg: pandas 2.0/2.1 would return an object
    column (2.1 with a FutureWarning, an error under the test config), 3.x raise."""
    which, call, column = TIME_READERS[name]
    frame = _time_frames(pd.Series(MIXED_ZONE_STRINGS[stamps]))[which]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        with pytest.raises(SchemaError, match=rf"'{column}' mixes.*utc=True"):
            call(frame)


@pytest.mark.parametrize(
    "stamps",
    [
        ["2024-01-02T10:00+0100", "2024-01-20T10:00+0100", "2024-02-15T10:00+0100"],
        ["2024-01-02T10:00Z", "2024-01-20T10:00+00:00", "2024-02-15T10:00Z"],
    ],
    ids=["one-offset", "utc-two-spellings"],
)
def test_strings_with_one_offset_are_read_as_aware_times(stamps):
    """One offset, however it is written, is not mixed: the times are read as aware."""
    tx = pd.DataFrame({"customer_id": [1, 2, 1], "timestamp": stamps, "amount": 1.0})
    out = bs.rfm_table(tx)
    assert out["frequency"].tolist() == [2, 1]


# --- class 7: the horizon and discount rate of the predictive CLTV ----------------------


class _ConstantModel:
    """One purchase per period unit and a value of 10 per purchase, for every customer."""

    def expected_purchases(self, X: Any, t: Any) -> np.ndarray:
        return np.full(len(X), float(t))

    def expected_average_value(self, X: Any) -> np.ndarray:
        return np.full(len(X), 10.0)


def _predictive(**params: Any) -> pd.DataFrame:
    customers = pd.DataFrame({"frequency": [1, 2], "recency": [3.0, 4.0], "T": [5.0, 6.0]})
    model = _ConstantModel()
    options = {"time_unit": "M", "period": "M", "horizon": 12, **params}
    return kpi.cltv(
        customers, method="predictive", transaction_model=model, spend_model=model, **options
    )


def test_cltv_accepts_an_integral_float_horizon():
    """horizon=12.0 is twelve periods, as horizon=12."""
    pd.testing.assert_frame_equal(_predictive(horizon=12.0), _predictive(horizon=12))
    assert _predictive(horizon=12.0)["cltv"].tolist() == [120.0, 120.0]


@pytest.mark.parametrize("horizon", [12.5, np.float64(0.5)])
def test_cltv_refuses_a_fractional_horizon_naming_the_fix(horizon):
    with pytest.raises(ValueError, match=r"horizon=.*(whole number|in \[1)"):
        _predictive(horizon=horizon)


@pytest.mark.parametrize("rate", [1.0, 5, 12.0])
def test_cltv_refuses_a_discount_rate_of_100_percent_or_more(rate):
    """A rate >= 1 per period is a percentage or a yearly rate by mistake: refused, with the fix."""
    with pytest.raises(ValueError, match=r"discount_rate=.*\[0, 1\).*0\.1 for 10 %"):
        _predictive(discount_rate=rate)


def test_cltv_keeps_accepting_rates_below_one():
    values = _predictive(discount_rate=0.5)["cltv"].to_numpy()
    expected = sum(10.0 / 1.5**i for i in range(1, 13))
    np.testing.assert_allclose(values, expected)
