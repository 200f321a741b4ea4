"""Plots for segments, KPIs, churn, migration and models (optional: the ``plot`` extra).

Nothing inside behaviorseg imports this package, and it imports matplotlib only when a
function is called, so ``import behaviorseg`` never loads matplotlib. Every function
takes ``ax=None`` (a new figure is made when omitted) and returns the Axes.
"""

from ._segments import (
    churn_calibration,
    churn_distribution,
    churn_lift,
    funnel_chart,
    kpi_intervals,
    matrix_scatter,
    migration_heatmap,
    rfm_heatmap,
    segment_flow,
    segment_sizes,
)

__all__ = [
    "churn_calibration",
    "churn_distribution",
    "churn_lift",
    "funnel_chart",
    "kpi_intervals",
    "matrix_scatter",
    "migration_heatmap",
    "rfm_heatmap",
    "segment_flow",
    "segment_sizes",
]
