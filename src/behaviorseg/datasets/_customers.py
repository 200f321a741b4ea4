"""Seeded customer tables with known behavioural segments, for clustering."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import _probabilities

__all__ = ["CUSTOMER_ARCHETYPES", "make_customers"]

#: The segments :func:`make_customers` draws from, in the order ``n_segments`` takes
#: them: name -> (median purchases, median order value, median days since the last
#: purchase, median days between purchases).
CUSTOMER_ARCHETYPES: dict[str, tuple[float, float, float, float]] = {
    "champions": (12.0, 80.0, 10.0, 30.0),
    "lapsed": (1.5, 25.0, 400.0, 60.0),
    "newcomers": (1.2, 40.0, 12.0, 10.0),
    "big spenders": (2.5, 300.0, 90.0, 120.0),
    "loyal bargain hunters": (10.0, 15.0, 20.0, 25.0),
    "at risk": (6.0, 50.0, 200.0, 40.0),
}

#: Spread of every measure around its segment's median, sd on the log scale, at
#: ``separation=1``.
_LOG_SD = 0.35


def make_customers(
    n_customers: int = 1000,
    *,
    n_segments: int = 4,
    random_state: int | np.random.Generator | None = None,
    separation: float = 1.0,
    segment_probs: Sequence[float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate an RFM customer table with known behavioural segments.

    Each customer belongs to one of the first ``n_segments`` archetypes of
    :data:`CUSTOMER_ARCHETYPES` (champions, lapsed, newcomers, big spenders, loyal
    bargain hunters, at risk) and draws, around the archetype's medians, log-normal
    measures as real RFM data has them — skewed, and correlated within a customer:

    - purchases ``frequency = max(1, round(F))`` with ``log F ~ N(log f, s)``;
    - order value ``log a ~ N(log a0, s)``; ``monetary = frequency * a`` times a
      small log-normal noise (sd ``s / 4``), so frequency and spend go together;
    - ``recency_days ~ exp(N(log r, s))``, at most 730;
    - ``tenure_days = recency_days + (frequency - 1) * gap`` with
      ``log gap ~ N(log g, s)``: regulars have been customers for longer.

    ``s = 0.35 / separation``: a larger ``separation`` gives tighter, better
    separated segments (2 gives near-perfectly separable data).

    Parameters
    ----------
    n_customers : int
        Number of customers.
    n_segments : int
        Number of segments, 2 to 6 (the first archetypes, in the order above).
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    separation : float
        Positive number dividing the within-segment spread (see above).
    segment_probs : sequence of float or None
        Probabilities of the segments; default equal.

    Returns
    -------
    customers : DataFrame
        Indexed by ``customer_id`` (1..n_customers), with the columns of
        :func:`behaviorseg.summaries.rfm_table`: ``recency_days`` (float, days
        since the last purchase), ``frequency`` (int, purchases), ``monetary``
        (float, total spend), ``avg_order_value`` (float) and ``tenure_days``
        (float, days since the first purchase).
    truth : DataFrame
        Indexed by ``customer_id``: ``segment`` (categorical, the archetype
        names in the order above).

    Examples
    --------
    >>> from behaviorseg.datasets import make_customers
    >>> customers, truth = make_customers(500, n_segments=3, random_state=0)
    >>> list(customers.columns)
    ['recency_days', 'frequency', 'monetary', 'avg_order_value', 'tenure_days']
    >>> truth["segment"].cat.categories.tolist()
    ['champions', 'lapsed', 'newcomers']
    >>> bool((customers["tenure_days"] >= customers["recency_days"]).all())
    True
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)):
        raise ValueError(f"n_customers={n_customers!r} must be an integer >= 1")
    if n_customers < 1:
        raise ValueError(f"n_customers={n_customers!r} must be an integer >= 1")
    if (
        isinstance(n_segments, bool)
        or not isinstance(n_segments, (int, np.integer))
        or not 2 <= n_segments <= len(CUSTOMER_ARCHETYPES)
    ):
        raise ValueError(
            f"n_segments={n_segments!r} must be an integer from 2 to {len(CUSTOMER_ARCHETYPES)}"
        )
    if not (isinstance(separation, (int, float)) and np.isfinite(separation) and separation > 0):
        raise ValueError(f"separation={separation!r} must be a positive number")
    n, k = int(n_customers), int(n_segments)
    probs = _probabilities(segment_probs, k, np.full(k, 1.0 / k), "segment_probs")
    names = list(CUSTOMER_ARCHETYPES)[:k]
    table = np.array([CUSTOMER_ARCHETYPES[name] for name in names])  # (k, 4)
    rng = np.random.default_rng(random_state)
    sd = _LOG_SD / float(separation)

    kind = rng.choice(k, size=n, p=probs)
    f_med, aov_med, recency_med, gap_med = (table[kind, j] for j in range(4))
    frequency = np.maximum(1, np.round(f_med * np.exp(rng.normal(0.0, sd, n)))).astype(np.int64)
    aov = aov_med * np.exp(rng.normal(0.0, sd, n))
    monetary = np.round(frequency * aov * np.exp(rng.normal(0.0, sd / 4, n)), 2)
    recency = np.round(np.minimum(recency_med * np.exp(rng.normal(0.0, sd, n)), 730.0), 1)
    gap = gap_med * np.exp(rng.normal(0.0, sd, n))
    tenure = np.round(recency + (frequency - 1) * gap, 1)

    index = pd.Index(np.arange(1, n + 1), name="customer_id")
    customers = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": np.round(monetary / frequency, 2),
            "tenure_days": tenure,
        },
        index=index,
    )
    truth = pd.DataFrame(
        {"segment": pd.Categorical.from_codes(kind, dtype=pd.CategoricalDtype(names))},
        index=index,
    )
    return customers, truth
