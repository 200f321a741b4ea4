"""The Spark path gives the pandas results on the same data (Spark in local[2]).

Run with the ``spark`` extra installed; CI runs these in their own step
(``python -m pytest -m spark``). The Spark tests are skipped when pyspark is not
installed; the import test below runs everywhere.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from behaviorseg import RFMSegmenter, clv_summary, rfm_table
from behaviorseg import spark as bs_spark
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.segmenters import AIDAStageSegmenter, ChurnSegmenter
from behaviorseg.summaries import brand_table, funnel_table, usage_table

pytestmark = [
    # pyspark 4.x warns about pandas 3 inside its own conversion code
    pytest.mark.filterwarnings("ignore::FutureWarning:pyspark.*"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def test_module_imports_without_pyspark_and_says_what_to_install(monkeypatch):
    """Without pyspark the module imports; calling it raises an ImportError naming the extra."""
    for name in ("pyspark", "pyspark.sql", "pyspark.sql.functions", "pyspark.sql.types"):
        monkeypatch.setitem(sys.modules, name, None)  # import of these now fails
    monkeypatch.delitem(sys.modules, "behaviorseg.spark", raising=False)
    module = importlib.import_module("behaviorseg.spark")
    for call in (
        lambda: module.rfm_table(pd.DataFrame()),
        lambda: module.clv_summary(pd.DataFrame()),
        lambda: module.fit(RFMSegmenter(), pd.DataFrame()),
        lambda: module.apply(RFMSegmenter(), pd.DataFrame()),
        lambda: module.usage_table(pd.DataFrame()),
        lambda: module.funnel_table(pd.DataFrame(), stages={"action": "purchase"}),
        lambda: module.brand_table(pd.DataFrame()),
    ):
        with pytest.raises(ImportError, match=r"pip install 'behaviorseg\[spark\]'"):
            call()


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test (UTC, 4 shuffle partitions, no UI)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    # the Python workers must be this interpreter (with behaviorseg), not python3 on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    session = (
        SparkSession.builder.master("local[2]")
        .appName("behaviorseg-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    """A messy log: ties, same-instant rows, returns, zero amounts, a customer with only
    returns, missing ids, orders spanning rows."""
    rng = np.random.default_rng(5)
    n = 3000
    seconds = rng.choice(200 * 86_400, size=400, replace=False)[rng.integers(0, 400, n)]
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 300, n).astype("float64"),
            "timestamp": pd.to_datetime(seconds, unit="s", origin="2024-01-01").as_unit("us"),
            "amount": rng.integers(-2_000, 15_000, n) / 100,
            "order_id": rng.integers(0, 1500, n).astype(str),
        }
    )
    tx.loc[rng.random(n) < 0.05, "amount"] = 0.0
    tx.loc[rng.random(n) < 0.02, "customer_id"] = np.nan
    only_returns = pd.DataFrame(
        {
            "customer_id": [999.0],
            "timestamp": [pd.Timestamp("2024-02-01")],
            "amount": [-5.0],
            "order_id": ["r1"],
        }
    )
    tx = pd.concat([tx, only_returns], ignore_index=True)
    tx["timestamp"] = tx["timestamp"].astype("datetime64[us]")
    return tx


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        return fn(*args, **kwargs)


def _spark_frame(spark, tx):
    frame = tx.copy()
    frame["customer_id"] = frame["customer_id"].astype("Int64")
    return spark.createDataFrame(frame)


def _pandas_ids(tx: pd.DataFrame) -> pd.DataFrame:
    out = tx.copy()
    out["customer_id"] = out["customer_id"].astype("Int64")
    return out


def _compare(ours: pd.DataFrame, theirs: pd.DataFrame, *, summed: tuple[str, ...]) -> None:
    """Equal index and columns; exact except for Spark-summed columns (1e-12)."""
    theirs = theirs.set_index("customer_id").sort_index()  # Spark rows come in no order
    theirs.index = theirs.index.astype(ours.index.dtype)
    assert theirs.index.equals(ours.index)
    for column in ours.columns:
        if column in summed:
            np.testing.assert_allclose(theirs[column], ours[column], rtol=1e-12, atol=1e-9)
        else:
            np.testing.assert_array_equal(theirs[column].to_numpy(), ours[column].to_numpy())


@pytest.mark.spark
@pytest.mark.parametrize("order_col", [None, "order_id"])
@pytest.mark.parametrize("as_of", [None, "2024-05-01 12:00"])
def test_rfm_table_matches_pandas(spark, log, order_col, as_of):
    """Same customers, recency, frequency, tenure; monetary to 1e-12."""
    tx = _pandas_ids(log)
    ours = _quiet(rfm_table, tx, order_col=order_col, as_of=as_of)
    theirs = _quiet(
        bs_spark.rfm_table, _spark_frame(spark, log), order_col=order_col, as_of=as_of
    ).toPandas()
    _compare(ours, theirs, summed=("monetary", "avg_order_value"))


@pytest.mark.spark
@pytest.mark.parametrize(("freq", "mult"), [("D", 1.0), ("D", 7.0), ("W", 1.0)])
def test_clv_summary_matches_pandas(spark, log, freq, mult):
    """The buy-till-you-die summary: identical periods, counts and ages."""
    tx = _pandas_ids(log)
    as_of = "2024-05-01 12:00"
    ours = _quiet(clv_summary, tx, as_of=as_of, freq=freq, freq_multiplier=mult)
    theirs = _quiet(
        bs_spark.clv_summary, _spark_frame(spark, log), as_of=as_of, freq=freq, freq_multiplier=mult
    ).toPandas()
    _compare(ours, theirs, summed=("monetary_value",))


@pytest.mark.spark
def test_left_out_rows_are_counted_like_pandas(spark, log):
    """Missing ids, rows after as_of and return-only customers: the same warnings."""

    def messages(fn, frame):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(frame, as_of="2024-05-01")
        return sorted(str(w.message) for w in caught if w.category is RowsExcludedWarning)

    ours = messages(rfm_table, _pandas_ids(log))
    theirs = messages(bs_spark.rfm_table, _spark_frame(spark, log))
    assert len(ours) == 3
    assert theirs == ours  # same counts, same words


@pytest.mark.spark
@pytest.mark.parametrize("time_type", ["timestamp_ntz", "string"])
def test_time_columns_without_zone_are_session_wall_times(spark, log, time_type):
    """timestamp_ntz and string times read in the session zone (UTC): the pandas table."""
    from pyspark.sql import functions as F

    frame = _spark_frame(spark, log)
    if time_type == "string":
        frame = frame.withColumn("timestamp", F.date_format("timestamp", "yyyy-MM-dd HH:mm:ss"))
    else:
        frame = frame.withColumn("timestamp", F.col("timestamp").cast("timestamp_ntz"))
    assert frame.schema["timestamp"].dataType.typeName() == time_type
    ours = _quiet(rfm_table, _pandas_ids(log), as_of="2024-05-01 12:00")
    theirs = _quiet(bs_spark.rfm_table, frame, as_of="2024-05-01 12:00").toPandas()
    _compare(ours, theirs, summed=("monetary", "avg_order_value"))


@pytest.mark.spark
def test_apply_labels_like_predict(spark, log):
    """Fit on the collected table, apply with mapInPandas: labels and scores = pandas."""
    customers = _quiet(bs_spark.rfm_table, _spark_frame(spark, log))
    segmenter = bs_spark.fit(
        RFMSegmenter(), customers, columns=["recency_days", "frequency", "monetary"]
    )
    local = customers.toPandas().set_index("customer_id")[["recency_days", "frequency", "monetary"]]
    reference = RFMSegmenter().fit(local)
    np.testing.assert_array_equal(segmenter.transform(local), reference.transform(local))

    out = bs_spark.apply(segmenter, customers).toPandas().set_index("customer_id")
    out = out.loc[local.index]
    np.testing.assert_array_equal(out["segment"].to_numpy(), reference.predict(local))
    np.testing.assert_array_equal(
        out[list(reference.get_feature_names_out())].to_numpy(), reference.transform(local)
    )


@pytest.mark.spark
def test_fit_on_a_sample_and_supervised_labels(spark):
    """sample_fraction fits on a subset; y_col passes labels to supervised segmenters."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(2000),
            "recency_days": rng.uniform(0, 300, 2000),
            "frequency": rng.integers(1, 10, 2000),
            "monetary": rng.gamma(2.0, 40.0, 2000),
            "avg_order_value": rng.gamma(2.0, 20.0, 2000),
            "tenure_days": rng.uniform(300, 400, 2000),
        }
    )
    frame["churned"] = frame["recency_days"] + rng.normal(0, 40, 2000) > 150
    sdf = spark.createDataFrame(frame)
    sampled = bs_spark.fit(RFMSegmenter(), sdf.drop("churned"), sample_fraction=0.3, seed=1)
    assert sampled.n_features_in_ == 6
    churn = bs_spark.fit(
        ChurnSegmenter(method="supervised", random_state=0),
        sdf,
        columns=["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"],
        y_col="churned",
    )
    labelled = (
        bs_spark.apply(churn, sdf).toPandas().set_index("customer_id").loc[frame["customer_id"]]
    )
    np.testing.assert_array_equal(
        labelled["segment"].to_numpy(),
        churn.predict(frame.set_index("customer_id").drop(columns="churned")),
    )


