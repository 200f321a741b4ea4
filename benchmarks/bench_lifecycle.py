"""Benchmark ``lifecycle_table`` next to the same summary in DuckDB SQL and in polars.

The log is ``bench_rfm``'s workload (``make_transactions``: about 12 purchases per
customer over a year, time-ordered, whole seconds stored as microseconds, cached under
``/tmp/behaviorseg-bench/``). Every engine computes the whole table with
``lifecycle_table``'s rules:

- a purchase is a distinct (customer, instant) pair among the rows with an amount >= 0
  (rfm_table's definition); ``as_of`` is the last timestamp of the log;
- per customer: the number of purchases, the days from the first and from the last
  purchase to ``as_of``, the gaps between consecutive purchases in days (``lag`` over a
  window in SQL; in polars a ``diff`` of the purchases sorted by customer and time,
  masked where the customer changes, which ran 2x faster than ``diff().over()`` at 1.2M
  rows), their median, the median and the maximum of the gaps before the last one, and
  the last gap.

The median is the mean of the two middle gaps when their number is even, as
``lifecycle_table`` computes it: DuckDB's ``median`` (``quantile_cont(0.5)``) and polars'
``quantile(0.5, "midpoint")``. DuckDB runs on the registered pandas frame with 2 threads;
polars runs a lazy query on a polars frame converted before timing.

Before timing, the script checks that both engines give the same table as behaviorseg:
the same customers and purchase counts exactly; day columns exactly for DuckDB and to a
relative 1e-15 for polars, which divides by a constant as a multiplication by its
reciprocal (a last-bit difference on a few percent of the values, counted in the output);
NaN in the same places.

Run::

    python benchmarks/bench_lifecycle.py                 # 10M rows (about 1M customers)
    python benchmarks/bench_lifecycle.py --quick         # 200k rows, a smoke run
    python benchmarks/bench_lifecycle.py --rows 1000000 10000000 --repeats 5

Reported: median wall time of ``--repeats`` runs after one warm-up for behaviorseg, DuckDB
and polars, behaviorseg's time over the faster engine's, behaviorseg on the same rows out of
time order, the peak memory of one behaviorseg run (tracemalloc: numpy and pandas
allocations) over the input frame's ``memory_usage(deep=True)``, and the load average.
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _timing import median_time
from bench_rfm import peak_memory, workload

import behaviorseg as bs

_SQL = """
WITH p AS (SELECT DISTINCT customer_id, timestamp FROM tx WHERE amount >= 0),
g AS (
    SELECT customer_id, timestamp,
           date_diff('microsecond', lag(timestamp) OVER w, timestamp) / 86400e6 AS gap,
           lead(timestamp) OVER w IS NOT NULL AS earlier
    FROM p WINDOW w AS (PARTITION BY customer_id ORDER BY timestamp)
),
stamp AS (SELECT max(timestamp) AS as_of FROM tx)
SELECT customer_id, count(*) AS purchases,
       date_diff('microsecond', min(timestamp), (SELECT as_of FROM stamp)) / 86400e6
           AS tenure_days,
       date_diff('microsecond', max(timestamp), (SELECT as_of FROM stamp)) / 86400e6
           AS recency_days,
       median(gap) AS median_gap_days,
       median(gap) FILTER (WHERE earlier) AS median_earlier_gap_days,
       max(gap) FILTER (WHERE NOT earlier) AS last_gap_days,
       max(gap) FILTER (WHERE earlier) AS longest_earlier_gap_days
