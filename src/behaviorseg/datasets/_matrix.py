"""Seeded generators with known 2×2 quadrants: Assael buying behaviour, Walker loyalty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..segmenters.assael import ASSAEL_SEGMENTS
from ..segmenters.walker import LOYALTY_SEGMENTS
from ._common import _probabilities

__all__ = ["make_brand_events", "make_loyalty_customers"]

# Per buying behaviour (complex, dissonance-reducing, habitual, variety-seeking):
_HIGH_INVOLVEMENT = np.array([True, True, False, False])
_SIGNIFICANT = np.array([True, False, False, True])
_REPEAT_PURCHASES = np.array([1.0, 1.0, 6.0, 6.0])  # Poisson mean of purchases after the first
_VIEWS = np.array([10.0, 8.0, 0.4, 0.8])  # Poisson mean of views in a purchase's journey
_CONSIDER_DAYS = np.array([20.0, 4.0, 0.3, 0.5])  # mean days from the first view to the buy
_PRICE_LEVEL = np.array([250.0, 250.0, 12.0, 12.0])  # median price level of a customer

# NPS answers (0..10) and CSAT answers (1..5) of customers with a high / low attitude.
_NPS_HIGH = np.array([0, 0, 0, 0, 0, 0, 0, 0.05, 0.10, 0.35, 0.50])
_NPS_LOW = np.array([0.04, 0.04, 0.05, 0.07, 0.08, 0.10, 0.14, 0.18, 0.24, 0.04, 0.02])
_CSAT_HIGH = np.array([0.0, 0.02, 0.08, 0.35, 0.55])
_CSAT_LOW = np.array([0.15, 0.25, 0.35, 0.20, 0.05])


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be an integer >= 1")
    return int(value)


def _within(owner: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` within runs of equal, sorted ``owner``."""
    total = np.cumsum(values)
    first = np.searchsorted(owner, owner, side="left")
    out: np.ndarray = total - np.r_[0, total][first]
    return out