@pytest.mark.spark
def test_bad_input_is_refused(spark, log):
    """Missing or mistyped columns are named; bad values counted; unsupported periods
    point to the pandas path."""
    from pyspark.sql import functions as F

    with pytest.raises(SchemaError, match="amount_col"):
        bs_spark.rfm_table(_spark_frame(spark, log).drop("amount"))
    with pytest.raises(ValueError, match="supports 'D' and 'W'"):
        bs_spark.clv_summary(_spark_frame(spark, log), freq="M")
    frame = _spark_frame(spark, log)
    with pytest.raises(SchemaError, match=r"'amount'.*expected numbers"):
        bs_spark.rfm_table(frame.withColumn("amount", frame["amount"].cast("string")))
    with pytest.raises(DataValidationError, match="'amount' has 1 missing or infinite"):
        bad = frame.where("customer_id = 5").limit(1).withColumn("amount", F.lit(float("nan")))
        _quiet(bs_spark.rfm_table, frame.union(bad))
    with pytest.raises(DataValidationError, match="'order_id' has 1 missing order ids"):
        _quiet(
            bs_spark.rfm_table,
            frame.union(
                frame.where("customer_id = 5").limit(1).withColumn("order_id", F.lit(None))
            ),
            order_col="order_id",
        )
    with pytest.raises(ValueError, match="named columns"):
        bs_spark.apply(RFMSegmenter().fit(np.ones((10, 3)) * np.arange(10)[:, None]), log)


