"""Benchmark the whole flow: logs → every summary → every segmenter → models → kpi.

One simulated business, all logs seeded:

- a transaction log (``make_transactions``, about 12 purchases per customer over 2024),
  with a product ``category`` per line derived with seeded numpy (no generator gives
  one): each customer has a favourite among six categories, bought on half of their
  lines, the other half uniform;
- an event log of sessions and AIDA funnel events (``make_events``);
- a view + purchase log with brands (``make_brand_events``, ``--events / 5`` rows);
- an e-mail, social and event interaction log (``make_engagement_events``,
  ``--events / 5`` rows);
- a subscription log of sign-ups, renewals and cancellations (``make_subscriptions``,
  about ``--transactions / 2`` rows);
- a survey: the NPS answers of ``make_loyalty_customers`` (30 % responded), given to the
  transaction log's customers by id, so attitude is independent of the log's behaviour.

The stages run in the order of the flow (summaries, segmenters, the BG/NBD and
Gamma-Gamma models, KPIs), called as the docs show, and each is printed as one row: its
name, the rows of the frame it reads, its wall time and its peak traced memory. Each
stage runs twice: first under tracemalloc for the peak (numpy and pandas allocations),
then untraced for the time (tracemalloc slows stages that make many Python objects, such
as those reading string columns, up to ninefold); the traced call is also the warm-up.

Choices the issue left open:

- Segmenters read their summary as it comes out; Walker's table is ``rfm_table`` left
  joined with the survey (NaN for non-respondents), as the Walker guide builds it (the
  join is not timed).
- The supervised churn tiers learn from ``churn_labels`` at a cutoff 90 days before the
  end of the log (label window: the last 90 days), as the churn guide does, and are
  applied to today's ``rfm_table``; the stage reports the rows of the training table.
  ``ChurnClassifier`` has no stage of its own: it is the model fitted inside it.
- The probabilistic churn tiers fit BG/NBD on ``clv_summary`` (days) with
  ``horizon=90``; the contractual ones fit sBG on ``subscription_table`` with the
  guide's monthly cut points ``(0.05, 0.15)``.
- ``MatrixSegmenter`` crosses activity (frequency, recency) with basket size (average
  order value) on ``rfm_table``; ``BenefitSegmenter`` reads ``category_table``'s shares
  of spend; ``ClusterSegmenter`` chooses k (2 to 8) on four ``rfm_table`` columns.
- Warnings are silenced (rows excluded, empty scores, constant columns).

The k-means of ``ClusterSegmenter`` and the gradient boosting of the supervised churn
tiers run OpenMP threads: on a machine busy with other work they slow down several
times over, so read their rows from a quiet run.

Run::

    python benchmarks/bench_end_to_end.py --quick   # 100k transactions, 500k events
    python benchmarks/bench_end_to_end.py           # 10M transactions, 50M events
    python benchmarks/bench_end_to_end.py --transactions 1000000 --events 5000000

The logs are cached as parquet under ``/tmp/behaviorseg-bench/`` (generation, the derived
category column and the survey are not timed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from bench_events import CACHE, brand_workload
from bench_events import workload as events_workload
from bench_rfm import workload as transactions_workload

import behaviorseg as bs
from behaviorseg.models import BetaGeoModel, GammaGammaModel
from behaviorseg.summaries import AIDA_STAGES

CATEGORIES = ("grocery", "home", "fashion", "electronics", "beauty", "sports")
ENGAGEMENT_ROWS_PER_CUSTOMER = 40.0  # make_engagement_events: about 40 rows per customer
SUBSCRIPTION_ROWS_PER_SUBSCRIBER = 9.0  # make_subscriptions: about 9 rows per subscriber


def _cached(name: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The log ``make()`` returns, cached as parquet under ``CACHE`` by ``name``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    frame = make()
    with contextlib.suppress(ImportError):  # no pyarrow: no cache
        frame.to_parquet(path)
    return frame


def engagement_workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated deliveries, opens, clicks and social interactions."""
    n_customers = max(int(n_rows / ENGAGEMENT_ROWS_PER_CUSTOMER), 100)
    return _cached(
        f"engagement_{n_rows}_{seed}_v1",
        lambda: bs.datasets.make_engagement_events(n_customers, random_state=seed)[0],
    )


