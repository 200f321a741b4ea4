"""Churn on CDNOW with a holdout: calibrate on weeks 1-39, score weeks 40-78.

Both routes of ChurnSegmenter are compared on the same question: "will this customer
make no purchase in the 39-week holdout?" The probabilistic route (BG/NBD, no labels)
is fitted on the calibration summary; the supervised route is trained on an earlier,
non-overlapping cutoff so that no holdout information reaches it.

Run with ``python examples/churn_cdnow.py``; add ``--figures`` to write the churn figures
used in the docs (``docs/img/churn_*.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.segmenters import ChurnSegmenter
from behaviorseg.summaries import churn_labels

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT = pd.Timedelta(weeks=39)


IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(figures: bool = False) -> None:
    tx = bs.datasets.load_cdnow()
    warnings.simplefilter("ignore", RowsExcludedWarning)  # rows after the cutoffs, by design

    # Holdout question, for every customer of the cohort (all bought by 1997-03-25).
    holdout = churn_labels(tx, cutoff=CALIBRATION_END, horizon=HOLDOUT)
    y_true = holdout["churned"].to_numpy()
    print(f"{len(holdout)} customers; {y_true.mean():.1%} make no purchase in weeks 40-78\n")

    results: dict[str, float] = {}

    # Supervised route: train on an earlier cutoff whose label window ends at the calibration end.
    train = churn_labels(tx, cutoff=CALIBRATION_END - HOLDOUT / 2, horizon=HOLDOUT / 2)
    supervised = ChurnSegmenter(method="supervised", random_state=0).fit(
        train.drop(columns="churned"), train["churned"]
    )
    p_supervised = supervised.predict_proba(holdout.drop(columns="churned"))[:, 1]
    results["supervised (gradient boosting on RFM)"] = roc_auc_score(y_true, p_supervised)

    # Baseline: days since the last purchase alone.
    results["baseline: recency_days"] = roc_auc_score(y_true, holdout["recency_days"])

    # Probabilistic route: BG/NBD on the calibration summary (weeks), no labels.
    summary = bs.clv_summary(tx, as_of=CALIBRATION_END, freq="D", freq_multiplier=7)
    alive_route = ChurnSegmenter(method="probabilistic").fit(summary)
    p_alive = alive_route.predict_proba(summary.loc[holdout.index])[:, 1]
    results["probabilistic: 1 - P(alive)"] = roc_auc_score(y_true, p_alive)
    # The same model asked the holdout's question: P(no purchase in the next 39 weeks).
    quiet_route = ChurnSegmenter(method="probabilistic", horizon=39.0).fit(summary)
    p_quiet = quiet_route.predict_proba(summary.loc[holdout.index])[:, 1]
    results["probabilistic: P(no purchase in 39 wk)"] = roc_auc_score(y_true, p_quiet)

    # BG/NBD predicted vs actual holdout purchases (repeat purchase days), by calibration
    # frequency: the conditional-expectation check of Fader, Hardie & Lee (2005, fig. 4).
    expected = alive_route.model_.expected_purchases(summary, t=39)
    actual = (
        tx[(tx["timestamp"] > CALIBRATION_END)]
        .assign(day=lambda d: d["timestamp"].dt.normalize())
        .drop_duplicates(["customer_id", "day"])
        .groupby("customer_id")
        .size()
        .reindex(summary.index, fill_value=0)
    )
    by_frequency = (
        pd.DataFrame(
            {
                "calibration purchases": summary["frequency"].clip(upper=7),
                "actual": actual,
                "predicted": expected,
            }
        )
        .groupby("calibration purchases")
        .agg(
            customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
        )
        .rename(index={7: "7+"})
    )
    print("BG/NBD: mean holdout purchases per customer by calibration repeat purchases")
    print(by_frequency.round(2).to_string())
    print(
        f"total: predicted {float(np.sum(expected)):,.0f}, actual {int(actual.sum()):,}; "
        f"mean absolute error per customer {float(np.mean(np.abs(expected - actual))):.3f}\n"
    )

    print("ROC AUC for 'no purchase in the holdout':")
    for name, auc in results.items():
        print(f"  {name:<40} {auc:.3f}")
    tiers = pd.Series(
        supervised.predict(holdout.drop(columns="churned")), index=holdout.index, name="tier"
    )
    table = pd.crosstab(tiers, holdout["churned"], margins=True).reindex(
        [*supervised.segments_, "All"]
    )
    print("\nSupervised risk tiers vs holdout outcome (churned = no purchase):")
    print(table)

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import churn_calibration, churn_distribution, churn_lift

        IMG.mkdir(parents=True, exist_ok=True)
        ax = churn_distribution(p_quiet, segmenter=quiet_route)
        ax.set_title("CDNOW: P(no purchase in the next 39 weeks), BG/NBD")
        ax.figure.savefig(IMG / "churn_distribution.png", dpi=110, bbox_inches="tight")
        ax = churn_calibration(y_true, p_quiet)
        ax.set_title("CDNOW holdout: calibration of the BG/NBD churn score")
        ax.figure.savefig(IMG / "churn_calibration.png", dpi=110, bbox_inches="tight")
        ax = churn_lift(y_true, p_quiet)
        ax.figure.savefig(IMG / "churn_lift.png", dpi=110, bbox_inches="tight")
        print(f"\nwrote the churn distribution, calibration and lift figures to {IMG}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write the churn figures")
    main(parser.parse_args().figures)