# --- event logs: usage_table, funnel_table, brand_table -------------------------------

_EVENTS = ("session", "click", "ad_impression", "product_view", "add_to_cart", "purchase")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    """A messy event log: same-instant rows, exact duplicates, missing ids, unknown and
    missing event names, missing values on non-usage rows, missing features."""
    rng = np.random.default_rng(18)
    n = 4000
    seconds = rng.choice(120 * 86_400, size=900, replace=False)[rng.integers(0, 900, n)]
    # unknown names with distinct counts, so that the "e.g." in the warning has no ties
    names = np.array([*_EVENTS, "newsletter", "newsletter", "survey"], dtype=object)
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 250, n).astype("float64"),
            "timestamp": pd.to_datetime(seconds, unit="s", origin="2024-01-01").as_unit("us"),
            "event": names[rng.integers(0, len(names), n)],
            "value": rng.integers(0, 600, n) / 10,
            "feature": np.array(["export", "mobile", "reports", None], dtype=object)[
                rng.integers(0, 4, n)
            ],
        }
    )
    log.loc[log["event"] != "session", "value"] = np.nan  # only sessions carry minutes
    log.loc[rng.random(n) < 0.02, "customer_id"] = np.nan
    log.loc[rng.random(n) < 0.01, "event"] = None
    log = pd.concat([log, log.sample(60, random_state=1)], ignore_index=True)  # logged twice
    log["timestamp"] = log["timestamp"].astype("datetime64[us]")
    return log


