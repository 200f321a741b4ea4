"""Quick start: segment the bundled CDNOW customers with RFM and summarise each segment.

Run with ``python examples/quickstart.py`` after ``pip install .``.
"""

from __future__ import annotations

import warnings

import pandas as pd

import behaviorseg as bs
from behaviorseg.exceptions import BehaviorsegWarning


def main() -> None:
    # 1. Event log: one row per purchase (CDNOW sample, 1997-01-01 .. 1998-06-30).
    transactions = bs.datasets.load_cdnow()

    # 2. Customer table: one row per customer.
    customers = bs.rfm_table(transactions, as_of="1998-06-30")

    # 3. Segments. Most CDNOW customers bought once, so frequency has heavy ties;
    #    the segmenter says which scores stay empty (equal values get equal scores).
    segmenter = bs.RFMSegmenter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BehaviorsegWarning)
        customers["segment"] = pd.Categorical(
            segmenter.fit_predict(customers), categories=segmenter.segments_
        )
    for warning in caught:
        print(f"note: {warning.message}")

    # 4. Segment sizes and a per-segment summary table.
    sizes = customers["segment"].value_counts(sort=False)
    print(f"\n{len(customers)} customers in {int((sizes > 0).sum())} segments\n")
    summary = customers.groupby("segment", observed=False).agg(
        customers=("frequency", "size"),
        recency_days=("recency_days", "mean"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
        revenue=("monetary", "sum"),
    )
    summary.insert(1, "share", summary["customers"] / summary["customers"].sum())
    summary["revenue_share"] = summary["revenue"] / summary["revenue"].sum()
    with pd.option_context(
        "display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.2f}".format
    ):
        print(summary)


if __name__ == "__main__":
    main()
