"""Data sets: ``load_*`` bundled real data, ``make_*`` seeded generators with ground truth."""

from ._customers import make_customers
from ._engagement import make_engagement_events
from ._events import make_events
from ._lifecycle import make_lifecycle_transactions
from ._loaders import load_cdnow
from ._matrix import make_brand_events, make_loyalty_customers
from ._occasions import make_benefit_survey, make_occasion_transactions
from ._subscriptions import load_donations, make_opportunity_histories, make_subscriptions
from ._transactions import make_transactions

__all__ = [
    "load_cdnow",
    "load_donations",
    "make_benefit_survey",
    "make_brand_events",
    "make_customers",
    "make_engagement_events",
    "make_events",
    "make_lifecycle_transactions",
    "make_loyalty_customers",
    "make_occasion_transactions",
    "make_opportunity_histories",
    "make_subscriptions",
    "make_transactions",
]