@pytest.fixture(scope="module")
def brand_events() -> pd.DataFrame:
    """Views and purchases with brands, prices and categories: same-instant views and
    purchases, purchases without a brand, views without a price, rows without a category."""
    rng = np.random.default_rng(4)
    n = 3000
    seconds = rng.choice(150 * 86_400, size=700, replace=False)[rng.integers(0, 700, n)]
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 150, n).astype("float64"),
            "timestamp": pd.to_datetime(seconds, unit="s", origin="2024-01-01").as_unit("us"),
            "event": rng.choice(
                np.array(["view", "purchase", "add_to_cart", "search"], dtype=object),
                n,
                p=[0.6, 0.25, 0.1, 0.05],
            ),
            "brand": np.array(["A", "B", "C", "D", None], dtype=object)[rng.integers(0, 5, n)],
            "price": rng.integers(0, 50_000, n) / 100,
            "category": np.array(["tv", "phone", "soap", None], dtype=object)[
                rng.choice(4, n, p=[0.3, 0.3, 0.35, 0.05])
            ],
        }
    )
    log.loc[(log["event"] == "view") & (rng.random(n) < 0.1), "price"] = np.nan
    log.loc[rng.random(n) < 0.02, "customer_id"] = np.nan
    log["timestamp"] = log["timestamp"].astype("datetime64[us]")
    return log


