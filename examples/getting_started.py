"""Getting started, end to end on CDNOW: log → customers → segments → CLTV → report.

The code of the Getting started page (docs/getting-started.md), step for step, on the
bundled CDNOW transactions; what it prints is what the page shows. Add ``--figures`` to
write the page's figures (``docs/img/getting_started_segments.png`` and
``docs/img/getting_started_cltv.png``) from the same tables.

Run with ``python examples/getting_started.py [--figures]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg import kpi
from behaviorseg.models import BetaGeoModel, GammaGammaModel

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(figures: bool = False) -> None:
    # 1. The log: one row per purchase.
    transactions = bs.datasets.load_cdnow()
    print(transactions.head(3).to_string(), end="\n\n")

    # 2. The customer table: one row per customer.
    customers = bs.rfm_table(transactions, as_of="1998-06-30")
    print(customers.head(3).to_string(), end="\n\n")

    # 3. Segments (a BehaviorsegWarning says which frequency scores ties leave empty).
    segmenter = bs.RFMSegmenter()
    labels = segmenter.fit_predict(customers)
    customers["segment"] = pd.Categorical(labels, categories=segmenter.segments_)
    print(customers["segment"].value_counts(sort=False).to_string(), end="\n\n")

    # 4. Predictive CLTV: BG/NBD + Gamma-Gamma on the summary in weeks, 12 months ahead.
    summary = bs.clv_summary(transactions, as_of="1998-06-30", freq="D", freq_multiplier=7)
    purchases = BetaGeoModel().fit(summary)
    spend = GammaGammaModel().fit(summary)
    value = kpi.cltv(
        summary,
        method="predictive",
        transaction_model=purchases,
        spend_model=spend,
        time_unit="W",  # the summary counts time in weeks
        horizon=12,  # periods of period="M" (the default): 12 months
        discount_rate=0.01,  # per month
    )
    customers["cltv_12m"] = value["cltv"]
    print(value.head(3).round(2).to_string(), end="\n\n")

    # 5. The per-segment report, and the CLTV per segment with bootstrap intervals.
    report = kpi.segment_report(customers, segment_col="segment", cltv_col="cltv_12m")
    columns = ["customers", "share", "revenue_share", "avg_order_value", "cltv_mean"]
    print(report[columns].round(2).to_string(), end="\n\n")
    by_segment = kpi.cltv_by_segment(
        customers, segment_col="segment", cltv_col="cltv_12m", random_state=0
    )
    print(by_segment.round(2).to_string())

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import kpi_intervals, segment_sizes

        IMG.mkdir(parents=True, exist_ok=True)
        # The page's plotting block, plus a title and an axis label.
        sizes = segment_sizes(customers["segment"], revenue=customers["monetary"])
        cltv = kpi_intervals(by_segment.dropna(subset=["mean"]), "mean", "ci_low", "ci_high")
        cltv.set_xlabel("12-month CLTV per customer (mean, bootstrap 95 % interval)")
        plots = {"getting_started_segments.png": sizes, "getting_started_cltv.png": cltv}
        for name, ax in plots.items():
            ax.set_title(f"CDNOW, {len(customers):,} customers on 1998-06-30")
            ax.figure.savefig(IMG / name, dpi=110, bbox_inches="tight")
            print(f"wrote {IMG / name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write the page's figures")
    main(parser.parse_args().figures)