def make_brand_events(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    start: Any = "2024-01-01",
    n_days: int = 365,
    type_probs: Sequence[float] | None = None,
    n_brands: int = 8,
    browsing_views: float = 3.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a shop's view + purchase log with brands, for known Assael buying behaviours.

    Each customer gets a true buying behaviour (``type_probs``, in the order
    complex, dissonance-reducing, habitual, variety-seeking) and behaves as the
    textbook describes it (Assael 1987; Kotler & Armstrong, *Principles of
    Marketing*), with noise:

    ===================  =========  ============  ===============  =========================
    behaviour            purchases  views/journey consideration    brand choice
    ===================  =========  ============  ===============  =========================
    complex              1 + P(1)   P(10), 4      20 days          preferred brand (90 %),
                                    brands                         premium price
    dissonance-reducing  1 + P(1)   P(8), any     4 days           the cheapest item viewed
                                    brand                          ("a good price")
    habitual             1 + P(6)   P(0.4)        0.3 days         usual brand (90 %)
    variety-seeking      1 + P(6)   P(0.8)        0.5 days         another brand than last
                                                                   time (80 %)
    ===================  =========  ============  ===============  =========================

    Consideration times are Gamma(2) with the mean shown; a journey's views fall
    between its first view and the purchase. Every customer has a personal price
    level (log-normal, sd 1 on the log scale, median 250 for the two
    high-involvement behaviours and 12 for the others); viewed items cost the
    level times a log-normal factor (sd 0.25). On top, every customer logs
    ``Poisson(browsing_views)`` views at random times, brands and prices, which
    blur the journeys as real browsing does.

    Parameters
    ----------
    n_customers : int
        Number of customers (each buys at least once).
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    start : date-like
        First day of the window.
    n_days : int
        Length of the window in days (at least 60); purchases fall in its last
        ``n_days - 30`` days, so that journeys fit.
    type_probs : sequence of 4 float or None
        Probabilities of the four behaviours; default equal.
    n_brands : int
        Number of brands (at least 2).
    browsing_views : float
        Mean number of background views per customer.

    Returns
    -------
    events : DataFrame
        One row per event, sorted by time then customer: ``customer_id`` (int,
        1..n_customers), ``timestamp`` (datetime64, second resolution), ``event``
        (``"view"`` or ``"purchase"``), ``brand`` (str), ``price`` (float).
    truth : DataFrame
        Indexed by ``customer_id``: ``buying_behavior`` (categorical, the four
        names of :data:`~behaviorseg.segmenters.assael.ASSAEL_SEGMENTS`),
        ``involvement`` (``"high"``/``"low"``), ``brand_differences``
        (``"significant"``/``"few"``), ``price_level`` (float).

    Examples
    --------
    >>> from behaviorseg.datasets import make_brand_events
    >>> events, truth = make_brand_events(200, random_state=0)
    >>> list(events.columns)
    ['customer_id', 'timestamp', 'event', 'brand', 'price']
    >>> truth["buying_behavior"].cat.categories.tolist()
    ['complex', 'dissonance-reducing', 'habitual', 'variety-seeking']
    """
    n = _check_count(n_customers, "n_customers")
    days = _check_count(n_days, "n_days")
    if days < 60:
        raise ValueError(f"n_days={n_days!r} must be at least 60")
    n_b = _check_count(n_brands, "n_brands")
    if n_b < 2:
        raise ValueError(f"n_brands={n_brands!r} must be at least 2")
    if not (np.isfinite(browsing_views) and browsing_views >= 0):
        raise ValueError(f"browsing_views={browsing_views!r} must be a number >= 0")
    probs = _probabilities(type_probs, 4, np.full(4, 0.25), "type_probs")
    rng = np.random.default_rng(random_state)

    kind = rng.choice(4, size=n, p=probs)
    level = _PRICE_LEVEL[kind] * np.exp(rng.normal(0.0, 1.0, n))
    favourite = rng.integers(0, n_b, n)  # preferred (complex) or usual (habitual) brand

    # --- purchases ---------------------------------------------------------------------
    n_buys = 1 + rng.poisson(_REPEAT_PURCHASES[kind])
    p_owner = np.repeat(np.arange(n), n_buys)
    p_kind = kind[p_owner]
    offsets = rng.uniform(30.0, days, p_owner.size)
    p_day = offsets[np.lexsort((offsets, p_owner))]  # each customer's purchases, in order
    n_p = p_owner.size
    consider = rng.gamma(2.0, _CONSIDER_DAYS[p_kind] / 2.0)

    # --- journey views -------------------------------------------------------------------
    n_views = rng.poisson(_VIEWS[p_kind])
    v_buy = np.repeat(np.arange(n_p), n_views)
    first_in_journey = np.r_[True, v_buy[1:] != v_buy[:-1]] if v_buy.size else v_buy.astype(bool)
    share = np.where(first_in_journey, 0.0, rng.uniform(0.0, 1.0, v_buy.size))
    v_day = np.maximum(p_day[v_buy] - consider[v_buy] * (1.0 - share), 0.0)
    v_kind = p_kind[v_buy]
    v_owner = p_owner[v_buy]
    shortlist = rng.integers(0, 4, v_buy.size)  # complex buyers compare 4 brands
    v_brand = np.where(
        v_kind == 0,
        (favourite[v_owner] + shortlist) % n_b,
        np.where(
            (v_kind == 2) & (rng.uniform(0.0, 1.0, v_buy.size) < 0.8),
            favourite[v_owner],
            rng.integers(0, n_b, v_buy.size),
        ),
    )
    v_price = level[v_owner] * np.exp(rng.normal(0.0, 0.25, v_buy.size))

    # --- what each purchase buys ------------------------------------------------------------
    p_price = level[p_owner] * np.exp(rng.normal(0.0, 0.25, n_p))
    p_brand = rng.integers(0, n_b, n_p)
    # complex: the preferred brand (90 %), a premium model of it
    pick = (p_kind == 0) & (rng.uniform(0.0, 1.0, n_p) < 0.9)
    p_brand = np.where(pick, favourite[p_owner], p_brand)
    p_price = np.where(p_kind == 0, level[p_owner] * np.exp(rng.normal(0.3, 0.15, n_p)), p_price)
    # dissonance-reducing: the cheapest item viewed in the journey (brand incidental)
    by_price = np.lexsort((v_price, v_buy))
    sorted_buy = v_buy[by_price]
    first = by_price[np.r_[True, sorted_buy[1:] != sorted_buy[:-1]]] if v_buy.size else by_price
    cheapest_price = np.full(n_p, np.nan)
    cheapest_brand = np.full(n_p, -1)
    cheapest_price[v_buy[first]] = v_price[first]
    cheapest_brand[v_buy[first]] = v_brand[first]
    cheap = (p_kind == 1) & (cheapest_brand >= 0)
    p_price = np.where(cheap, cheapest_price, p_price)
    p_brand = np.where(cheap, cheapest_brand, p_brand)
    # habitual: the usual brand (90 %)
    usual = (p_kind == 2) & (rng.uniform(0.0, 1.0, n_p) < 0.9)
    p_brand = np.where(usual, favourite[p_owner], p_brand)
    # variety-seeking: another brand than last time (80 %)
    step = (rng.uniform(0.0, 1.0, n_p) < 0.8) * rng.integers(1, n_b, n_p)
    walk = (favourite[p_owner] + _within(p_owner, step)) % n_b
    p_brand = np.where(p_kind == 3, walk, p_brand)

    # --- background browsing ----------------------------------------------------------------
    n_browse = rng.poisson(browsing_views, n)
    b_owner = np.repeat(np.arange(n), n_browse)
    b_day = rng.uniform(0.0, days, b_owner.size)
    b_brand = rng.integers(0, n_b, b_owner.size)
    b_price = level[b_owner] * np.exp(rng.normal(0.0, 0.25, b_owner.size))

    brands = np.array([f"brand_{i + 1:02d}" for i in range(n_b)], dtype=object)
    owner = np.concatenate([p_owner, v_owner, b_owner])
    day = np.concatenate([p_day, v_day, b_day])
    seconds = np.minimum(np.floor(day * 86_400), days * 86_400 - 1).astype(np.int64)
    events = pd.DataFrame(
        {
            "customer_id": owner + 1,
            "timestamp": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
            "event": np.repeat(
                np.array(["purchase", "view"], dtype=object), [n_p, v_buy.size + b_owner.size]
            ),
            "brand": brands[np.concatenate([p_brand, v_brand, b_brand])],
            "price": np.round(np.concatenate([p_price, v_price, b_price]), 2),
        }
    )
    events = events.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)
    truth = pd.DataFrame(
        {
            "buying_behavior": pd.Categorical.from_codes(
                kind, dtype=pd.CategoricalDtype(list(ASSAEL_SEGMENTS))
            ),
            "involvement": np.where(_HIGH_INVOLVEMENT[kind], "high", "low").astype(object),
            "brand_differences": np.where(_SIGNIFICANT[kind], "significant", "few").astype(object),
            "price_level": level,
        },
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return events, truth


def make_loyalty_customers(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    segment_probs: Sequence[float] | None = None,
    response_rate: float = 0.3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a customer table with RFM columns and survey answers, for known Walker types.

    Each customer gets a true loyalty type (``segment_probs``, in the order truly
    loyal, accessible, trapped, high risk), i.e. a high or low *behaviour* and a
    high or low *attitude*:

    - Behaviour. High: ``1 + Poisson(lambda)`` purchases with ``lambda ~
      Gamma(4, 2.5)`` (mean 10) and ``recency_days ~ Exponential(20)``. Low:
      ``lambda ~ Gamma(2, 1)`` (mean 2) and ``recency_days ~ Exponential(150)``.
      Order values are log-normal (median 60, sd 0.5 on the log scale) for
      everybody; ``tenure_days`` adds up to two years before the last purchase of
      repeat buyers.
    - Attitude. An NPS answer (0-10) and a CSAT answer (1-5), drawn from a
      promoter-heavy distribution for a high attitude (85 % answer 9-10, the rest
      7-8) and a passive/detractor-heavy one for a low attitude (6 % answer 9-10).
    - Response. Each customer answered the survey with probability
      ``response_rate`` (independently of the type); the others have NaN answers.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    segment_probs : sequence of 4 float or None
        Probabilities of the four loyalty types; default equal.
    response_rate : float
        Share of customers with survey answers, in [0, 1].

    Returns
    -------
    customers : DataFrame
        Indexed by ``customer_id`` (1..n_customers), with the columns of
        :func:`behaviorseg.summaries.rfm_table` (``recency_days``, ``frequency``,
        ``monetary``, ``avg_order_value``, ``tenure_days``) and the survey
        answers ``likelihood_to_recommend`` (0-10) and ``satisfaction`` (1-5),
        NaN for customers who did not answer.
    truth : DataFrame
        Indexed by ``customer_id``: ``loyalty`` (categorical, the four names of
        :data:`~behaviorseg.segmenters.walker.LOYALTY_SEGMENTS`), ``behavior``
        and ``attitude`` (``"high"``/``"low"``), ``responded`` (bool).

    Examples
    --------
    >>> from behaviorseg.datasets import make_loyalty_customers
    >>> customers, truth = make_loyalty_customers(200, random_state=0)
    >>> list(customers.columns)
    ['recency_days', 'frequency', 'monetary', 'avg_order_value', 'tenure_days',
     'likelihood_to_recommend', 'satisfaction']
    >>> bool(customers["likelihood_to_recommend"].isna().eq(~truth["responded"]).all())
    True
    """
    n = _check_count(n_customers, "n_customers")
    if not (np.isfinite(response_rate) and 0 <= response_rate <= 1):
        raise ValueError(f"response_rate={response_rate!r} must be in [0, 1]")
    probs = _probabilities(segment_probs, 4, np.full(4, 0.25), "segment_probs")
    rng = np.random.default_rng(random_state)

    kind = rng.choice(4, size=n, p=probs)
    high_behavior = (kind == 0) | (kind == 2)
    high_attitude = kind <= 1
    rate = np.where(high_behavior, rng.gamma(4.0, 2.5, n), rng.gamma(2.0, 1.0, n))
    frequency = 1 + rng.poisson(rate)
    recency = np.round(rng.exponential(np.where(high_behavior, 20.0, 150.0)), 1)
    aov = np.round(60.0 * np.exp(rng.normal(0.0, 0.5, n)), 2)
    monetary = np.round(aov * frequency, 2)
    tenure = recency + np.where(frequency > 1, np.round(rng.uniform(30.0, 730.0, n), 1), 0.0)

    nps = np.where(
        high_attitude,
        rng.choice(11, size=n, p=_NPS_HIGH),
        rng.choice(11, size=n, p=_NPS_LOW),
    ).astype(np.float64)
    csat = (
        np.where(
            high_attitude,
            rng.choice(5, size=n, p=_CSAT_HIGH),
            rng.choice(5, size=n, p=_CSAT_LOW),
        ).astype(np.float64)
        + 1.0
    )
    responded = rng.uniform(0.0, 1.0, n) < response_rate
    index = pd.Index(np.arange(1, n + 1), name="customer_id")
    customers = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency.astype(np.int64),
            "monetary": monetary,
            "avg_order_value": np.round(monetary / frequency, 2),
            "tenure_days": tenure,
            "likelihood_to_recommend": np.where(responded, nps, np.nan),
            "satisfaction": np.where(responded, csat, np.nan),
        },
        index=index,
    )
    truth = pd.DataFrame(
        {
            "loyalty": pd.Categorical.from_codes(
                kind, dtype=pd.CategoricalDtype(list(LOYALTY_SEGMENTS))
            ),
            "behavior": np.where(high_behavior, "high", "low").astype(object),
            "attitude": np.where(high_attitude, "high", "low").astype(object),
            "responded": responded,
        },
        index=index,
    )
    return customers, truth