def _messages(fn, frame, **kwargs):
    """The RowsExcludedWarning messages of a call, sorted, and its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(frame, **kwargs)
    return sorted(str(w.message) for w in caught if w.category is RowsExcludedWarning), out


def _compare_events(ours: pd.DataFrame, theirs: pd.DataFrame, *, summed=()) -> None:
    """Same customers, columns and dtypes' kinds; exact but for ``summed`` (1e-12 relative).

    Spark returns naive wall times of the session zone: compared with pandas' wall times.
    """
    theirs = theirs.set_index("customer_id").sort_index()
    theirs.index = theirs.index.astype(ours.index.dtype)
    assert theirs.index.equals(ours.index)
    assert list(theirs.columns) == list(ours.columns)
    for column in ours.columns:
        mine, spark_values = ours[column], theirs[column]
        assert spark_values.dtype.kind == mine.dtype.kind, column
        if column in summed:
            np.testing.assert_allclose(spark_values, mine, rtol=1e-12, atol=1e-12, err_msg=column)
        elif mine.dtype.kind == "M":
            if getattr(mine.dt, "tz", None) is not None:
                mine = mine.dt.tz_localize(None)
            pd.testing.assert_series_equal(
                spark_values.astype("datetime64[us]"),
                mine.astype("datetime64[us]"),
                check_names=False,
            )
        else:
            np.testing.assert_array_equal(spark_values.to_numpy(), mine.to_numpy(), err_msg=column)


def _event_frame(spark, log):
    frame = log.copy()
    frame["customer_id"] = frame["customer_id"].astype("Int64")
    return spark.createDataFrame(frame)


@pytest.mark.spark
@pytest.mark.parametrize(
    "options",
    [
        {},
        {
            "event_col": "event",
            "usage_events": "session",
            "value_col": "value",
            "feature_col": "feature",
            "window": "30D",
            "as_of": "2024-04-01 06:00",
        },
        {
            "event_col": "event",
            "usage_events": ("session", "click"),
            "feature_col": "feature",
            "window": 10.5,
            "drop_duplicates": False,
        },
    ],
    ids=["every-event", "sessions-minutes-30D", "two-events-no-dedup"],
)
def test_usage_table_matches_pandas(spark, events, options):
    """Counts, active days, features and recency exact; usage_value to 1e-12; same warnings."""
    expected, ours = _messages(usage_table, _pandas_ids(events), **options)
    found, theirs = _messages(bs_spark.usage_table, _event_frame(spark, events), **options)
    assert found == expected
    _compare_events(ours, theirs.toPandas(), summed=("usage_value",))


@pytest.mark.spark
@pytest.mark.parametrize("as_of", [None, "2024-03-15"])
def test_funnel_table_matches_pandas(spark, events, as_of):
    """Every stage's days since, reached, first and last exact; the same warnings (the
    unknown names and their counts too)."""
    stages = {"attention": "ad_impression", "interest": ("product_view", "click"),
              "desire": "add_to_cart", "action": "purchase"}  # fmt: skip
    options = {"stages": stages, "ignore_events": "session", "as_of": as_of}
    expected, ours = _messages(funnel_table, _pandas_ids(events), **options)
    found, theirs = _messages(bs_spark.funnel_table, _event_frame(spark, events), **options)
    assert found == expected
    assert any("in no stage" in m for m in found)
    _compare_events(ours, theirs.toPandas())


@pytest.mark.spark
def test_ordered_funnel_labels_from_the_spark_table(spark, events):
    """AIDAStageSegmenter(ordered=True) fitted on the collected Spark table and applied on
    Spark labels every customer as on the pandas table."""
    stages = {"attention": "ad_impression", "interest": "product_view",
              "desire": "add_to_cart", "action": "purchase"}  # fmt: skip
    table = _quiet(bs_spark.funnel_table, _event_frame(spark, events), stages=stages)
    local = _quiet(funnel_table, _pandas_ids(events), stages=stages)
    columns = [f"days_since_{s}" for s in stages]
    segmenter = bs_spark.fit(AIDAStageSegmenter(stages=tuple(stages), ordered=True), table,
                             columns=columns)  # fmt: skip
    reference = AIDAStageSegmenter(stages=tuple(stages), ordered=True).fit(local[columns])
    labelled = bs_spark.apply(segmenter, table.select("customer_id", *columns), scores=False)
    labelled = labelled.toPandas().set_index("customer_id").sort_index()
    np.testing.assert_array_equal(labelled["segment"].to_numpy(), reference.predict(local[columns]))


_FUNNEL_STAGES = {"attention": "ad_impression", "interest": ("product_view", "click"),
                  "desire": "add_to_cart", "action": "purchase"}  # fmt: skip


@pytest.fixture(scope="module")
def funnel_events() -> pd.DataFrame:
    """Events of several hundred customers over 20 days on a 6-hour grid (stages reached
    at the same instant, or exactly three days apart), customers with sessions only,
    and four made-up customers: 1001 misses a 3-day window and then redoes the funnel,
    1002 reaches three stages at one instant and the last exactly three days later,
    1003 logs the stages in reverse order, 1004 has no stage event at all."""
    rng = np.random.default_rng(31)
    n = 5000
    hours = 6 * rng.integers(0, 20 * 4, n)
    names = np.array([*_EVENTS, "newsletter"], dtype=object)
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 300, n),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h"),
            "event": names[rng.integers(0, len(names), n)],
        }
    )
    log.loc[log["customer_id"] > 280, "event"] = "session"  # no stage event
    made_up = pd.DataFrame(
        [
            (1001, "2024-01-01 09:00", "ad_impression"),
            (1001, "2024-01-10 09:00", "product_view"),  # 9 days later: outside 3D
            (1001, "2024-01-20 09:00", "ad_impression"),
            (1001, "2024-01-21 09:00", "click"),  # a new start: not counted again
            (1002, "2024-02-01 10:00", "ad_impression"),
            (1002, "2024-02-01 10:00", "product_view"),
            (1002, "2024-02-01 10:00", "add_to_cart"),
            (1002, "2024-02-04 10:00", "purchase"),  # exactly 3 days: inside
            (1003, "2024-01-02 00:00", "purchase"),
            (1003, "2024-01-03 00:00", "add_to_cart"),
            (1003, "2024-01-04 00:00", "product_view"),
            (1003, "2024-01-05 00:00", "ad_impression"),
            (1004, "2024-01-15 08:00", "session"),
            (1004, "2024-01-16 08:00", "newsletter"),
        ],
        columns=["customer_id", "timestamp", "event"],
    )
    made_up["timestamp"] = pd.to_datetime(made_up["timestamp"])
    log = pd.concat([log, made_up], ignore_index=True)
    log["timestamp"] = log["timestamp"].astype("datetime64[us]")
    return log


@pytest.mark.spark
@pytest.mark.parametrize(
    "options",
    [{"order": "present"}, {"order": "strict"}, {"order": "strict", "within": "3D"}],
    ids=["present", "strict", "strict-within-3D"],
)
def test_ordered_funnel_table_matches_pandas(spark, funnel_events, options):
    """order="present" and "strict" (with and without a conversion window): every
    stage's days since, reached, first and last exact, and the same warnings."""
    options = {"stages": _FUNNEL_STAGES, "ignore_events": "session", **options}
    expected, ours = _messages(funnel_table, funnel_events, **options)
    sdf = spark.createDataFrame(funnel_events)
    found, theirs = _messages(bs_spark.funnel_table, sdf, **options)
    assert found == expected
    _compare_events(ours, theirs.toPandas())
    # the made-up journeys are in the data as described (so the comparison covers them)
    reached = ours.filter(like="reached_")
    assert not reached.loc[1004].any()
    if options["order"] == "strict":
        assert reached.loc[1003].tolist() == [True, False, False, False]
        assert reached.loc[1002].all()
        assert reached.loc[1001, "reached_interest"] == ("within" not in options)
        assert ours.loc[1001, "first_interest"] in (pd.NaT, pd.Timestamp("2024-01-10 09:00"))