FROM g GROUP BY customer_id
"""


def duckdb_job() -> Callable[[pd.DataFrame], pd.DataFrame] | None:
    try:
        import duckdb
    except ImportError:
        return None

    def run(tx: pd.DataFrame) -> pd.DataFrame:
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.register("tx", tx)
        out: pd.DataFrame = con.execute(_SQL).df()
        con.close()
        return out.set_index("customer_id").sort_index()

    return run


def polars_job() -> Callable[[Any], pd.DataFrame] | None:
    try:
        import polars as pl
    except ImportError:
        return None

    def run(frame: Any) -> pd.DataFrame:
        ts, customer = pl.col("timestamp"), pl.col("customer_id")
        same_customer = customer == customer.shift(1)
        days = ts.diff().dt.total_microseconds() / 86_400e6
        purchases = (
            frame.lazy()
            .filter(pl.col("amount") >= 0)
            .select("customer_id", "timestamp")
            .sort("customer_id", "timestamp")
            .filter(~same_customer.fill_null(False) | (ts != ts.shift(1)))  # distinct pairs
            .with_columns(
                gap=pl.when(same_customer).then(days),
                earlier=(customer == customer.shift(-1)).fill_null(False),
            )
        )
        as_of = frame["timestamp"].max()
        gap = pl.col("gap")
        earlier = gap.filter(pl.col("earlier"))
        out = (
            purchases.group_by("customer_id")
            .agg(
                pl.len().alias("purchases"),
                ((as_of - ts.min()).dt.total_microseconds() / 86_400e6).alias("tenure_days"),
                ((as_of - ts.max()).dt.total_microseconds() / 86_400e6).alias("recency_days"),
                gap.quantile(0.5, "midpoint").alias("median_gap_days"),
                earlier.quantile(0.5, "midpoint").alias("median_earlier_gap_days"),
                gap.last().alias("last_gap_days"),
                earlier.max().alias("longest_earlier_gap_days"),
            )
            .collect()
            .to_pandas()
        )
        return out.set_index("customer_id").sort_index()

    return run


def check_same(engine: str, ours: pd.DataFrame, theirs: pd.DataFrame, rtol: float) -> None:
    """Same customers and counts; days equal (``rtol=0``) or to ``rtol``; NaN alike."""
    if not ours.index.equals(theirs.index.astype(ours.index.dtype)):
        raise AssertionError(f"{engine}: not the same customers as behaviorseg")
    if not theirs.columns.equals(ours.columns):
        raise AssertionError(f"{engine}: columns {list(theirs.columns)}, not {list(ours.columns)}")
    if not np.array_equal(ours["purchases"].to_numpy(), theirs["purchases"].to_numpy()):
        raise AssertionError(f"{engine}: purchase counts differ from behaviorseg")
    last_bits = 0
    for column in ours.columns[1:]:  # the day columns
        a, b = ours[column].to_numpy(), theirs[column].to_numpy(dtype=float)
        close = np.isclose(a, b, rtol=rtol, atol=0.0) if rtol else a == b
        if not (np.array_equal(np.isnan(a), np.isnan(b)) and (close | np.isnan(a)).all()):
            raise AssertionError(f"{engine}: column {column!r} differs from behaviorseg")
        last_bits += int((a != b).sum() - (np.isnan(a) & np.isnan(b)).sum())
    detail = f", {last_bits:,} values differ in the last bits" if last_bits else ""
    print(f"  {engine:<8} same table as behaviorseg{detail}")


def bench(n_rows: int, repeats: int) -> None:
    tx = workload(n_rows)
    size = tx.memory_usage(deep=True).sum()
    print(
        f"\n== {len(tx):,} transactions, {tx['customer_id'].nunique():,} customers, "
        f"input frame {size / 1e6:,.0f} MB"
    )
    results: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = bs.lifecycle_table(tx)
        results["behaviorseg"] = median_time(lambda: bs.lifecycle_table(tx), repeats)
        peak = peak_memory(lambda: bs.lifecycle_table(tx))
        shuffled = tx.sample(frac=1.0, random_state=0)
        pd.testing.assert_frame_equal(bs.lifecycle_table(shuffled), ours, check_exact=True)
        unsorted = median_time(lambda: bs.lifecycle_table(shuffled), repeats)
    job = duckdb_job()
    if job is not None:
        check_same("duckdb", ours, job(tx), rtol=0.0)
        results["duckdb"] = median_time(lambda: job(tx), repeats)
    pjob = polars_job()
    if pjob is not None:
        import polars as pl

        frame = pl.from_pandas(tx)  # conversion not timed: polars gets its native frame
        check_same("polars", ours, pjob(frame), rtol=1e-15)
        results["polars"] = median_time(lambda: pjob(frame), repeats)

    for name, seconds in results.items():
        print(f"  {name:<12} {seconds:8.3f} s")
    others = [seconds for name, seconds in results.items() if name != "behaviorseg"]
    if others:
        print(f"  behaviorseg / fastest other engine: {results['behaviorseg'] / min(others):.2f}")
    print(f"  behaviorseg on the same rows out of time order: {unsorted:.3f} s")
    print(f"  peak memory (tracemalloc) {peak / 1e6:,.0f} MB = {peak / size:.2f}x the input frame")
    print(f"  load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in rows")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [10_000_000])
    for n_rows in sizes:
        bench(n_rows, 1 if args.quick else args.repeats)


if __name__ == "__main__":
    main()
