"""Plots for segments, KPIs, churn, migration and models (optional: the ``plot`` extra).

Nothing inside behaviorseg imports this package, and it imports matplotlib only when a
function is called, so ``import behaviorseg`` never loads matplotlib. Every function
takes ``ax=None`` (a new figure is made when omitted) and returns the Axes.

One private module per family: ``_segments`` (RFM grid, segment sizes, 2x2
quadrants), ``_kpi`` (funnel, KPI intervals), ``_churn`` (churn scores),
``_migration`` (migration matrix, flows), ``_cohorts`` (cohort retention),
``_models`` (diagnostics of the repeat-buying models), ``_retention`` (survival and
retention curves of the contractual models); ``_common`` holds what they share.
"""

from ._churn import churn_calibration, churn_distribution, churn_lift
from ._cohorts import cohort_heatmap
from ._kpi import funnel_chart, kpi_intervals
from ._migration import migration_heatmap, segment_flow
from ._models import (
    calibration_holdout_purchases,
    expected_purchases_heatmap,
    probability_alive_heatmap,
    repeat_purchase_distribution,
    tracking_curve,
)
from ._retention import derl_by_tenure, retention_curve, survival_curve
from ._segments import matrix_scatter, rfm_heatmap, segment_sizes

__all__ = [
    "calibration_holdout_purchases",
    "churn_calibration",
    "churn_distribution",
    "churn_lift",
    "cohort_heatmap",
    "derl_by_tenure",
    "expected_purchases_heatmap",
    "funnel_chart",
    "kpi_intervals",
    "matrix_scatter",
    "migration_heatmap",
    "probability_alive_heatmap",
    "repeat_purchase_distribution",
    "retention_curve",
    "rfm_heatmap",
    "segment_flow",
    "segment_sizes",
    "survival_curve",
    "tracking_curve",
]