@pytest.mark.spark
def test_strict_funnel_window_is_elapsed_time_in_an_aware_log(spark):
    """An aware log (Europe/Paris) in a Paris session: a 1-day window across the March
    DST change is 24 hours between instants, on both paths."""
    zone = "Europe/Paris"
    wall = ["2024-03-30 12:00", "2024-03-31 12:30", "2024-03-30 12:00", "2024-03-31 13:30",
            "2024-03-31 13:00"]  # fmt: skip
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "timestamp": pd.to_datetime(wall).tz_localize(zone),
            "event": ["product_view", "purchase", "product_view", "purchase", "purchase"],
        }
    )
    options = {"stages": {"interest": "product_view", "action": "purchase"},
               "order": "strict", "within": "1D"}  # fmt: skip
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        theirs = bs_spark.funnel_table(spark.createDataFrame(log), **options).toPandas()
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    ours = funnel_table(log, **options)
    _compare_events(ours, theirs)
    # 23.5 hours apart (24.5 on the wall clock): reached; 24.5 hours: not
    assert ours["reached_action"].tolist() == [True, False, False]


@pytest.mark.spark
@pytest.mark.parametrize(
    "options",
    [
        {"order": "closed"},
        {"within": "7D"},
        {"order": "present", "within": "7D"},
        {"order": "strict", "within": "-1D"},
        {"order": "strict", "within": "soon"},
    ],
)
def test_funnel_order_options_are_refused_like_pandas(spark, funnel_events, options):
    """An unknown order, a window without the strict order and a bad window: the pandas
    error, word for word."""
    stages = {"interest": "product_view", "action": "purchase"}
    with pytest.raises(ValueError) as pandas_error:
        funnel_table(funnel_events, stages=stages, **options)
    with pytest.raises(ValueError) as spark_error:
        bs_spark.funnel_table(spark.createDataFrame(funnel_events), stages=stages, **options)
    assert str(spark_error.value) == str(pandas_error.value)


@pytest.mark.spark
@pytest.mark.parametrize(
    "options",
    [
        {"ignore_events": "add_to_cart"},
        {"category_col": "category", "journey_window": None, "as_of": "2024-05-01"},
        {"category_col": "category", "price_col": None, "journey_window": "7D"},
    ],
    ids=["whole-log", "per-category-no-window", "per-category-7D-no-price"],
)
def test_brand_table_matches_pandas(spark, brand_events, options):
    """Counts, views, brands, shares and switching exact; the means of summed prices and
    days (consideration, order value, premium) to 1e-12; the same warnings."""
    expected, ours = _messages(brand_table, _pandas_ids(brand_events), **options)
    found, theirs = _messages(bs_spark.brand_table, _event_frame(spark, brand_events), **options)
    assert found == expected
    _compare_events(
        ours, theirs.toPandas(), summed=("consideration_days", "avg_order_value", "price_premium")
    )


