"""RFM segments and their KPIs on an online-retail order log.

By default the log is simulated with ``datasets.make_transactions`` (a year of orders of
5,000 customers; the package cannot ship the UCI file). Pass the path of the UCI "Online
Retail" invoice table (columns ``customer_id``, ``invoice_no``, ``date``, ``amount``, one
row per invoice, e.g. ``../shared/data/online_retail/online_retail_invoices.csv``) to run
on the real data instead.

Steps: order log → ``rfm_table`` → ``RFMSegmenter`` → ``kpi.segment_report`` (size,
revenue share, order value) → predictive CLTV (BG/NBD + Gamma-Gamma on ``clv_summary``,
12 months, 1 % per month) → ``kpi.cltv_by_segment`` with bootstrap intervals.

Run with ``python examples/online_retail_rfm.py [invoices.csv]``; add ``--figures`` to
write the figures used in the docs (``docs/img/rfm_heatmap.png``,
``docs/img/segment_sizes.png``, ``docs/img/cltv_by_segment.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg import kpi
from behaviorseg.exceptions import BehaviorsegWarning, RowsExcludedWarning
from behaviorseg.models import BetaGeoModel, GammaGammaModel

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def load(path: str | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The order log and the rfm_table column arguments for it."""
    if path is None:
        tx, _ = bs.datasets.make_transactions(
            5000, random_state=7, n_days=365, acquisition_days=365
        )
        return tx, {}
    invoices = pd.read_csv(path, dtype={"invoice_no": str})
    invoices["date"] = pd.to_datetime(invoices["date"], format="%Y-%m-%d %H:%M:%S")
    return invoices, {"time_col": "date", "order_col": "invoice_no"}


def main(path: str | None, figures: bool) -> None:
    tx, columns = load(path)
    print(f"{len(tx):,} orders of {tx['customer_id'].nunique():,} customers\n")

    customers = bs.rfm_table(tx, **columns)
    segmenter = bs.RFMSegmenter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)  # ties: reported in the guide
        labels = segmenter.fit_predict(customers)
    customers["segment"] = pd.Categorical(labels, categories=segmenter.segments_)

    # Predictive CLTV: the buy-till-you-die summary in weeks, counted in days.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        summary = bs.clv_summary(
            tx, time_col=columns.get("time_col", "timestamp"), freq="D", freq_multiplier=7
        )
    summary = summary[(summary["frequency"] == 0) | (summary["monetary_value"] > 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)  # flat likelihood on real logs
        transactions = BetaGeoModel().fit(summary)
        spend = GammaGammaModel().fit(summary)
    value = kpi.cltv(
        summary,
        method="predictive",
        transaction_model=transactions,
        spend_model=spend,
        time_unit="W",
        horizon=12,
        discount_rate=0.01,
    )
    customers["cltv_12m"] = value["cltv"].reindex(customers.index)

    report = kpi.segment_report(customers, segment_col="segment", cltv_col="cltv_12m")
    print("Segment report:")
    print(report.round(2).to_string(), "\n")

    known = customers.dropna(subset=["cltv_12m"])
    by_segment = kpi.cltv_by_segment(
        known, segment_col="segment", cltv_col="cltv_12m", random_state=0
    )
    print("12-month CLTV per segment (bootstrap 95 % interval of the mean):")
    print(by_segment.round(2).to_string())

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import kpi_intervals, rfm_heatmap, segment_sizes

        IMG.mkdir(parents=True, exist_ok=True)
        features = customers[list(segmenter.feature_names_in_)]
        plots = {
            "rfm_heatmap.png": rfm_heatmap(segmenter.transform(features), n_bins=5),
            "segment_sizes.png": segment_sizes(customers["segment"], revenue=customers["monetary"]),
            "cltv_by_segment.png": kpi_intervals(
                by_segment.dropna(subset=["mean"]),
                "mean",
                "ci_low",
                "ci_high",
                xlabel="12-month CLTV (mean, bootstrap 95 % interval)",
            ),
        }
        for name, ax in plots.items():
            ax.figure.savefig(IMG / name, dpi=110, bbox_inches="tight")
            print(f"wrote {IMG / name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invoices", nargs="?", help="UCI Online Retail invoice table (CSV)")
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    args = parser.parse_args()
    main(args.invoices, args.figures)
