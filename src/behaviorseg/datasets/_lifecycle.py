"""Seeded generator of purchase histories with a known lifecycle status per customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..summaries._lifecycle import LIFECYCLE_STATUSES
from ._common import _probabilities

__all__ = ["make_lifecycle_transactions"]

#: Days since the last purchase, in multiples of the customer's rhythm, per status
#: (new is drawn apart): on time, overdue, far overdue, and back on time.
_RECENCY_BANDS = {
    "active": (0.0, 1.1),
    "reactivated": (0.0, 1.1),
    "at risk": (1.9, 2.3),
    "lapsed": (4.0, 8.0),
}
#: The gap before a reactivated customer's last purchase, in rhythms.
_LAPSE_BAND = (5.0, 10.0)


def make_lifecycle_transactions(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    as_of: Any = "2024-12-31",
    status_probs: Sequence[float] | None = None,
    gap_days: tuple[float, float] = (15.0, 45.0),
    gap_jitter: float = 0.2,
    purchases: tuple[int, int] = (4, 10),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate purchase histories whose lifecycle status at ``as_of`` is known.

    Each customer gets a true status (drawn from ``status_probs``) and a
    personal rhythm ``g`` (uniform in ``gap_days``). Customers other than new
    make ``purchases`` regular purchases (a uniform count) separated by gaps of
    ``g`` times a uniform factor in ``[1 - gap_jitter, 1 + gap_jitter]``, and
    their last purchase is this long before ``as_of``:

    - ``active``: 0 to 1.1 rhythms;
    - ``at risk``: 1.9 to 2.3 rhythms;
    - ``lapsed``: 4 to 8 rhythms;
    - ``reactivated``: a last purchase 0 to 1.1 rhythms ago, after a gap of 5
      to 10 rhythms (a lapse) that follows the regular history.

    ``new`` customers made their first purchase 1 to 27 days before ``as_of``
    and one or two purchases in all. With the defaults the bands keep clear of
    the default thresholds of :class:`~behaviorseg.segmenters.LifecycleSegmenter`
    (new within 30 days, at risk beyond 1.5 rhythms, lapsed beyond 3), so the
    segmenter can recover every status exactly; a larger ``gap_jitter`` or a
    shorter rhythm blurs the boundaries.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    as_of : date-like
        The date at which the statuses hold; every purchase is before it.
    status_probs : sequence of float or None
        Probabilities of the statuses in the order of
        :data:`behaviorseg.summaries.LIFECYCLE_STATUSES` (new, active,
        reactivated, at risk, lapsed). Default ``(0.1, 0.3, 0.1, 0.2, 0.3)``.
    gap_days : tuple of float
        Range of the personal rhythms in days (low >= 1).
    gap_jitter : float
        Relative spread of each gap around the rhythm, in [0, 0.9).
    purchases : tuple of int
        Range (inclusive) of the number of regular purchases, at least 3.

    Returns
    -------
    transactions : DataFrame
        One row per purchase, sorted by time then customer: ``customer_id``
        (int, 1..n_customers), ``timestamp`` (datetime64, second resolution),
        ``amount`` (float, dollars).
    truth : DataFrame
        Indexed by ``customer_id``: ``status`` (categorical in lifecycle order)
        and ``rhythm_days`` (the personal rhythm ``g``).

    Examples
    --------
    >>> from behaviorseg.datasets import make_lifecycle_transactions
    >>> tx, truth = make_lifecycle_transactions(200, random_state=0)
    >>> list(tx.columns)
    ['customer_id', 'timestamp', 'amount']
    >>> truth["status"].cat.categories.tolist()
    ['new', 'active', 'reactivated', 'at risk', 'lapsed']
    >>> bool((tx["timestamp"] < "2024-12-31").all())
    True
    """
    if isinstance(n_customers, bool) or int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    low, high = (float(v) for v in gap_days)
    if not (1.0 <= low <= high and np.isfinite(high)):
        raise ValueError(f"gap_days={gap_days!r} must be (low, high) days with 1 <= low <= high")
    if not (np.isfinite(gap_jitter) and 0.0 <= gap_jitter < 0.9):
        raise ValueError(f"gap_jitter={gap_jitter!r} must be in [0, 0.9)")
    fewest, most = (int(v) for v in purchases)
    if not 3 <= fewest <= most:
        raise ValueError(
            f"purchases={purchases!r} must be (low, high) counts with 3 <= low <= high"
        )
    k = len(LIFECYCLE_STATUSES)
    probs = _probabilities(status_probs, k, np.array([0.1, 0.3, 0.1, 0.2, 0.3]), "status_probs")
    rng = np.random.default_rng(random_state)
    n = int(n_customers)
    names = np.asarray(LIFECYCLE_STATUSES, dtype=object)

    status = rng.choice(k, size=n, p=probs)
    is_new = names[status] == "new"
    back = names[status] == "reactivated"
    rhythm = rng.uniform(low, high, n)
    band = np.array([_RECENCY_BANDS.get(name, (0.0, 0.0)) for name in LIFECYCLE_STATUSES])
    recency = rhythm * rng.uniform(band[status, 0], band[status, 1])
    # New customers: first purchase 1-27 days ago, a second one in between for 30 %.
    tenure_new = rng.uniform(1.0, 27.0, n)
    second = rng.uniform(0.0, 1.0, n) < 0.3
    recency_new = np.where(second, tenure_new * rng.uniform(0.0, 1.0, n), tenure_new)
    recency = np.where(is_new, recency_new, recency)

    n_purchases = np.where(is_new, 1 + second, rng.integers(fewest, most + 1, n) + back)
    n_gaps = n_purchases - 1
    owner = np.repeat(np.arange(n), n_gaps)
    starts = np.cumsum(n_gaps) - n_gaps
    position = np.arange(owner.size) - starts[owner]  # 0 = the gap before the last purchase
    gaps = rhythm[owner] * rng.uniform(1 - gap_jitter, 1 + gap_jitter, owner.size)
    lapse = back[owner] & (position == 0)
    gaps[lapse] = rhythm[owner[lapse]] * rng.uniform(*_LAPSE_BAND, int(lapse.sum()))
    gaps = np.where(is_new[owner], (tenure_new - recency)[owner], gaps)
    total = np.concatenate([[0.0], np.cumsum(gaps)])
    within = total[1:] - total[starts][owner]  # days from the last purchase back
    ages = np.concatenate([recency, recency[owner] + within])  # days before as_of
    buyer = np.concatenate([np.arange(n), owner])

    stamp = pd.Timestamp(as_of)
    seconds = np.maximum(np.ceil(ages * 86_400), 1).astype(np.int64)
    tx = pd.DataFrame(
        {
            "customer_id": buyer + 1,
            "timestamp": stamp - pd.to_timedelta(seconds, unit="s"),
            "amount": np.round(rng.gamma(2.0, 20.0, buyer.size), 2),
        }
    )
    tx = tx.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)
    truth = pd.DataFrame(
        {
            "status": pd.Categorical.from_codes(
                status, dtype=pd.CategoricalDtype(list(LIFECYCLE_STATUSES))
            ),
            "rhythm_days": rhythm,
        },
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return tx, truth
