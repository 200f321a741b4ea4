"""Cohort retention on a simulated purchase log.

Simulates purchases with ``datasets.make_transactions`` (customers acquired over the
year 2024), groups the customers by the month of their first purchase and prints
the share of each cohort buying again in each later month.

Run with ``python examples/cohorts.py``; add ``--figures`` to write the cohort
heatmap used in the docs (``docs/img/cohort_retention.png``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import behaviorseg as bs
from behaviorseg.kpi import cohort_retention

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(figures: bool = False) -> None:
    tx, _ = bs.datasets.make_transactions(5000, n_days=366, acquisition_days=365, random_state=7)
    print(f"{len(tx):,} purchases of {tx['customer_id'].nunique():,} customers\n")

    table = cohort_retention(tx, period="M")
    shares = table["share"].unstack("offset")
    print("Share of each monthly cohort active k months after its first purchase:")
    print(shares.round(2).to_string())

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import cohort_heatmap

        ax = cohort_heatmap(table)
        IMG.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(IMG / "cohort_retention.png", dpi=110, bbox_inches="tight")
        print(f"\nwrote {IMG / 'cohort_retention.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures", action="store_true", help="write docs/img/cohort_retention.png"
    )
    main(parser.parse_args().figures)
