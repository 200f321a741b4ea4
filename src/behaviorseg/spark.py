"""Spark path: summaries on a Spark DataFrame, fitting on the customer table, and
applying a fitted segmenter to a Spark DataFrame of customers.

Needs the ``spark`` extra (``pip install "behaviorseg[spark]"``, i.e. pyspark); importing
this module does not import pyspark, its functions do.

The summaries follow the pandas ones rule for rule (see
:func:`behaviorseg.summaries.rfm_table` and :func:`behaviorseg.summaries.clv_summary`);
the tests require identical results on the same data, up to the order in which Spark
adds amounts (``monetary`` equal to 1e-12 relative).

Time zones: Spark timestamps are instants, shown and cut into days in the session time
zone (``spark.sql.session.timeZone``). Naive pandas timestamps are wall times; to get the
pandas numbers from the same data, run the session in the zone those wall times were
recorded in (``UTC`` for UTC logs) — it is a session setting, so nothing changes between a
laptop and a cluster.

Examples
--------
>>> from behaviorseg import spark as bs_spark   # doctest: +SKIP
>>> customers = bs_spark.rfm_table(orders_sdf)      # doctest: +SKIP
>>> segmenter = bs_spark.fit(RFMSegmenter(), customers)  # doctest: +SKIP
>>> labelled = bs_spark.apply(segmenter, customers, id_col="customer_id")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, RowsExcludedWarning, SchemaError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame as SparkDataFrame  # type: ignore[import-not-found,unused-ignore]
else:
    SparkDataFrame = Any

__all__ = ["apply", "clv_summary", "fit", "rfm_table"]

_NS_PER_DAY = 86_400 * 10**9


def _functions() -> Any:
    try:
        from pyspark.sql import functions
    except ImportError as err:  # pragma: no cover - exercised without pyspark
        raise ImportError(
            "behaviorseg.spark needs pyspark: pip install 'behaviorseg[spark]'"
        ) from err
    return functions


def _check_columns(df: SparkDataFrame, columns: dict[str, str | None]) -> None:
    missing = {p: c for p, c in columns.items() if c is not None and c not in df.columns}
    if missing:
        parts = ", ".join(f"column {c!r} ({p})" for p, c in missing.items())
        raise SchemaError(
            f"{parts} not found in the Spark DataFrame. Available columns: "
            f"{', '.join(map(repr, df.columns))}"
        )


def _warn(count: int, message: str) -> None:
    if count:
        warnings.warn(f"{count} {message}", RowsExcludedWarning, stacklevel=3)


def _window(
    df: SparkDataFrame,
    *,
    customer_col: str,
    time_col: str,
    as_of: Any,
    after: Any,
) -> tuple[SparkDataFrame, Any]:
    """Drop rows without id, close the window at ``as_of``; return the rows and as_of.

    ``after(time_column, as_of_column)`` says which rows fall after the window (for
    ``clv_summary`` the whole period of ``as_of`` is inside, as in pandas).
    """
    F = _functions()
    stats = df.agg(
        F.count(F.when(F.col(customer_col).isNull(), 1)).alias("no_id"),
        F.count(F.when(F.col(time_col).isNull(), 1)).alias("no_time"),
        F.max(time_col).alias("last"),
        F.count(F.lit(1)).alias("rows"),
    ).collect()[0]
    if stats["rows"] == 0:
        raise DataValidationError("the Spark DataFrame has no rows; there is nothing to summarise")
    if stats["no_time"]:
        raise DataValidationError(
            f"column {time_col!r} has {stats['no_time']} missing timestamps; "
            f"drop or fill them first"
        )
    _warn(stats["no_id"], f"rows have no customer id in column {customer_col!r} and were dropped")
    rows = df.where(F.col(customer_col).isNotNull())
    stamp = stats["last"] if as_of is None else pd.Timestamp(as_of).to_pydatetime()
    limit = F.lit(stamp).cast("timestamp")
    late = after(F.col(time_col), limit)
    n_late = rows.where(late).count()
    _warn(n_late, f"rows are after as_of={stamp} and were excluded")
    return rows.where(~late), stamp


def rfm_table(
    df: SparkDataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str = "amount",
    order_col: str | None = None,
    as_of: Any = None,
) -> SparkDataFrame:
    """:func:`behaviorseg.summaries.rfm_table` on a Spark DataFrame.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The transaction log (one row per purchase line).
    customer_col, time_col, amount_col, order_col, as_of :
        As in the pandas function.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per customer with a purchase: ``customer_col``, ``recency_days``,
        ``frequency``, ``monetary``, ``avg_order_value``, ``tenure_days`` (lazy;
        two small actions run now to count the rows left out, for the warnings).

    Examples
    --------
    >>> from behaviorseg.spark import rfm_table   # doctest: +SKIP
    >>> rfm_table(spark.createDataFrame(pandas_log)).toPandas()  # doctest: +SKIP
    """
    F = _functions()
    _check_columns(
        df,
        {
            "customer_col": customer_col,
            "time_col": time_col,
            "amount_col": amount_col,
            "order_col": order_col,
        },
    )
    rows, stamp = _window(
        df,
        customer_col=customer_col,
        time_col=time_col,
        as_of=as_of,
        after=lambda t, limit: t > limit,
    )
    as_of_us = F.unix_micros(F.lit(stamp).cast("timestamp"))
    key = F.col(order_col) if order_col is not None else F.col(time_col)
    bought = F.col(amount_col) >= 0
    agg = rows.groupBy(customer_col).agg(
        F.count_distinct(F.when(bought, key)).alias("frequency"),
        F.sum(amount_col).cast("double").alias("monetary"),
        F.max(F.when(bought, F.unix_micros(F.col(time_col)))).alias("_last"),
        F.min(F.when(bought, F.unix_micros(F.col(time_col)))).alias("_first"),
    )
    n_without = agg.where(F.col("frequency") == 0).count()
    _warn(
        n_without,
        "customers have rows in the window but no purchase (only negative amounts, i.e. "
        "returns) and were left out of the table",
    )

    # (as_of - t) in integer nanoseconds, then one division: the pandas arithmetic.
    def days(column: str) -> Any:
        return ((as_of_us - F.col(column)) * 1000).cast("double") / float(_NS_PER_DAY)

    return (
        agg.where(F.col("frequency") > 0)
        .select(
            customer_col,
            days("_last").alias("recency_days"),
            F.col("frequency").cast("long").alias("frequency"),
            "monetary",
            (F.col("monetary") / F.col("frequency")).alias("avg_order_value"),
            days("_first").alias("tenure_days"),
        )
        .orderBy(customer_col)
    )


def clv_summary(
    df: SparkDataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str | None = "amount",
    as_of: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1.0,
) -> SparkDataFrame:
    """:func:`behaviorseg.summaries.clv_summary` on a Spark DataFrame (``freq="D"`` or ``"W"``).

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The transaction log.
    customer_col, time_col, amount_col, as_of, freq_multiplier :
        As in the pandas function.
    freq : {"D", "W"}
        Days, or weeks ending on Sunday (pandas' ``"W"``), cut in the session time zone.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_col``, ``frequency``, ``recency``, ``T`` (and ``monetary_value``).

    Examples
    --------
    >>> from behaviorseg.spark import clv_summary   # doctest: +SKIP
    >>> clv_summary(sdf, freq="D", freq_multiplier=7).toPandas()  # doctest: +SKIP
    """
    F = _functions()
    if freq not in ("D", "W"):
        raise ValueError(
            f"freq={freq!r}: the Spark path supports 'D' and 'W'; for other periods collect "
            f"the log and use behaviorseg.summaries.clv_summary"
        )
    if not (isinstance(freq_multiplier, (int, float)) and np.isfinite(freq_multiplier)) or (
        freq_multiplier <= 0
    ):
        raise ValueError(f"freq_multiplier={freq_multiplier!r} must be a positive number")
    _check_columns(
        df, {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
    )

    def period(column: Any) -> Any:
        day = F.datediff(F.to_date(column), F.lit("1970-01-01").cast("date"))
        # pandas' weekly periods end on Sunday: 1970-01-05 (day 4) is a Monday.
        return day if freq == "D" else F.floor((day - 4) / 7)

    rows, stamp = _window(
        df,
        customer_col=customer_col,
        time_col=time_col,
        as_of=as_of,
        after=lambda t, limit: period(t) > period(limit),  # the whole period of as_of is in
    )
    as_of_period = period(F.lit(stamp).cast("timestamp"))
    amount = F.col(amount_col) if amount_col is not None else F.lit(0.0)
    groups = (
        rows.groupBy(customer_col, period(F.col(time_col)).alias("_period"))
        .agg(
            F.sum(amount).cast("double").alias("_value"),
            F.max((amount >= 0).cast("int")).alias("_purchase"),
        )
        .where(F.col("_purchase") == 1)
    )
    first = groups.groupBy(customer_col).agg(F.min("_period").alias("_first"))
    joined = groups.join(first, on=customer_col)
    per_customer = joined.groupBy(customer_col).agg(
        (F.count(F.lit(1)) - 1).alias("frequency"),
        F.max("_period").alias("_last"),
        F.first("_first").alias("_first"),
        F.sum(F.when(F.col("_period") != F.col("_first"), F.col("_value"))).alias("_repeat"),
    )
    mult = float(freq_multiplier)
    columns = [
        F.col(customer_col),
        F.col("frequency").cast("long").alias("frequency"),
        ((F.col("_last") - F.col("_first")).cast("double") / mult).alias("recency"),
        ((as_of_period - F.col("_first")).cast("double") / mult).alias("T"),
    ]
    if amount_col is not None:
        columns.append(
            F.when(F.col("frequency") > 0, F.col("_repeat") / F.col("frequency"))
            .otherwise(0.0)
            .alias("monetary_value")
        )
    # Customers with only returns have no purchase period and so no row (the pandas
    # function warns about them; count them the same way).
    n_rows = rows.select(customer_col).distinct().count()
    out = per_customer.select(*columns).orderBy(customer_col)
    _warn(
        n_rows - out.count(),
        "customers have rows in the window but no purchase (only negative amounts, i.e. "
        "returns) and were left out of the table",
    )
    return out


def fit(
    segmenter: Any,
    customers: SparkDataFrame,
    *,
    columns: list[str] | None = None,
    sample_fraction: float | None = None,
    seed: int = 0,
    y_col: str | None = None,
) -> Any:
    """Fit a segmenter on a Spark customer table, collected to the driver.

    Parameters
    ----------
    segmenter : behaviorseg segmenter
        Fitted in place on the collected table (a pandas DataFrame) and returned.
    customers : pyspark.sql.DataFrame
        One row per customer (e.g. from :func:`rfm_table`).
    columns : list of str or None
        Columns to collect (default: all). Collect only what the segmenter reads.
    sample_fraction : float or None
        Fit on a random sample of this fraction of customers instead of all of them.
        Cut points learned from a sample of a few hundred thousand customers are
        within sampling error of the full-base ones and the driver only holds the
        sample; the exact quantiles need the whole column on the driver (8 bytes per
        customer per column: 1e8 customers x 3 columns = 2.4 GB).
    seed : int
        Seed of the sample.
    y_col : str or None
        Label column for supervised segmenters (e.g. ChurnSegmenter's ``churned``).

    Returns
    -------
    segmenter
        The fitted segmenter.

    Examples
    --------
    >>> from behaviorseg import RFMSegmenter, spark as bs_spark   # doctest: +SKIP
    >>> seg = bs_spark.fit(RFMSegmenter(), customers_sdf, sample_fraction=0.1)  # doctest: +SKIP
    """
    frame = (
        customers if columns is None else customers.select(*columns, *([y_col] if y_col else []))
    )
    if sample_fraction is not None:
        if not 0 < sample_fraction <= 1:
            raise ValueError(f"sample_fraction={sample_fraction!r} must be in (0, 1]")
        frame = frame.sample(fraction=sample_fraction, seed=seed)
    table = frame.toPandas()
    if y_col is not None:
        return segmenter.fit(table.drop(columns=y_col), table[y_col])
    return segmenter.fit(table)


def apply(
    segmenter: Any,
    customers: SparkDataFrame,
    *,
    id_col: str = "customer_id",
    segment_col: str = "segment",
    scores: bool = True,
) -> SparkDataFrame:
    """Label a Spark DataFrame of customers with a fitted segmenter (``mapInPandas``).

    Each executor receives the pickled segmenter and labels its partitions batch by
    batch with ``predict`` (and ``transform`` for the scores); nothing is collected.

    Parameters
    ----------
    segmenter : fitted behaviorseg segmenter
        Fitted on a pandas DataFrame with named columns; those columns are read.
    customers : pyspark.sql.DataFrame
        The customers to label, with ``id_col`` and the segmenter's columns.
    id_col : str
        Column carried through to identify each row.
    segment_col : str
        Name of the label column.
    scores : bool
        Add the ``transform`` scores as double columns named by
        ``get_feature_names_out()``.

    Returns
    -------
    pyspark.sql.DataFrame
        ``id_col``, ``segment_col`` (string) and the score columns.

    Examples
    --------
    >>> from behaviorseg import spark as bs_spark   # doctest: +SKIP
    >>> bs_spark.apply(fitted, customers_sdf).show()  # doctest: +SKIP
    """
    from pyspark.sql import types as T

    names = getattr(segmenter, "feature_names_in_", None)
    if names is None:
        raise ValueError(
            "apply needs a segmenter fitted on a DataFrame with named columns (it reads "
            "the Spark columns by name)"
        )
    needed = [str(c) for c in names]
    _check_columns(customers, {"id_col": id_col, **{c: c for c in needed}})
    score_names = [str(c) for c in segmenter.get_feature_names_out()] if scores else []
    id_type = customers.schema[id_col].dataType
    schema = T.StructType(
        [
            T.StructField(id_col, id_type),
            T.StructField(segment_col, T.StringType()),
            *[T.StructField(name, T.DoubleType()) for name in score_names],
        ]
    )

    def label(batches: Any) -> Any:
        for batch in batches:
            features = batch[needed]
            out = pd.DataFrame({id_col: batch[id_col].to_numpy()})
            out[segment_col] = np.asarray(segmenter.predict(features), dtype=object)
            if score_names:
                values = np.asarray(segmenter.transform(features), dtype=np.float64)
                for j, name in enumerate(score_names):
                    out[name] = values[:, j]
            yield out

    return customers.select(id_col, *needed).mapInPandas(label, schema=schema)
