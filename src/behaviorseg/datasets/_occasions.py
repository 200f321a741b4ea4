"""Seeded generators with known occasion segments and known benefit segments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..summaries._categories import NO_CLEAR_BENEFIT
from ..summaries._occasions import (
    EVENING,
    NO_PATTERN,
    OCCASION_SEGMENTS,
    REGULAR,
    RETAIL_OCCASIONS,
    SEASONS,
    SEVERAL,
    TOO_FEW,
    WEEKEND,
    _country,
    occasion_segment,
    retail_calendar,
    season_segment,
)
from ._common import _probabilities

__all__ = ["make_benefit_survey", "make_occasion_transactions"]

#: The segments the occasion generator simulates, in the order of ``segment_probs``:
#: every default segment but "occasion: several".
SIMULATED_OCCASION_SEGMENTS = tuple(s for s in OCCASION_SEGMENTS if s != occasion_segment(SEVERAL))
_DEFAULT_OCCASION_PROBS = np.array(
    [0.1, *([0.05] * len(RETAIL_OCCASIONS)), *([0.05] * len(SEASONS)), 0.15, 0.1, 0.1, 0.1]
)
# Months (0 = January) of each northern season, in SEASONS order.
_SEASON_MONTHS = np.array([[11, 0, 1], [2, 3, 4], [5, 6, 7], [8, 9, 10]])
_NS_PER_DAY = 86_400 * 10**9


def _days_since_epoch(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Day numbers of ``date(year, month + 1, day + 1)`` (months and days from 0)."""
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    first = (start + months.astype("timedelta64[M]")).astype("datetime64[D]")
    out: np.ndarray = first.astype(np.int64) + days
    return out


