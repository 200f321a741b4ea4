"""Any dataframe in (issue 19): pandas, polars and pyarrow frames through the public API.

One fixture, ``backend``, turns each pandas-numpy input into pandas with nullable dtypes,
pandas with pyarrow-backed dtypes, a polars DataFrame and a pyarrow Table (the customer id
index becoming a ``customer_id`` column, as a polars user has it). Every summary, KPI
and profiling function, every model and every registered segmenter must then give the
same values as from the pandas-numpy input, and return the caller's kind of frame (as
skrub's cross-backend tests do). Also: the private layer ``_frames`` itself, the error
for an unsupported object, and that polars and pyarrow are not imported for pandas work.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import behaviorseg as bs
from _estimators import CLASSIFIERS, INSTANCES, point_at_columns
from behaviorseg import kpi, profiling
from behaviorseg._frames import from_pandas_frame, to_pandas_frame
from behaviorseg.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    compare_models,
    purchase_tracking,
    tracking_table,
)
from behaviorseg.summaries import AIDA_STAGES

BACKENDS = ["pandas-numpy", "pandas-nullable", "pandas-pyarrow", "polars", "pyarrow"]


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """The index as leading column(s), unless it is the default 0..n-1 range."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0:
        return frame
    return frame.reset_index()


def _convert(frame: pd.DataFrame, backend: str) -> Any:
    if backend == "pandas-numpy":
        return frame
    if backend == "pandas-nullable":
        return frame.convert_dtypes(dtype_backend="numpy_nullable")
    if backend == "pandas-pyarrow":
        pytest.importorskip("pyarrow")
        return frame.convert_dtypes(dtype_backend="pyarrow")
    if backend == "polars":
        pl = pytest.importorskip("polars")
        pytest.importorskip("pyarrow")  # pl.from_pandas of string columns
        return pl.from_pandas(_with_index(frame))
    pa = pytest.importorskip("pyarrow")
    return pa.Table.from_pandas(_with_index(frame), preserve_index=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Callable[[pd.DataFrame], Any]:
    """Turn a pandas-numpy input frame into the parametrised kind of frame."""
    return lambda frame: _convert(frame, request.param)


def _kind_of(converted: Any) -> str:
    return type(converted).__module__.split(".")[0]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Compare values, not storage: text and categories as Python objects, None for missing."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_bool_dtype(column.dtype) and not column.hasnans:
            out[name] = column.to_numpy(dtype=bool)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            out[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        elif isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            column.dtype
        ):
            out[name] = column.to_numpy()
        else:
            if isinstance(column.dtype, pd.PeriodDtype):  # polars and Arrow: text
                column = column.astype(str)
            values = np.array(column.astype(object), dtype=object)
            values[pd.isna(values)] = None
            out[name] = [tuple(v) if isinstance(v, (list, np.ndarray)) else v for v in values]
    return pd.DataFrame(out, columns=list(out))


def assert_same_frame(result: Any, expected: pd.DataFrame, given: Any) -> None:
    """``result`` is of the kind of ``given`` and holds the values of ``expected``."""
    kind = _kind_of(given)
    assert _kind_of(result) == kind, f"{kind} in, {type(result)} out"
    if kind == "pandas":
        actual = result
    else:
        actual = result.to_pandas()
        expected = _with_index(expected)
        if isinstance(expected.columns, pd.MultiIndex):
            expected.columns = [
                "_".join(str(p) for p in label if p != "") for label in expected.columns
            ]
        expected.columns = [str(c) for c in expected.columns]
    assert list(map(str, actual.columns)) == list(map(str, expected.columns))
    pd.testing.assert_frame_equal(
        _plain(actual),
        _plain(expected),
        check_exact=True,
        check_column_type=False,
    )
    if kind == "pandas":
        assert list(actual.index) == list(expected.index)


# --- inputs: small and varied, as in test_bad_input -------------------------------------


def _transactions() -> pd.DataFrame:
    return bs.datasets.load_cdnow().iloc[:3000]


def _usage_events() -> pd.DataFrame:
    events, _ = bs.datasets.make_events(60, random_state=1)
    return events


def _brand_events() -> pd.DataFrame:
    events, _ = bs.datasets.make_brand_events(60, random_state=2)
    return events


def _engagement_events() -> pd.DataFrame:
    events, _ = bs.datasets.make_engagement_events(60, random_state=3)
    return events


def _customers() -> pd.DataFrame:
    """A customer table indexed by customer id, with a segment and per-customer KPIs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = bs.rfm_table(_transactions())
    table["segment"] = bs.RFMSegmenter().fit_predict(table)
    rng = np.random.default_rng(0)
    table["converted"] = table["frequency"] > 1
    table["interactions"] = rng.integers(0, 5, len(table))
    table["cltv"] = table["monetary"] * 1.5
    table["channel"] = np.where(rng.random(len(table)) < 0.5, "ads", "mail")
    return table


def _spend() -> pd.DataFrame:
    return pd.DataFrame(
        {"channel": ["ads", "mail"], "period": ["1997-01", "1997-01"], "amount": [500.0, 90.0]}
    )


def _acquisitions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "acquired_at": pd.to_datetime(["1997-01-03", "1997-01-20", "1997-01-15", "1997-01-09"]),
            "channel": ["ads", "ads", "mail", "mail"],
        }
    )


def _lines() -> pd.DataFrame:
    """CDNOW lines with a category (single- or multi-CD orders)."""
    tx = _transactions()
    return tx.assign(category=np.where(tx["n_cds"] > 1, "multi", "single"))


def _occasion_transactions() -> pd.DataFrame:
    tx, _ = bs.datasets.make_occasion_transactions(40, random_state=5)
    return tx


WINDOWS = {"calibration_end": "1997-05-31", "as_of": "1997-09-30", "freq_multiplier": 7}


def _split() -> pd.DataFrame:
    return bs.calibration_holdout_split(_transactions(), **WINDOWS)


def _tracking() -> pd.DataFrame:
    return purchase_tracking(_transactions(), **WINDOWS)


_CALIBRATION = {"frequency_col": "frequency_cal", "recency_col": "recency_cal", "T_col": "T_cal"}


def _funnel() -> pd.DataFrame:
    table = bs.funnel_table(_usage_events(), stages=AIDA_STAGES, ignore_events="session")
    return table


def _subscription_events() -> pd.DataFrame:
    events, _ = bs.datasets.make_subscriptions(300, random_state=0)
    return events


# (call on converted frames, builders of the pandas-numpy inputs)
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[Callable[[], pd.DataFrame], ...]]] = {
    "rfm_table": (bs.rfm_table, (_transactions,)),
    "rfm_table(as_of)": (lambda f: bs.rfm_table(f, as_of="1997-06-30"), (_transactions,)),
    "clv_summary": (bs.clv_summary, (_transactions,)),
    "calibration_holdout_split": (
        lambda f: bs.calibration_holdout_split(
            f, calibration_end="1997-05-31", as_of="1997-09-30", amount_col="amount"
        ),
        (_transactions,),
    ),
    "churn_labels": (
        lambda f: bs.churn_labels(f, cutoff="1997-04-30", horizon="90D"),
        (_transactions,),
    ),
    "lifecycle_table": (bs.lifecycle_table, (_transactions,)),
    "usage_table": (
        lambda f: bs.usage_table(f, event_col="event", value_col="value", usage_events="session"),
        (_usage_events,),
    ),
    "funnel_table": (
        lambda f: bs.funnel_table(f, stages=AIDA_STAGES, ignore_events="session"),
        (_usage_events,),
    ),
    "brand_table": (bs.brand_table, (_brand_events,)),
    "engagement_table": (bs.engagement_table, (_engagement_events,)),
    "category_table": (
        lambda f: bs.summaries.category_table(f, category_col="category", amount_col="amount"),
        (_lines,),
    ),
    "occasion_table": (bs.summaries.occasion_table, (_occasion_transactions,)),
    "split_sessions": (bs.summaries.split_sessions, (_usage_events,)),
    "session_table": (
        lambda f: bs.summaries.session_table(bs.summaries.split_sessions(f)),
        (_usage_events,),
    ),
    "subscription_table": (
        lambda f: bs.summaries.subscription_table(f, as_of="2027-01-01"),
        (_subscription_events,),
    ),
    "kpi.cohort_retention": (lambda f: kpi.cohort_retention(f), (_transactions,)),
    "models.purchase_tracking": (
        lambda f: purchase_tracking(f, **WINDOWS),
        (_transactions,),
    ),
    "models.tracking_table": (
        lambda f: tracking_table(BetaGeoModel(**_CALIBRATION).fit(_split()), f),
        (_tracking,),
    ),
    "models.compare_models": (
        lambda data, tracking: compare_models(data, models=[BetaGeoModel()], tracking=tracking),
        (_split, _tracking),
    ),
    "kpi.conversion_rate": (
        lambda f: kpi.conversion_rate(f, segment_col="segment"),
        (_customers,),
    ),
    "kpi.compare_conversion": (
        lambda f: kpi.compare_conversion(f, group_col="channel", control="ads"),
        (_customers,),
    ),
    "kpi.cltv": (lambda f: kpi.cltv(f, churn_rate=0.1), (_customers,)),
    "kpi.cltv_by_segment": (
        lambda f: kpi.cltv_by_segment(f, segment_col="segment", random_state=0, n_resamples=100),
        (_customers,),
    ),
    "kpi.cac": (kpi.cac, (_spend, _acquisitions)),
    "kpi.retention_rate": (
        lambda events, customers: kpi.retention_rate(
            events, customers, segment_col="segment", base_period="1997-02", next_period="1997-03"
        ),
        (_transactions, _customers),
    ),
    "kpi.engagement_rate": (
        lambda f: kpi.engagement_rate(f, segment_col="segment"),
        (_customers,),
    ),
    "kpi.funnel_conversion": (kpi.funnel_conversion, (_funnel,)),
    "kpi.segment_report": (
        lambda f: kpi.segment_report(f, segment_col="segment", converted_col="converted"),
        (_customers,),
    ),
    "profiling.segment_profile": (
        lambda f: profiling.segment_profile(f, segment_col="segment"),
        (_customers,),
    ),
    "profiling.distinguishing_features": (
        lambda f: profiling.distinguishing_features(f, segment_col="segment"),
        (_customers,),
    ),
    "profiling.persona_cards": (
        lambda f: profiling.persona_cards(f, segment_col="segment", value_col="monetary"),
        (_customers,),
    ),
    "profiling.ab_test_plan": (
        lambda f: profiling.ab_test_plan(f, lift=0.2),
        (lambda: kpi.conversion_rate(_customers(), segment_col="channel"),),
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functions_give_the_same_values_in_the_callers_kind_of_frame(name, backend):
    """Summaries, KPIs and profiling: any frame in, same values out, in the same kind."""
    call, builders = FUNCTIONS[name]
    inputs = [build() for build in builders]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = call(*inputs)
        converted = [backend(frame) for frame in inputs]
        result = call(*converted)
    assert_same_frame(result, expected, converted[0])


def test_render_persona_cards_reads_cards_of_any_kind(backend):
    """Cards returned as polars or pyarrow (segment as a column) render like pandas cards."""
    cards = profiling.persona_cards(_customers(), segment_col="segment", value_col="monetary")
    expected = profiling.render_persona_cards(cards)
    # the cards as the caller got them from persona_cards in that kind of frame
    given = profiling.persona_cards(
        backend(_customers()), segment_col="segment", value_col="monetary"
    )
    assert profiling.render_persona_cards(given) == expected


def test_a_polars_lazy_frame_is_collected_once_and_gives_an_eager_frame():
    """LazyFrames go through the summaries (collected once); the result is an eager frame."""
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    tx = _transactions()
    lazy = pl.from_pandas(tx).lazy()
    out = bs.rfm_table(lazy)
    assert isinstance(out, pl.DataFrame)
    assert_same_frame(out, bs.rfm_table(tx), pl.from_pandas(tx))


# --- estimators --------------------------------------------------------------------------


def _table(n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    """Positive numbers in four named columns (as the sklearn checks feed), and a 0/1 target."""
    rng = np.random.default_rng(4)
    values = rng.gamma(2.0, 10.0, size=(n, 4))
    frame = pd.DataFrame(values, columns=["c0", "c1", "c2", "c3"])
    y = (values[:, 0] + rng.normal(0, 10, n) > 20).astype(np.int64)
    return frame, y


def _estimator_id(estimator: Any) -> str:
    return type(estimator).__name__


@pytest.mark.parametrize("estimator", INSTANCES + CLASSIFIERS, ids=_estimator_id)
def test_estimators_read_any_frame_by_name(estimator, backend):
    """fit/predict/transform on any kind of frame (columns in another order than the
    roles) give what the same pandas-numpy frame gives. Segmenters that read every
    column (clusters, benefits) see the same columns in the same order."""
    frame, y = _table()
    est = point_at_columns(estimator, ["c0", "c1", "c2", "c3"])
    reordered = frame[["c3", "c1", "c0", "c2"]]
    expected = clone(est).fit(reordered, y)
    given = backend(reordered)
    fitted = clone(est).fit(given, y)
    np.testing.assert_array_equal(fitted.predict(given), expected.predict(reordered))
    if hasattr(est, "transform"):
        # Scores: equal to the last bit but one. A frame built column by column (every
        # kind here but pandas-numpy, also pandas from a dict) has another memory layout,
        # so BLAS may sum distances (k-means) in another order on some versions.
        np.testing.assert_allclose(
            fitted.transform(given), expected.transform(reordered), rtol=1e-13, atol=1e-15
        )
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(
            fitted.predict_proba(given), expected.predict_proba(reordered)
        )


def test_rfm_segmenter_reads_a_polars_frame_by_name_in_any_column_order():
    """The case of issue 19: a polars customer table with the three columns reordered
    (once: 43 % label agreement, read by position) gives the by-name labels."""
    pl = pytest.importorskip("polars")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        customers = bs.rfm_table(bs.datasets.load_cdnow())
    expected = bs.RFMSegmenter().fit_predict(customers)
    frame = pl.from_pandas(customers)  # the customer id index is dropped
    np.testing.assert_array_equal(bs.RFMSegmenter().fit(frame).predict(frame), expected)
    reordered = pl.from_pandas(customers[["monetary", "frequency", "recency_days"]])
    extra = pl.from_pandas(customers.reset_index()).with_columns(note=pl.lit("x"))
    np.testing.assert_array_equal(bs.RFMSegmenter().fit(extra).predict(extra), expected)
    np.testing.assert_array_equal(bs.RFMSegmenter().fit(reordered).predict(reordered), expected)


MODELS = [BetaGeoModel(), ParetoNBDModel(), ModifiedBetaGeoModel(), GammaGammaModel()]


@pytest.mark.parametrize("model", MODELS, ids=_estimator_id)
def test_models_fit_and_predict_on_any_frame(model, backend):
    """Models read the clv_summary columns by name from any frame; without an index,
    polars and pyarrow frames get arrays back (as scikit-learn's predict returns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = bs.clv_summary(_transactions())
    if isinstance(model, GammaGammaModel):
        summary = summary.loc[summary["frequency"] > 0]
    reordered = summary[summary.columns[::-1]]
    expected = clone(model).fit(summary)
    given = backend(reordered)
    fitted = clone(model).fit(given)
    pd.testing.assert_series_equal(fitted.params_, expected.params_, check_exact=True)
    if isinstance(model, GammaGammaModel):
        predicted, reference = (
            fitted.expected_average_value(given),
            expected.expected_average_value(summary),
        )
    else:
        predicted, reference = fitted.probability_alive(given), expected.probability_alive(summary)
    np.testing.assert_array_equal(np.asarray(predicted), reference.to_numpy())
    if _kind_of(given) == "pandas":
        assert isinstance(predicted, pd.Series)
        assert predicted.index.equals(reference.index)


# --- the layer itself ------------------------------------------------------------------


def test_unsupported_objects_get_a_type_error_listing_what_is_accepted():
    """A dict or a list is refused with the kinds of frame behaviorseg reads."""
    with pytest.raises(TypeError, match=r"transactions must be a pandas DataFrame .*polars"):
        bs.rfm_table({"customer_id": [1], "timestamp": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(TypeError, match=r"pyarrow Table"):
        kpi.conversion_rate([[1, 2]], segment_col="segment")


def test_polars_columns_reach_pandas_without_a_copy():
    """Numeric and datetime columns without nulls share the polars memory."""
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(
        {
            "x": np.arange(5.0),
            "n": np.arange(5),
            "t": pl.datetime_range(
                pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-05"), "1d", eager=True
            ),
        }
    )
    out, kind = to_pandas_frame(frame, name="frame")
    assert kind == "polars"
    for column in ("x", "n", "t"):
        assert np.shares_memory(out[column].to_numpy(), frame[column].to_numpy())


def test_time_zones_missing_values_and_index_survive_the_round_trip():
    """An aware column keeps its zone, nulls stay missing, the index becomes a column."""
    pl = pytest.importorskip("polars")
    frame = pd.DataFrame(
        {
            "t": pd.to_datetime(["2024-03-31 01:30", "2024-03-31 03:30"]).tz_localize(
                "Europe/Paris"
            ),
            "x": [1.5, np.nan],
            "s": ["a", None],
        },
        index=pd.Index([7, 9], name="customer_id"),
    )
    native = from_pandas_frame(frame, "polars")
    assert isinstance(native, pl.DataFrame)
    assert native.columns == ["customer_id", "t", "x", "s"]
    assert (
        native.schema["t"] == pl.Datetime("us", "Europe/Paris")
        or str(
            native.schema["t"].time_zone  # type: ignore[union-attr]
        )
        == "Europe/Paris"
    )
    back, _ = to_pandas_frame(native, name="frame")
    back = back.set_index("customer_id")
    assert back["t"].dt.tz is not None
    assert (back["t"] == frame["t"]).all()
    assert back["x"].isna().tolist() == [False, True]
    assert back["s"].isna().tolist() == [False, True]


def test_pandas_work_imports_neither_polars_nor_pyarrow():
    """Importing behaviorseg and running pandas summaries, a segmenter and a KPI imports no
    optional dataframe library (narwhals only looks at sys.modules). pandas itself imports
    pyarrow when it is installed, so pyarrow is compared with a bare ``import pandas``."""
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import pandas\n"
        "by_pandas = {m for m in ('polars', 'pyarrow') if m in sys.modules}\n"
        "import behaviorseg as bs\n"
        "c = bs.rfm_table(bs.datasets.load_cdnow())\n"
        "bs.RFMSegmenter().fit_predict(c)\n"
        "bs.kpi.segment_report(c.assign(segment='a'), segment_col='segment')\n"
        "bs.models.BetaGeoModel().fit(bs.clv_summary(bs.datasets.load_cdnow()))\n"
        "new = {m for m in ('polars', 'pyarrow') if m in sys.modules} - by_pandas\n"
        "print(sorted(new))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
