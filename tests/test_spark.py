"""The Spark path gives the pandas results on the same data (Spark in local[2]).

Run with the ``spark`` extra installed; CI runs these in their own step
(``python -m pytest -m spark``). The Spark tests are skipped when pyspark is not
installed; the import test below runs everywhere.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from behaviorseg import RFMSegmenter, clv_summary, rfm_table
from behaviorseg import spark as bs_spark
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.segmenters import ChurnSegmenter

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
    ):
        with pytest.raises(ImportError, match=r"pip install 'behaviorseg\[spark\]'"):
            call()


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test (UTC, 4 shuffle partitions, no UI)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

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