def subscription_workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated sign-ups, renewals and cancellations (monthly plans)."""
    n_subscribers = max(int(n_rows / SUBSCRIPTION_ROWS_PER_SUBSCRIBER), 100)
    return _cached(
        f"subscriptions_{n_rows}_{seed}_v1",
        lambda: bs.datasets.make_subscriptions(n_subscribers, random_state=seed)[0],
    )


def with_categories(tx: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A copy of ``tx`` with a ``category`` per line: the customer's favourite half the time."""
    rng = np.random.default_rng(seed)
    ids = tx["customer_id"].to_numpy()
    favourite = rng.integers(0, len(CATEGORIES), int(ids.max()) + 1)
    code = np.where(
        rng.random(len(tx)) < 0.5, favourite[ids], rng.integers(0, len(CATEGORIES), len(tx))
    )
    names = np.asarray(CATEGORIES, dtype=object)[code]
    out: pd.DataFrame = tx.assign(category=pd.Series(names, index=tx.index))
    return out


def survey_answers(n_customers: int, seed: int = 0) -> pd.Series:
    """NPS answers of the respondents among customers ``1..n_customers``, by customer id."""
    customers, _ = bs.datasets.make_loyalty_customers(n_customers, random_state=seed)
    return customers["likelihood_to_recommend"].dropna()


#: (stage name, summary read, segmenter) of the segmenters that fit and predict one table.
SEGMENTERS: tuple[tuple[str, str, Callable[[], Any]], ...] = (
    ("RFMSegmenter", "rfm_table", bs.RFMSegmenter),
    ("UsageTierSegmenter", "usage_table", bs.UsageTierSegmenter),
    ("AIDAStageSegmenter", "funnel_table", bs.AIDAStageSegmenter),
    (
        "AIDAStageSegmenter (strict table)",
        "funnel_table (strict, within 14D)",
        bs.AIDAStageSegmenter,
    ),
    ("AssaelSegmenter", "brand_table", bs.AssaelSegmenter),
    ("WalkerLoyaltySegmenter", "rfm_table + survey", bs.WalkerLoyaltySegmenter),
    (
        "MatrixSegmenter (activity x basket)",
        "rfm_table",
        lambda: bs.MatrixSegmenter(
            x_axis=(("frequency", 1.0), ("recency_days", -1.0)),
            y_axis=(("avg_order_value", 1.0),),
            axis_names=("activity", "basket"),
            quadrant_names=("big occasional", "best", "small occasional", "small regular"),
        ),
    ),
    (
        "ClusterSegmenter (k auto)",
        "rfm_table",
        lambda: bs.ClusterSegmenter(
            ("recency_days", "frequency", "monetary", "avg_order_value"),
            value_col="monetary",
            random_state=0,
        ),
    ),
    (
        "ChurnSegmenter (probabilistic, BG/NBD)",
        "clv_summary",
        lambda: bs.ChurnSegmenter(horizon=90.0),
    ),
    (
        "ChurnSegmenter (contractual, sBG)",
        "subscription_table",
        lambda: bs.ChurnSegmenter("contractual", thresholds=(0.05, 0.15)),
    ),
    ("LifecycleSegmenter", "lifecycle_table", bs.LifecycleSegmenter),
    ("OccasionSegmenter", "occasion_table", bs.OccasionSegmenter),
    (
        "BenefitSegmenter (category shares)",
        "category_table",
        lambda: bs.BenefitSegmenter(prefix="share_"),
    ),
    ("EngagementSegmenter", "engagement_table", bs.EngagementSegmenter),
)


def _fit_predict(make: Callable[[], Any], table: pd.DataFrame) -> Any:
    return make().fit_predict(table)


