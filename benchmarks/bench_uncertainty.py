"""Coverage and timing of the models' parameter-draw intervals (issue 17, part 4).

Coverage: ``--replications`` data sets from ``make_transactions`` (known r, alpha, a, b;
``--customers`` customers each), a BG/NBD fit on each, and the 95 % interval of a new
customer's expected purchases in 180 days (a population quantity: it depends on the
parameters only). Prints the share of intervals that cover the true value, with the
summary taken at the hour (close to the simulator's continuous time) and, for
comparison, at the day (``clv_summary``'s default), where whole-day ages bias the fit.

Timing: intervals on the CDNOW sample (2,357 customers, 1,000 draws).

Run::

    python benchmarks/bench_uncertainty.py                 # 1,000 replications of 1,000
    python benchmarks/bench_uncertainty.py --replications 200 --customers 4000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _timing import median_time

import behaviorseg as bs
from behaviorseg import kpi
from behaviorseg.datasets import make_transactions
from behaviorseg.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel

TRUE = pd.Series([0.25, 30.0, 0.8, 2.5], index=["r", "alpha", "a", "b"])  # per day
HORIZON_DAYS = 180.0


def coverage(replications: int, customers: int, freq: str) -> tuple[float, float, float]:
    """Share of 95 % intervals covering the truth, and the shares missing low and high."""
    probe = BetaGeoModel()
    probe.params_ = TRUE
    truth = probe.expected_purchases_new(HORIZON_DAYS)
    as_of, multiplier = ("2024-12-31 00:00", 24) if freq == "h" else ("2024-12-31", 1)
    low_miss = high_miss = 0
    for seed in range(replications):
        tx, _ = make_transactions(customers, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = bs.clv_summary(tx, as_of=as_of, freq=freq, freq_multiplier=multiplier)
            model = BetaGeoModel().fit(summary)
        row = model.interval("expected_purchases_new", HORIZON_DAYS, random_state=seed).iloc[0]
        low_miss += row["high"] < truth
        high_miss += row["low"] > truth
    n = replications
    return 1.0 - (low_miss + high_miss) / n, low_miss / n, high_miss / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 20 data sets of 300 customers"
    )
    args = parser.parse_args()
    if args.quick:
        args.replications, args.customers = 20, 300

    for freq, label in (("h", "hourly summary"), ("D", "daily summary")):
        start = time.perf_counter()
        covered, below, above = coverage(args.replications, args.customers, freq)
        se = np.sqrt(0.95 * 0.05 / args.replications)
        print(
            f"coverage, {label}: {covered:.3f} (nominal 0.95 +- {1.96 * se:.3f}; interval "
            f"below the truth {below:.3f}, above {above:.3f}); {args.replications} data sets "
            f"of {args.customers} customers, {time.perf_counter() - start:.0f} s"
        )

    tx = bs.datasets.load_cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = bs.clv_summary(tx, as_of="1997-09-30", freq="D", freq_multiplier=7)
    bg, pareto, gg = (M().fit(summary) for M in (BetaGeoModel, ParetoNBDModel, GammaGammaModel))
    timings = {
        "BG/NBD probability_alive": lambda: bg.interval("probability_alive", summary),
        "BG/NBD expected_purchases(52)": lambda: bg.interval("expected_purchases", summary, 52),
        "Pareto/NBD expected_purchases(52)": lambda: pareto.interval(
            "expected_purchases", summary, 52
        ),
        "Gamma-Gamma expected_average_value": lambda: gg.interval(
            "expected_average_value", summary
        ),
        "BG/NBD probability_no_purchase(13), per-draw path": lambda: bg.interval(
            "probability_no_purchase", summary, 13
        ),
        "cltv 12 months, interval=0.95": lambda: kpi.cltv(
            summary,
            method="predictive",
            transaction_model=bg,
            spend_model=gg,
            time_unit="W",
            horizon=12,
            discount_rate=0.01,
            interval=0.95,
        ),
    }
    for name, fn in timings.items():
        print(f"CDNOW {name}, 1,000 draws: {median_time(fn, 3):.2f} s")


if __name__ == "__main__":
    main()