def make_occasion_transactions(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    start_year: int = 2023,
    n_years: int = 2,
    country: str = "GB",
    segment_probs: Sequence[float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate purchases timed by each customer's true occasion segment.

    Over ``n_years`` calendar years from 1 January ``start_year``, each customer
    buys by the pattern of their segment (:data:`SIMULATED_OCCASION_SEGMENTS`,
    the default :data:`~behaviorseg.summaries.OCCASION_SEGMENTS` but
    ``"occasion: several"``):

    =======================  ===================================================
    segment                  purchases
    =======================  ===================================================
    too few purchases        1 to 3, on random days
    occasion: <name>         2 + Poisson(1.5) a year inside that year's window of
                             :func:`~behaviorseg.summaries.retail_calendar`
                             (``country``), and one random day with probability 0.3
    seasonal: <season>       3 + Poisson(2) a year on random days of the season's
                             three months (northern seasons)
    regular                  every P days (P uniform in 10-40) ± 8 % of P
    weekend shopper          6 + Poisson(5 a year) random Saturdays and Sundays
    evening shopper          6 + Poisson(5 a year) random days, 18:00 to midnight
    no clear pattern         6 + Poisson(5 a year) random days
    =======================  ===================================================

    Purchases are at a uniform time between 08:00 and 18:00 (evening shoppers
    excepted); amounts are log-normal (median about 33).

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    start_year : int
        First calendar year of the log.
    n_years : int
        Number of calendar years (at least 2, so that seasons repeat).
    country : str
        Country of the occasion windows (see ``retail_calendar``).
    segment_probs : sequence of float or None
        Probabilities of the segments in :data:`SIMULATED_OCCASION_SEGMENTS`
        order. Default 0.1 too few, 0.05 per occasion and per season, 0.15
        regular, 0.1 each for weekend, evening and no clear pattern.

    Returns
    -------
    transactions : DataFrame
        One row per purchase, sorted by time: ``customer_id`` (int,
        1..n_customers), ``timestamp`` (datetime64, naive local time, second
        resolution), ``amount`` (float).
    truth : DataFrame
        Indexed by ``customer_id``: ``segment`` (categorical, categories
        :data:`~behaviorseg.summaries.OCCASION_SEGMENTS`).

    Examples
    --------
    >>> from behaviorseg.datasets import make_occasion_transactions
    >>> tx, truth = make_occasion_transactions(200, random_state=0)
    >>> list(tx.columns)
    ['customer_id', 'timestamp', 'amount']
    >>> tx["timestamp"].min() >= pd.Timestamp("2023-01-01")
    True
    >>> truth["segment"].value_counts().index[0] in truth["segment"].cat.categories
    True
    """
    if isinstance(n_customers, bool) or int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    if not (isinstance(n_years, int) and n_years >= 2):
        raise ValueError(f"n_years={n_years!r} must be an int >= 2 (seasons must repeat)")
    if not (isinstance(start_year, int) and 1700 <= start_year <= 2200):
        raise ValueError(f"start_year={start_year!r} must be an int year in 1700-2200")
    code = _country(country)
    k = len(SIMULATED_OCCASION_SEGMENTS)
    probs = _probabilities(segment_probs, k, _DEFAULT_OCCASION_PROBS, "segment_probs")
    rng = np.random.default_rng(random_state)
    n = int(n_customers)
    segment = rng.choice(k, size=n, p=probs)
    years = np.arange(start_year, start_year + n_years)
    first_day = int(_days_since_epoch(years[:1], np.zeros(1, int), np.zeros(1, int))[0])
    last_day = int(_days_since_epoch(years[-1:] + 1, np.zeros(1, int), np.zeros(1, int))[0])
    span = last_day - first_day

    owners: list[np.ndarray] = []
    days: list[np.ndarray] = []
    evening: list[np.ndarray] = []

    def add(who: np.ndarray, day: np.ndarray, late: bool = False) -> None:
        owners.append(who)
        days.append(day.astype(np.int64))
        evening.append(np.full(len(who), late))

    def members(name: str) -> np.ndarray:
        return np.flatnonzero(segment == SIMULATED_OCCASION_SEGMENTS.index(name))

    def random_days(who: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = np.repeat(who, count)
        return owner, first_day + rng.integers(0, span, owner.size)

    # Too few purchases, and the three random-day segments.
    few = members(TOO_FEW)
    add(*random_days(few, rng.integers(1, 4, few.size)))
    for name in (WEEKEND, EVENING, NO_PATTERN):  # three segments
        who = members(name)
        owner, day = random_days(who, 6 + rng.poisson(5 * n_years, who.size))
        if name == WEEKEND:  # back to the previous Saturday or Sunday
            target = rng.integers(5, 7, owner.size)
            day = day - (((day + 3) % 7) - target) % 7
            day = np.where(day < first_day, day + 7, day)
        add(owner, day, late=name == EVENING)

    # Regular buyers: a personal period, with a little jitter.
    who = members(REGULAR)
    period = rng.uniform(10.0, 40.0, who.size)
    count = np.floor(span / period).astype(np.int64)
    owner = np.repeat(who, count)
    step = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    per = np.repeat(period, count)
    offset = np.repeat(rng.uniform(0.0, period), count)
    day = offset + per * step + rng.normal(0.0, 0.08, owner.size) * per
    inside = (day >= 0) & (day < span)
    add(owner[inside], first_day + np.floor(day[inside]))

    # Seasonal buyers: random days of their season's months, every year.
    for s, season in enumerate(SEASONS):  # four seasons
        who = members(season_segment(season))
        count = 3 + rng.poisson(2.0, (who.size, n_years))
        owner = np.repeat(np.repeat(who, n_years), count.ravel())
        year = np.repeat(np.tile(years, who.size), count.ravel())
        month = _SEASON_MONTHS[s][rng.integers(0, 3, owner.size)]
        length = _days_since_epoch(year, month + 1, np.zeros_like(year)) - _days_since_epoch(
            year, month, np.zeros_like(year)
        )
        day = _days_since_epoch(year, month, np.floor(rng.uniform(0, 1, owner.size) * length))
        add(owner, day.astype(np.int64))

    # Occasion buyers: inside their occasion's window, every year, plus a stray day.
    calendar = retail_calendar(years.tolist(), country=code)
    for occasion in RETAIL_OCCASIONS:  # five occasions
        who = members(occasion_segment(occasion))
        rows = calendar[calendar["occasion"] == occasion].sort_values("start")
        starts = rows["start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        lengths = rows["end"].to_numpy(dtype="datetime64[D]").astype(np.int64) - starts + 1
        count = 2 + rng.poisson(1.5, (who.size, n_years))
        owner = np.repeat(np.repeat(who, n_years), count.ravel())
        window = np.repeat(np.tile(np.arange(n_years), who.size), count.ravel())
        day = starts[window] + np.floor(rng.uniform(0, 1, owner.size) * lengths[window])
        add(owner, day.astype(np.int64))
        stray = who[rng.uniform(size=who.size) < 0.3]
        add(*random_days(stray, np.ones(stray.size, dtype=np.int64)))

    owner = np.concatenate(owners)
    day = np.concatenate(days)
    late = np.concatenate(evening)
    hour = np.where(late, rng.uniform(18.0, 24.0, owner.size), rng.uniform(8.0, 18.0, owner.size))
    seconds = np.minimum(np.floor(hour * 3600), 86_399).astype(np.int64)
    ns = day * _NS_PER_DAY + seconds * 10**9
    amount = np.round(np.exp(rng.normal(3.5, 0.6, owner.size)), 2)
    transactions = pd.DataFrame(
        {
            "customer_id": owner + 1,
            "timestamp": pd.to_datetime(ns, unit="ns"),
            "amount": amount,
        }
    )
    transactions = transactions.sort_values(
        ["timestamp", "customer_id"], kind="stable", ignore_index=True
    )
    names = np.asarray(SIMULATED_OCCASION_SEGMENTS, dtype=object)[segment]
    truth = pd.DataFrame(
        {"segment": pd.Categorical(names, categories=list(OCCASION_SEGMENTS))},
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return transactions, truth


def make_benefit_survey(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    benefits: tuple[str, ...] = ("comfort", "fit", "colour", "price", "durability"),
    scale: tuple[int, int] = (0, 10),
    no_clear_share: float = 0.15,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate importance ratings with each respondent's true sought benefit.

    Every respondent rates the importance of each benefit on the integer
    ``scale``. Their ratings are a personal level (response style: some rate
    everything high, some low), plus a lift on the one benefit they seek, plus
    noise, rounded and clipped to the scale:

    - level: normal, mean at 60 % of the scale, standard deviation 12 % of its
      range (so many respondents rate most benefits highly);
    - lift of the sought benefit: 35 % of the range (none for ``"no clear
      benefit"`` respondents, a share ``no_clear_share`` of them);
    - noise: normal, standard deviation 6 % of the range, per rating.

    High raters reach the top of the scale, where the lift is partly lost:
    the ceiling that makes raw "highest rating" rules fail and ipsatised ones
    hesitate.

    Parameters
    ----------
    n_customers : int
        Number of respondents.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    benefits : tuple of str
        The benefits rated (two or more), one column each.
    scale : (int, int)
        Lowest and highest rating, e.g. ``(1, 5)`` for a Likert scale.
    no_clear_share : float
        Share of respondents who seek no benefit in particular; the others
        seek one benefit each, with equal probabilities.

    Returns
    -------
    ratings : DataFrame
        Indexed by ``customer_id`` (1..n_customers): one int column per benefit.
    truth : DataFrame
        Indexed by ``customer_id``: ``segment`` (categorical: the benefits, then
        ``"no clear benefit"``).

    Examples
    --------
    >>> from behaviorseg.datasets import make_benefit_survey
    >>> ratings, truth = make_benefit_survey(300, random_state=0)
    >>> list(ratings.columns)
    ['comfort', 'fit', 'colour', 'price', 'durability']
    >>> int(ratings.min().min()) >= 0 and int(ratings.max().max()) <= 10
    True
    >>> list(truth["segment"].cat.categories)[-1]
    'no clear benefit'
    """
    if isinstance(n_customers, bool) or int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    names = list(benefits)
    if len(names) < 2 or len(set(names)) != len(names) or NO_CLEAR_BENEFIT in names:
        raise ValueError(f"benefits={benefits!r} must be two or more distinct names")
    low, high = scale
    if not (isinstance(low, int) and isinstance(high, int) and low < high):
        raise ValueError(f"scale={scale!r} must be two ints (lowest, highest), lowest first")
    if not 0.0 <= no_clear_share <= 1.0:
        raise ValueError(f"no_clear_share={no_clear_share!r} must be in [0, 1]")
    rng = np.random.default_rng(random_state)
    n, k = int(n_customers), len(names)
    width = float(high - low)
    probs = np.append(np.full(k, (1.0 - no_clear_share) / k), no_clear_share)
    segment = rng.choice(k + 1, size=n, p=probs)
    level = rng.normal(low + 0.6 * width, 0.12 * width, (n, 1))
    lift = 0.35 * width * (np.arange(k)[None, :] == segment[:, None])
    noise = rng.normal(0.0, 0.06 * width, (n, k))
    ratings = np.clip(np.rint(level + lift + noise), low, high).astype(np.int64)
    index = pd.Index(np.arange(1, n + 1), name="customer_id")
    labels = np.asarray([*names, NO_CLEAR_BENEFIT], dtype=object)[segment]
    truth = pd.DataFrame(
        {"segment": pd.Categorical(labels, categories=[*names, NO_CLEAR_BENEFIT])}, index=index
    )
    return pd.DataFrame(ratings, columns=names, index=index), truth
