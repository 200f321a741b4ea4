"""Benchmark the BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma fits.

Prints, for the CDNOW sample and for simulated customer bases, the time to fit
behaviorseg's models (median of several runs after a warm-up) and, when lifetimes is
installed, the time of the same fit in lifetimes on the same summary.

Run::

    python benchmarks/bench_models.py            # CDNOW + 1,000,000 simulated customers
    python benchmarks/bench_models.py --quick    # CDNOW + 20,000 simulated customers
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import pandas as pd
from _timing import median_time

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.models import BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel, ParetoNBDModel


def _lifetimes() -> tuple[Any, Any] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        return None
    return BetaGeoFitter, GammaGammaFitter


def _report_repeat_models(name: str, summary: pd.DataFrame, repeats: int, oracle: bool) -> None:
    """Time MBG/NBD and Pareto/NBD, next to lifetimes when ``oracle`` (and installed)."""
    args = (summary["frequency"], summary["recency"], summary["T"])
    for model_class, fitter_name in (
        (ModifiedBetaGeoModel, "ModifiedBetaGeoFitter"),
        (ParetoNBDModel, "ParetoNBDFitter"),
    ):
        ours = median_time(lambda m=model_class: m().fit(summary), repeats)
        line = f"  behaviorseg  {model_class.__name__:22s} {ours:8.3f} s"
        if oracle:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    import lifetimes

                    fitter = getattr(lifetimes, fitter_name)
                    ref = median_time(lambda f=fitter: f().fit(*args), max(1, repeats // 2))
                line += f"   lifetimes {fitter_name} {ref:8.3f} s ({ref / ours:.1f} x)"
            except ImportError:
                pass
        print(f"{name}: {line.strip()}")
        print("  params", model_class().fit(summary).params_.round(4).to_dict())


def _report(name: str, summary: pd.DataFrame, repeats: int) -> None:
    repeat_buyers = summary[summary["frequency"] > 0]
    bg = median_time(lambda: BetaGeoModel().fit(summary), repeats)
    gg = median_time(lambda: GammaGammaModel().fit(summary), repeats)
    model = BetaGeoModel().fit(summary)
    print(
        f"{name}: {len(summary):,} customers, {model.n_distinct_:,} distinct "
        f"(frequency, recency, T) rows, {len(repeat_buyers):,} repeat buyers"
    )
    print(f"  behaviorseg  BG/NBD {bg:8.3f} s   Gamma-Gamma {gg:8.3f} s")
    print("  params", model.params_.round(4).to_dict())
    reference = _lifetimes()
    if reference is None:
        print("  (lifetimes not installed: no reference timing)")
        return
    bg_fitter, gg_fitter = reference
    ref_repeats = max(1, repeats // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lbg = median_time(
            lambda: bg_fitter().fit(summary["frequency"], summary["recency"], summary["T"]),
            ref_repeats,
        )
        lgg = median_time(
            lambda: gg_fitter().fit(repeat_buyers["frequency"], repeat_buyers["monetary_value"]),
            ref_repeats,
        )
    print(f"  lifetimes    BG/NBD {lbg:8.3f} s   Gamma-Gamma {lgg:8.3f} s")
    print(f"  speed-up     BG/NBD {lbg / bg:8.1f} x   Gamma-Gamma {lgg / gg:8.1f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    # Wall times stretch with the machine's load: print it next to the figures.
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        cdnow = bs.clv_summary(
            bs.datasets.load_cdnow(), as_of="1997-09-30", freq="D", freq_multiplier=7
        )
    _report("CDNOW (39 weeks, weeks)", cdnow, repeats=3 if args.quick else 7)
    # Target: Pareto/NBD <= 0.1 s.
    _report_repeat_models("CDNOW", cdnow, repeats=3 if args.quick else 7, oracle=True)

    n = 20_000 if args.quick else 1_000_000
    start = time.perf_counter()
    tx, _ = bs.datasets.make_transactions(n, random_state=0)
    summary = bs.clv_summary(tx, freq="D")
    print(
        f"\n(simulated {len(tx):,} transactions and their summary in "
        f"{time.perf_counter() - start:.1f} s, not timed below)"
    )
    # lifetimes takes minutes on a million customers: time it on the quick size only.
    if n > 100_000:
        bg = median_time(lambda: BetaGeoModel().fit(summary), 3)
        gg = median_time(lambda: GammaGammaModel().fit(summary), 3)
        model = BetaGeoModel().fit(summary)
        print(
            f"simulated: {n:,} customers ({model.n_distinct_:,} distinct rows), days: "
            f"BG/NBD {bg:.3f} s, Gamma-Gamma {gg:.3f} s (target: BG/NBD <= 5 s)"
        )
        print("  params", model.params_.round(4).to_dict())
        # Target: Pareto/NBD <= 10 s on two cores.
        _report_repeat_models(f"simulated {n:,}", summary, repeats=3, oracle=False)
    else:
        _report(f"simulated ({n:,} customers, days)", summary, repeats=3)
        _report_repeat_models(f"simulated {n:,}", summary, repeats=3, oracle=True)
    print("load average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
