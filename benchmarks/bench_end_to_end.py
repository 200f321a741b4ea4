"""Benchmark the whole flow: logs → every summary → the segmenters → kpi.segment_report.

One simulated business: a transaction log (``make_transactions``), an event log of sessions
and AIDA funnel events (``make_events``) and a view + purchase log with brands
(``make_brand_events``). Each stage runs once, in order, and is printed as one row with
its wall time and its peak traced memory (tracemalloc: numpy and pandas allocations; its
overhead on these whole-array operations is a few per cent).

Run::

    python benchmarks/bench_end_to_end.py --quick   # 100k transactions, 500k events
    python benchmarks/bench_end_to_end.py           # 10M transactions, 50M events
    python benchmarks/bench_end_to_end.py --transactions 1000000 --events 10000000

The logs are cached as parquet under ``/tmp/behaviorseg-bench/`` (generation not timed).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from bench_events import brand_workload
from bench_events import workload as events_workload
from bench_rfm import workload as transactions_workload

import behaviorseg as bs
from behaviorseg.summaries import AIDA_STAGES


def run_stages(tx: pd.DataFrame, events: pd.DataFrame, brands: pd.DataFrame) -> None:
    results: dict[str, Any] = {}
    rows: list[tuple[str, float, int]] = []

    def stage(name: str, fn: Callable[[], Any]) -> None:
        tracemalloc.start()
        start = time.perf_counter()
        results[name] = fn()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append((name, seconds, peak))

    stage("rfm_table", lambda: bs.rfm_table(tx))
    stage("clv_summary", lambda: bs.clv_summary(tx))
    stage(
        "usage_table",
        lambda: bs.usage_table(
            events,
            event_col="event",
            usage_events="session",
            value_col="value",
            feature_col="feature",
            window="30D",
        ),
    )
    stage(
        "funnel_table",
        lambda: bs.funnel_table(events, stages=AIDA_STAGES, ignore_events="session"),
    )
    stage(
        "funnel_table (strict, within 14D)",
        lambda: bs.funnel_table(
            events, stages=AIDA_STAGES, ignore_events="session", order="strict", within="14D"
        ),
    )
    stage("brand_table", lambda: bs.brand_table(brands))
    rfm, usage, funnel = results["rfm_table"], results["usage_table"], results["funnel_table"]
    stage("RFMSegmenter", lambda: bs.RFMSegmenter().fit_predict(rfm))
    stage("UsageTierSegmenter", lambda: bs.UsageTierSegmenter().fit_predict(usage))
    stage("AIDAStageSegmenter", lambda: bs.AIDAStageSegmenter().fit_predict(funnel))
    stage(
        "AIDAStageSegmenter (strict table)",
        lambda: bs.AIDAStageSegmenter().fit_predict(results["funnel_table (strict, within 14D)"]),
    )
    stage("AssaelSegmenter", lambda: bs.AssaelSegmenter().fit_predict(results["brand_table"]))
    stage("kpi.funnel_conversion", lambda: bs.kpi.funnel_conversion(funnel))
    labelled = rfm.assign(segment=results["RFMSegmenter"])
    stage("kpi.segment_report", lambda: bs.kpi.segment_report(labelled, segment_col="segment"))

    total = sum(seconds for _, seconds, _ in rows)
    print(f"  {'stage':<36} {'seconds':>8} {'peak MB':>9}")
    for name, seconds, peak in rows:
        print(f"  {name:<36} {seconds:8.3f} {peak / 1e6:9,.0f}")
    print(f"  {'total':<36} {total:8.3f}")
    print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small logs (a smoke run)")
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=50_000_000)
    args = parser.parse_args()
    n_tx, n_events = (100_000, 500_000) if args.quick else (args.transactions, args.events)
    tx = transactions_workload(n_tx)
    events = events_workload(n_events)
    brands = brand_workload(n_events // 5)
    sizes = {
        "transactions": tx,
        "events": events,
        "brand events": brands,
    }
    print(
        "\n== "
        + ", ".join(
            f"{len(frame):,} {name} ({frame.memory_usage(deep=True).sum() / 1e6:,.0f} MB)"
            for name, frame in sizes.items()
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_stages(tx, events, brands)


if __name__ == "__main__":
    main()
