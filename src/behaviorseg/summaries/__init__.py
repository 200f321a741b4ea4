"""Summaries: event logs in, one row per customer out.

Pure functions (nothing is learned): each takes a log with one row per purchase or
event and returns a DataFrame indexed by customer id, with exact, documented
semantics. They are the first stage of the flow; segmenters and models read their
output.
"""

from ._brands import brand_table
from ._categories import category_table
from ._churn import churn_labels
from ._engagement import DEFAULT_ENGAGEMENT_WEIGHTS, ENGAGEMENT_SEGMENTS, engagement_table
from ._events import AIDA_STAGES, funnel_table, usage_table
from ._holdout import calibration_holdout_split
from ._lifecycle import LIFECYCLE_STATUSES, lifecycle_table
from ._occasions import (
    HOUR_BANDS,
    OCCASION_SEGMENTS,
    RETAIL_OCCASIONS,
    SEASONS,
    occasion_table,
    retail_calendar,
)
from ._sessions import session_table, split_sessions
from ._subscriptions import SUBSCRIPTION_PERIODS, subscription_table, tenures_from_survivors
from ._transactions import clv_summary, rfm_table

__all__ = [
    "AIDA_STAGES",
    "DEFAULT_ENGAGEMENT_WEIGHTS",
    "ENGAGEMENT_SEGMENTS",
    "HOUR_BANDS",
    "LIFECYCLE_STATUSES",
    "OCCASION_SEGMENTS",
    "RETAIL_OCCASIONS",
    "SEASONS",
    "SUBSCRIPTION_PERIODS",
    "brand_table",
    "calibration_holdout_split",
    "category_table",
    "churn_labels",
    "clv_summary",
    "engagement_table",
    "funnel_table",
    "lifecycle_table",
    "occasion_table",
    "retail_calendar",
    "rfm_table",
    "session_table",
    "split_sessions",
    "subscription_table",
    "tenures_from_survivors",
    "usage_table",
]
