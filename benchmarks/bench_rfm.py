"""Benchmark the RFM job: transactions → per-customer R/F/M → quintile scores → segment names.

The job is timed in-process for behaviorseg (``rfm_table`` + ``RFMSegmenter().fit_predict``)
and, when they are installed (``pip install ".[bench]"``), for the same job written in
DuckDB SQL and in polars (lazy), on the same in-memory data in the same run. Every engine
uses the same semantics: purchases are distinct (customer, instant) pairs with an amount
>= 0, returns net into monetary, recency = days from the last purchase to the last
timestamp, and tie-aware quantile scores (equal values get equal scores:
``score = 1 + min(n - 1, floor(n * #(values strictly worse) / N))``). The script checks that
the engines agree with behaviorseg before timing them.

Run::

    python benchmarks/bench_rfm.py                 # 1M and 10M rows (about 10 rows per customer)
    python benchmarks/bench_rfm.py --quick         # 200k rows, a smoke run
    python benchmarks/bench_rfm.py --rows 10000000 --repeats 5

Reported: median wall time of ``--repeats`` runs after one warm-up; peak memory of one
behaviorseg run measured with tracemalloc (numpy and pandas allocations), next to the size of
the input frame; the time of ``predict`` on the fitted segmenter for all customers; and,
for reference, the time of ``clv_summary`` on the same log (behaviorseg only). With polars
installed, the behaviorseg job is also timed from a polars frame (``rfm_table`` reads it,
returns a polars frame; conversion included), next to the pandas input.
"""

from __future__ import annotations

import argparse
import contextlib
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _timing import median_time

import behaviorseg as bs
from behaviorseg.segmenters.rfm import DEFAULT_RFM_SEGMENTS

CACHE = Path("/tmp/behaviorseg-bench")


def workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated transactions of ``n_rows / 10`` customers (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"tx_{n_rows}_{seed}_v2.parquet"  # bump when the workload changes
    if path.exists():
        return pd.read_parquet(path)
    n_customers = max(n_rows // 10, 100)
    # alpha = 4 per day and few dropouts give about 10 purchases per customer in a year.
    tx, _ = bs.datasets.make_transactions(
        n_customers, random_state=seed, n_days=365, alpha=4.0, a=0.5, b=12.0
    )
    with contextlib.suppress(ImportError):  # no pyarrow: no cache
        tx.to_parquet(path)
    return tx


def _segment_lookup(n_bins: int = 5) -> pd.DataFrame:
    """The default R x F map as a table of (r, f, segment) rows."""
    rows = []
    for r in range(1, n_bins + 1):
        for f in range(1, n_bins + 1):
            for name, (r_lo, r_hi), (f_lo, f_hi) in DEFAULT_RFM_SEGMENTS:
                if r_lo <= r <= r_hi and f_lo <= f <= f_hi:
                    rows.append((r, f, name))
                    break
    return pd.DataFrame(rows, columns=["r", "f", "segment"])


def run_behaviorseg(tx: Any) -> pd.DataFrame:
    """The job from any frame behaviorseg reads (pandas, or polars: conversion included)."""
    customers = bs.rfm_table(tx)
    segmenter = bs.RFMSegmenter()
    labels = segmenter.fit_predict(customers)
    scores = segmenter.transform(customers)
    if not isinstance(customers, pd.DataFrame):  # polars in, polars out: the id is a column
        customers = customers.to_pandas().set_index("customer_id")
    return pd.DataFrame(
        {"r": scores[:, 0], "f": scores[:, 1], "m": scores[:, 2], "segment": labels},
        index=customers.index,
    )


_SQL = """
WITH bought AS (
    SELECT customer_id, max(timestamp) AS last_ts,
           count(DISTINCT timestamp) AS frequency
    FROM tx WHERE amount >= 0 GROUP BY customer_id
), spend AS (
    SELECT customer_id, sum(amount) AS monetary FROM tx GROUP BY customer_id
), rfm AS (
    SELECT b.customer_id,
           date_diff('microsecond', b.last_ts, (SELECT max(timestamp) FROM tx)) / 86400e6
               AS recency_days,
           b.frequency, s.monetary
    FROM bought b JOIN spend s USING (customer_id)
), ranked AS (
    SELECT customer_id,
           rank() OVER (ORDER BY recency_days DESC) - 1 AS r_less,
           rank() OVER (ORDER BY frequency) - 1 AS f_less,
           rank() OVER (ORDER BY monetary) - 1 AS m_less,
           count(*) OVER () AS n
    FROM rfm
), scored AS (
    SELECT customer_id,
           1 + least(4, floor(5 * r_less / n))::INTEGER AS r,
           1 + least(4, floor(5 * f_less / n))::INTEGER AS f,
           1 + least(4, floor(5 * m_less / n))::INTEGER AS m
    FROM ranked
)
SELECT s.customer_id, s.r, s.f, s.m, l.segment
FROM scored s JOIN lookup l ON s.r = l.r AND s.f = l.f
"""


def duckdb_job() -> Callable[[pd.DataFrame], pd.DataFrame] | None:
    try:
        import duckdb
    except ImportError:
        return None
    lookup = _segment_lookup()

    def run(tx: pd.DataFrame) -> pd.DataFrame:
        con = duckdb.connect()
        con.register("tx", tx)
        con.register("lookup", lookup)
        out: pd.DataFrame = con.execute(_SQL).df()
        con.close()
        return out.set_index("customer_id")

    return run


def polars_job() -> Callable[[Any], pd.DataFrame] | None:
    try:
        import polars as pl
    except ImportError:
        return None
    lookup = pl.from_pandas(_segment_lookup()).with_columns(
        pl.col("r").cast(pl.Int64), pl.col("f").cast(pl.Int64)
    )

    def score(column: str, descending: bool = False) -> Any:
        less = pl.col(column).rank("min", descending=descending).cast(pl.Int64) - 1
        return (1 + pl.min_horizontal(4, (5 * less) // pl.len())).alias(column[0])

    def run(frame: Any) -> pd.DataFrame:
        lazy = frame.lazy()
        as_of = lazy.select(pl.col("timestamp").max())
        bought = (
            lazy.filter(pl.col("amount") >= 0)
            .group_by("customer_id")
            .agg(
                pl.col("timestamp").max().alias("last_ts"),
                pl.col("timestamp").n_unique().alias("frequency"),
            )
        )
        spend = lazy.group_by("customer_id").agg(pl.col("amount").sum().alias("monetary"))
        rfm = (
            bought.join(spend, on="customer_id")
            .join(as_of.rename({"timestamp": "as_of"}), how="cross")
            .with_columns(
                ((pl.col("as_of") - pl.col("last_ts")).dt.total_microseconds() / 86_400e6).alias(
                    "recency_days"
                )
            )
        )
        scored = rfm.select(
            "customer_id",
            score("recency_days", descending=True),
            score("frequency"),
            score("monetary"),
        ).rename({"r": "r", "f": "f", "m": "m"})
        out = scored.join(lookup.lazy(), on=["r", "f"]).collect().to_pandas()
        return out.set_index("customer_id")

    return run


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def check_same(name: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """R, F scores and segments must be identical. M scores may differ for a handful of
    customers: engines sum floats in different orders, and a last-bit difference moves a
    customer whose spend equals a quantile edge."""
    theirs = theirs.sort_index()
    same = (
        ours.index.equals(theirs.index)
        and all(np.array_equal(ours[c].to_numpy(), theirs[c].to_numpy()) for c in "rf")
        and np.array_equal(ours["segment"].astype(str), theirs["segment"].astype(str))
    )
    m_diff = int((ours["m"].to_numpy() != theirs["m"].to_numpy()).sum()) if same else -1
    if not same or m_diff > 1e-5 * len(ours):
        raise AssertionError(f"{name} does not give the same scores and segments as behaviorseg")
    print(f"  {name}: same R/F scores and segments; M scores differ for {m_diff} customers")


def bench(n_rows: int, repeats: int) -> None:
    tx = workload(n_rows)
    size = tx.memory_usage(deep=True).sum()
    print(
        f"\n== {len(tx):,} transactions, {tx['customer_id'].nunique():,} customers, "
        f"input frame {size / 1e6:,.0f} MB"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = run_behaviorseg(tx)
        results = {"behaviorseg": median_time(lambda: run_behaviorseg(tx), repeats)}
        peak = peak_memory(lambda: run_behaviorseg(tx))
        shuffled = tx.sample(frac=1.0, random_state=0)
        unsorted = median_time(lambda: run_behaviorseg(shuffled), max(1, repeats // 2))
        customers = bs.rfm_table(tx)
        segmenter = bs.RFMSegmenter().fit(customers)
        predict = median_time(lambda: segmenter.predict(customers), repeats)
        clv = median_time(lambda: bs.clv_summary(tx), max(1, repeats // 2))

    job = duckdb_job()
    if job is not None:
        check_same("duckdb", ours, job(tx))
        results["duckdb"] = median_time(lambda: job(tx), repeats)
    pjob = polars_job()
    from_polars = None
    if pjob is not None:
        import polars as pl

        frame = pl.from_pandas(tx)  # conversion not timed: polars gets its native frame
        check_same("polars", ours, pjob(frame))
        results["polars"] = median_time(lambda: pjob(frame), repeats)
        # behaviorseg given the polars frame: the conversion to pandas is part of the job
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_same("behaviorseg from polars", ours, run_behaviorseg(frame))
            from_polars = median_time(lambda: run_behaviorseg(frame), repeats)

    best_other = min((t for k, t in results.items() if k != "behaviorseg"), default=None)
    for name, seconds in results.items():
        ratio = (
            f"  ({seconds / results['behaviorseg']:.2f}x behaviorseg)"
            if name != "behaviorseg"
            else ""
        )
        print(f"  {name:<12} {seconds:8.3f} s{ratio}")
    if best_other is not None:
        print(f"  behaviorseg / fastest other engine: {results['behaviorseg'] / best_other:.2f}")
    if from_polars is not None:
        print(
            f"  behaviorseg from a polars frame (conversion included): {from_polars:.3f} s "
            f"({from_polars / results['behaviorseg']:.2f}x the pandas input)"
        )
    print(f"  behaviorseg on the same rows out of time order: {unsorted:.3f} s")
    print(f"  peak memory (tracemalloc) {peak / 1e6:,.0f} MB = {peak / size:.2f}x the input frame")
    print(f"  predict on {len(customers):,} customers: {predict * 1e3:.1f} ms")
    print(f"  clv_summary (daily periods, not part of the job above): {clv:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in rows")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [1_000_000, 10_000_000])
    for n_rows in sizes:
        bench(n_rows, 2 if args.quick else args.repeats)


if __name__ == "__main__":
    main()