@pytest.mark.spark
def test_event_days_are_cut_in_the_session_zone(spark, events, brand_events):
    """An aware log (Europe/Paris, across the March DST change) in a Paris session: the
    pandas days, instants and journeys."""
    zone = "Europe/Paris"
    local = _pandas_ids(events)
    local["timestamp"] = local["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
    brands = _pandas_ids(brand_events)
    brands["timestamp"] = brands["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
    as_of = pd.Timestamp("2024-04-01 06:00", tz=zone)
    usage = {"event_col": "event", "usage_events": "session", "value_col": "value"}
    stages = {"interest": "product_view", "action": "purchase"}
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        sdf, brand_sdf = spark.createDataFrame(local), spark.createDataFrame(brands)
        theirs = _quiet(bs_spark.usage_table, sdf, as_of=as_of, window="45D", **usage).toPandas()
        funnel = _quiet(bs_spark.funnel_table, sdf, stages=stages, as_of=as_of).toPandas()
        brand = _quiet(bs_spark.brand_table, brand_sdf, ignore_events="add_to_cart").toPandas()
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    ours = _quiet(usage_table, local, as_of=as_of, window="45D", **usage)
    _compare_events(ours, theirs, summed=("usage_value",))
    _compare_events(_quiet(funnel_table, local, stages=stages, as_of=as_of), funnel)
    ours_brand = _quiet(brand_table, brands, ignore_events="add_to_cart")
    _compare_events(
        ours_brand, brand, summed=("consideration_days", "avg_order_value", "price_premium")
    )


@pytest.mark.spark
def test_bad_event_logs_are_refused(spark, events, brand_events):
    """Missing or negative values where they count, bad view prices in a journey, wrong
    types and inconsistent options: the pandas errors."""
    from pyspark.sql import functions as F

    sdf = _event_frame(spark, events)
    usage = {"event_col": "event", "usage_events": "session", "value_col": "value"}
    with pytest.raises(ValueError, match="usage_events needs event_col"):
        bs_spark.usage_table(sdf, usage_events="session")
    with pytest.raises(SchemaError, match=r"'event'.*expected numbers"):
        bs_spark.usage_table(sdf, value_col="event")
    late_nan = sdf.where("event = 'session'").limit(2).withColumn("value", F.lit(float("nan")))
    late_nan = late_nan.withColumn("timestamp", F.lit("2024-04-20").cast("timestamp"))
    with pytest.raises(DataValidationError, match="'value' has 2 missing or non-finite"):
        _quiet(bs_spark.usage_table, sdf.union(late_nan), **usage)
    # the same rows outside the window (after as_of) are no error, as in pandas
    _quiet(bs_spark.usage_table, sdf.union(late_nan), as_of="2024-04-10", window="30D", **usage)
    negative = sdf.where("event = 'session'").limit(1).withColumn("value", F.lit(-1.0))
    with pytest.raises(DataValidationError, match=r"'value' has 1 values < 0\.0"):
        _quiet(bs_spark.usage_table, sdf.union(negative), **usage)
    with pytest.raises(ValueError, match="ignore_events lists"):
        bs_spark.funnel_table(sdf, stages={"action": "purchase"}, ignore_events="purchase")

    brands = _event_frame(spark, brand_events)
    with pytest.raises(DataValidationError, match="is a purchase"):
        _quiet(bs_spark.brand_table, brands, purchase_events="checkout")
    view = brand_events[brand_events["event"] == "view"].iloc[[0]].copy()
    buy = view.assign(event="purchase", brand="A", price=10.0,
                      timestamp=view["timestamp"] + pd.Timedelta(hours=1))  # fmt: skip
    view["price"] = -3.0  # in the journey of the purchase an hour later
    extra = pd.concat([view, buy], ignore_index=True)
    with pytest.raises(DataValidationError, match="1 negative or infinite prices on views"):
        _quiet(bs_spark.brand_table, brands.union(_event_frame(spark, extra)))
    with pytest.raises(DataValidationError, match="'price' has 1 missing or non-finite"):
        _quiet(
            bs_spark.brand_table,
            brands.union(_event_frame(spark, buy.assign(price=np.nan))),
        )
