"""Choose a repeat-buying model with evidence: fit, holdout and tracking, on CDNOW.

BG/NBD, MBG/NBD and Pareto/NBD are fitted on the same 39-week calibration of CDNOW and
compared (``models.compare_models``): log-likelihood, AIC, BIC, the per-customer holdout
errors over weeks 40-78, the error on the total holdout transactions and on the weekly
tracking curve. Pass the path of the UCI "Online Retail" invoice table (columns
``customer_id``, ``invoice_no``, ``date``, ``amount``, e.g.
``../shared/data/online_retail/online_retail_invoices.csv``) to compare them on it too
(calibration to 2011-09-09, a 13-week holdout to 2011-12-09; the Pareto/NBD fit of this
log takes about a minute).

Run with ``python examples/model_diagnostics.py [invoices.csv]``; add ``--figures`` to
write the diagnostic figures of the docs (``docs/img/models_*.png``, CDNOW).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg.exceptions import BehaviorsegWarning, RowsExcludedWarning
from behaviorseg.models import BetaGeoModel, compare_models, purchase_tracking

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
CDNOW = {"calibration_end": "1997-09-30", "as_of": "1998-06-30"}
ONLINE_RETAIL = {"calibration_end": "2011-09-09", "as_of": "2011-12-09"}
#: The calibration columns of a calibration_holdout_split table, for a model's fit.
CAL = {"frequency_col": "frequency_cal", "recency_col": "recency_cal", "T_col": "T_cal"}


def compare(tx: pd.DataFrame, windows: dict[str, str], **columns: str) -> pd.DataFrame:
    """The comparison table of the three models, in weeks counted in days."""
    split = bs.calibration_holdout_split(tx, **windows, freq_multiplier=7, **columns)
    tracking = purchase_tracking(tx, **windows, freq_multiplier=7, **columns)
    print(
        f"{len(split):,} customers; {int(split['frequency_cal'].sum()):,} calibration and "
        f"{int(split['frequency_holdout'].sum()):,} holdout repeat transactions "
        f"({split['duration_holdout'].iloc[0]:.0f} weeks)"
    )
    table = compare_models(split, tracking=tracking)
    with pd.option_context("display.width", 120):
        print(table.round(3).to_string())
    return table


def figures(tx: pd.DataFrame) -> None:
    """Write the CDNOW diagnostic figures to docs/img."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from behaviorseg.plotting import (
        calibration_holdout_purchases,
        expected_purchases_heatmap,
        probability_alive_heatmap,
        repeat_purchase_distribution,
        tracking_curve,
    )

    split = bs.calibration_holdout_split(tx, **CDNOW, freq_multiplier=7)
    tracking = purchase_tracking(tx, **CDNOW, freq_multiplier=7)
    model = BetaGeoModel(**CAL).fit(split)
    IMG.mkdir(parents=True, exist_ok=True)

    def save(ax: object, name: str) -> None:
        ax.figure.savefig(IMG / name, dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
        plt.close(ax.figure)  # type: ignore[attr-defined]

    T = float(split["T_cal"].max())  # the first week's customers: 38.86 weeks old
    save(probability_alive_heatmap(model, T, max_frequency=20), "models_probability_alive.png")
    save(
        expected_purchases_heatmap(model, 39, T, max_frequency=20),
        "models_expected_purchases.png",
    )
    save(repeat_purchase_distribution(model, split), "models_repeat_purchases.png")
    save(calibration_holdout_purchases(model, split), "models_calibration_holdout.png")
    _, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8), layout="constrained")
    tracking_curve(model, tracking, ax=top)
    tracking_curve(model, tracking, cumulative=False, ax=bottom)
    save(top, "models_tracking.png")
    print(f"\nwrote the model diagnostic figures to {IMG}")


def main(path: str | None, draw: bool) -> None:
    warnings.simplefilter("ignore", RowsExcludedWarning)  # rows after as_of, by design
    tx = bs.datasets.load_cdnow()
    print("CDNOW: calibration weeks 1-39, holdout weeks 40-78")
    compare(tx, CDNOW)
    if path is not None:
        invoices = pd.read_csv(path, dtype={"invoice_no": str})
        print("\nOnline Retail: calibration to 2011-09-09, holdout to 2011-12-09")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BehaviorsegWarning)  # a parameter on its bound
            compare(invoices, ONLINE_RETAIL, time_col="date")
    if draw:
        figures(tx)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invoices", nargs="?", help="the Online Retail invoice table (CSV)")
    parser.add_argument("--figures", action="store_true", help="write the figures")
    arguments = parser.parse_args()
    main(arguments.invoices, arguments.figures)