class Stages:
    """Runs stages one by one and keeps, per stage, its input rows, seconds and peak memory."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.rows: list[tuple[str, int, float, int]] = []

    def __call__(self, name: str, n_rows: int, fn: Callable[[], Any]) -> Any:
        tracemalloc.start()
        fn()  # traced, for the peak; it also warms up the timed call
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
        self.rows.append((name, n_rows, seconds, peak))
        self.results[name] = out
        return out

    def print(self) -> None:
        total = sum(seconds for _, _, seconds, _ in self.rows)
        print(f"  {'stage':<44} {'input rows':>12} {'seconds':>8} {'peak MB':>9}")
        for name, n_rows, seconds, peak in self.rows:
            print(f"  {name:<44} {n_rows:12,} {seconds:8.3f} {peak / 1e6:9,.0f}")
        print(f"  {'total':<44} {'':>12} {total:8.3f}")
        print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


def run_stages(
    tx: pd.DataFrame,
    events: pd.DataFrame,
    brands: pd.DataFrame,
    *,
    lines: pd.DataFrame,
    engagement: pd.DataFrame,
    subscriptions: pd.DataFrame,
    survey: pd.Series,
) -> Stages:
    """Every summary, segmenter, model and KPI, in the order of the flow."""
    stage = Stages()
    res = stage.results
    end = tx["timestamp"].max()
    # Summaries
    rfm = stage("rfm_table", len(tx), lambda: bs.rfm_table(tx))
    clv = stage("clv_summary", len(tx), lambda: bs.clv_summary(tx))
    stage(
        "usage_table",
        len(events),
        lambda: bs.usage_table(
            events,
            event_col="event",
            usage_events="session",
            value_col="value",
            feature_col="feature",
            window="30D",
        ),
    )
    funnel = stage(
        "funnel_table",
        len(events),
        lambda: bs.funnel_table(events, stages=AIDA_STAGES, ignore_events="session"),
    )
    stage(
        "funnel_table (strict, within 14D)",
        len(events),
        lambda: bs.funnel_table(
            events, stages=AIDA_STAGES, ignore_events="session", order="strict", within="14D"
        ),
    )
    stage("brand_table", len(brands), lambda: bs.brand_table(brands))
    stage("lifecycle_table", len(tx), lambda: bs.lifecycle_table(tx))
    stage("occasion_table", len(tx), lambda: bs.occasion_table(tx))
    stage(
        "category_table",
        len(lines),
        lambda: bs.category_table(lines, category_col="category", amount_col="amount"),
    )
    stage(
        "engagement_table",
        len(engagement),
        lambda: bs.engagement_table(engagement, channel_col="channel"),
    )
    stage("split_sessions", len(events), lambda: bs.split_sessions(events, gap="30min"))
    stage(
        "session_table",
        len(res["split_sessions"]),
        lambda: bs.session_table(res["split_sessions"]),
    )
    del res["split_sessions"]  # a copy of the event log: free it
    stage("subscription_table", len(subscriptions), lambda: bs.subscription_table(subscriptions))
    train = stage(
        "churn_labels (cutoff 90 days before the end)",
        len(tx),
        lambda: bs.churn_labels(tx, cutoff=end - pd.Timedelta(days=90), horizon="90D"),
    )
    stage(
        "calibration_holdout_split",
        len(tx),
        lambda: bs.calibration_holdout_split(
            tx, calibration_end=end - pd.Timedelta(days=90), as_of=end
        ),
    )

    # Segmenters: every one fitted and applied to the table it reads
    res["rfm_table + survey"] = rfm.join(survey)  # as the Walker guide builds it
    for name, table, make in SEGMENTERS:
        stage(name, len(res[table]), partial(_fit_predict, make, res[table]))
    stage(
        "ChurnSegmenter (supervised)",
        len(train),
        lambda: (
            bs.ChurnSegmenter(method="supervised", random_state=0)
            .fit(train.drop(columns="churned"), train["churned"])
            .predict(rfm)
        ),
    )

    # Models and KPIs
    bg = stage("BetaGeoModel", len(clv), lambda: BetaGeoModel().fit(clv))
    gg = stage("GammaGammaModel", len(clv), lambda: GammaGammaModel().fit(clv))
    value = stage(
        "kpi.cltv (predictive, 12 months)",
        len(clv),
        lambda: bs.kpi.cltv(
            clv,
            method="predictive",
            transaction_model=bg,
            spend_model=gg,
            time_unit="D",
            period="M",
            horizon=12,
            discount_rate=0.01,
        ),
    )
    stage("kpi.funnel_conversion", len(funnel), lambda: bs.kpi.funnel_conversion(funnel))
    labelled = rfm.assign(segment=res["RFMSegmenter"])
    stage(
        "kpi.segment_report",
        len(labelled),
        lambda: bs.kpi.segment_report(labelled, segment_col="segment"),
    )
    valued = labelled.join(value["cltv"])
    stage(
        "kpi.segment_report (with CLTV)",
        len(valued),
        lambda: bs.kpi.segment_report(valued, segment_col="segment", cltv_col="cltv"),
    )
    stage("kpi.cohort_retention", len(tx), lambda: bs.kpi.cohort_retention(tx, period="M"))
    return stage


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
    engagement = engagement_workload(n_events // 5)
    subscriptions = subscription_workload(n_tx // 2)
    lines = with_categories(tx)
    survey = survey_answers(int(tx["customer_id"].max()))
    sizes = {
        "transactions": tx,
        "events": events,
        "brand events": brands,
        "engagement events": engagement,
        "subscription events": subscriptions,
    }
    print(
        "\n== "
        + ", ".join(
            f"{len(frame):,} {name} ({frame.memory_usage(deep=True).sum() / 1e6:,.0f} MB)"
            for name, frame in sizes.items()
        )
        + f"; {len(survey):,} survey answers"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stages = run_stages(
            tx,
            events,
            brands,
            lines=lines,
            engagement=engagement,
            subscriptions=subscriptions,
            survey=survey,
        )
    stages.print()


if __name__ == "__main__":
    main()
