"""Seeded generator of event logs (funnel and product usage) with known ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..summaries._events import AIDA_STAGES, _normalize_stages
from ._common import _probabilities

__all__ = ["make_events"]

#: Product features a session may use, most popular first.
_FEATURES = ("dashboard", "reports", "export", "sharing", "api", "mobile")
_FEATURE_WEIGHTS = np.array([0.35, 0.25, 0.15, 0.12, 0.08, 0.05])


def make_events(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    start: Any = "2024-01-01",
    n_days: int = 90,
    stages: Any = None,
    stage_probs: Sequence[float] | None = None,
    tier_names: tuple[str, ...] = ("light", "medium", "heavy"),
    tier_probs: Sequence[float] | None = None,
    sessions_per_day: Sequence[float] = (0.1, 0.3, 0.9),
    rate_cv: float = 0.35,
    minutes_per_session: float = 15.0,
    missing_rate: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a product's event log: funnel progress and usage sessions, with the truth.

    **Funnel.** Each customer's true stage is drawn from ``stage_probs``
    (``"unaware"`` or one of the ``stages``). A customer at stage *s* passes
    through every stage up to *s* at increasing random days of the window and
    logs 1 + Poisson(0.5) events at each (names drawn uniformly from that
    stage's event names; purchases — events of the last stage — carry an
    amount). Each funnel event is then lost from the log with probability
    ``missing_rate``, so logs skip steps as real ones do (a purchase without a
    logged product view) and, rarely, a customer's furthest stage is unlogged.

    **Usage.** Independently, each customer's true usage tier is drawn from
    ``tier_probs`` (``"non-user"`` or one of ``tier_names``). Users of tier *t*
    have a personal session rate ``sessions_per_day[t]`` times a Gamma draw of
    mean 1 and coefficient of variation ``rate_cv``, and log 1 + Poisson(rate * n_days)
    ``"session"`` events at uniform times, each lasting ``Gamma(2,
    minutes_per_session / 2)`` minutes (the ``value``) and using one product
    feature. Non-users log no session.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    start : date-like
        First day of the window.
    n_days : int
        Length of the window in days; every event falls inside it.
    stages : mapping, sequence of pairs or None
        The funnel, in order, with its event names (as for
        :func:`behaviorseg.summaries.funnel_table`); default
        :data:`behaviorseg.summaries.AIDA_STAGES`.
    stage_probs : sequence of float or None
        Probabilities of ``"unaware"`` and of each stage (``len(stages) + 1``
        numbers summing to 1). Default: 0.2 unaware, the rest equally.
    tier_names : tuple of str
        Names of the usage tiers, lightest first.
    tier_probs : sequence of float or None
        Probabilities of ``"non-user"`` and of each tier. Default: 0.1
        non-users, the rest equally.
    sessions_per_day : sequence of float
        Mean sessions per day of each tier, increasing.
    rate_cv : float
        Spread of the personal session rates within a tier (coefficient of
        variation, in [0, 3]; 0 gives every user of a tier the same rate).
    minutes_per_session : float
        Mean session length in minutes (the same for every tier).
    missing_rate : float
        Probability that a funnel event is missing from the log, in [0, 1).

    Returns
    -------
    events : DataFrame
        One row per logged event, sorted by time then customer:
        ``customer_id`` (int, 1..n_customers), ``timestamp`` (datetime64,
        second resolution), ``event`` (str: a stage's event name or
        ``"session"``), ``value`` (float: minutes for sessions, amount for
        purchases, NaN otherwise), ``feature`` (str for sessions, missing
        otherwise). Customers who are both unaware and non-users log nothing.
    truth : DataFrame
        Indexed by ``customer_id`` (every customer): ``stage`` (ordered
        categorical, ``"unaware"`` then the stages: the true furthest stage),
        ``tier`` (ordered categorical, ``"non-user"`` then ``tier_names``),
        ``sessions_per_day`` (the personal rate, 0 for non-users).

    Examples
    --------
    >>> from behaviorseg.datasets import make_events
    >>> events, truth = make_events(300, random_state=0)
    >>> list(events.columns)
    ['customer_id', 'timestamp', 'event', 'value', 'feature']
    >>> list(truth.columns)
    ['stage', 'tier', 'sessions_per_day']
    >>> truth["stage"].cat.categories.tolist()
    ['unaware', 'attention', 'interest', 'desire', 'action']
    """
    pairs = _normalize_stages(AIDA_STAGES if stages is None else stages)
    k = len(pairs)
    if isinstance(n_customers, bool) or int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    if isinstance(n_days, bool) or not int(n_days) >= 1:
        raise ValueError(f"n_days={n_days!r} must be at least 1")
    if not (0 <= missing_rate < 1):
        raise ValueError(f"missing_rate={missing_rate!r} must be in [0, 1)")
    rates = np.asarray(sessions_per_day, dtype=np.float64)
    m = len(tier_names)
    if rates.shape != (m,) or not np.all(rates > 0) or not np.all(np.diff(rates) > 0):
        raise ValueError(
            f"sessions_per_day={sessions_per_day!r} must be {m} increasing positive rates "
            f"(one per tier of tier_names={tier_names!r})"
        )
    if not (np.isfinite(rate_cv) and 0 <= rate_cv <= 3):
        raise ValueError(f"rate_cv={rate_cv!r} must be in [0, 3]")
    if not (np.isfinite(minutes_per_session) and minutes_per_session > 0):
        raise ValueError(f"minutes_per_session={minutes_per_session!r} must be positive")
    p_stage = _probabilities(stage_probs, k + 1, np.r_[0.2, np.full(k, 0.8 / k)], "stage_probs")
    p_tier = _probabilities(tier_probs, m + 1, np.r_[0.1, np.full(m, 0.9 / m)], "tier_probs")
    rng = np.random.default_rng(random_state)
    n, days = int(n_customers), float(n_days)

    # --- funnel: stage times increase along the funnel; events cluster after them --
    stage = rng.choice(k + 1, size=n, p=p_stage)
    stage_day = np.sort(rng.uniform(0.0, days, size=(n, k)), axis=1)
    per_cell = (1 + rng.poisson(0.5, size=(n, k))) * (np.arange(k)[None, :] < stage[:, None])
    cell = np.repeat(np.arange(n * k), per_cell.ravel())
    f_owner, f_stage = cell // k, cell % k
    # Events of a stage fall between its day and the next stage's day (or up to two
    # weeks later for the customer's furthest stage), so the log keeps funnel order.
    following = np.column_stack([stage_day[:, 1:], np.full(n, days)])
    last_cell = np.arange(k)[None, :] == stage[:, None] - 1
    following = np.where(last_cell, np.minimum(stage_day + 14.0, days), following)
    f_day = stage_day.ravel()[cell]
    f_day = f_day + rng.uniform(0.0, 1.0, cell.size) * (following.ravel()[cell] - f_day)
    n_names = np.array([len(events) for _, events in pairs])
    pick = np.floor(rng.uniform(0.0, 1.0, cell.size) * n_names[f_stage]).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_names)[:-1]])
    all_names = np.array([e for _, events in pairs for e in events], dtype=object)
    f_event = all_names[offsets[f_stage] + pick]
    f_value = np.where(f_stage == k - 1, np.round(rng.gamma(3.0, 20.0, cell.size), 2), np.nan)
    logged = rng.uniform(0.0, 1.0, cell.size) >= missing_rate

    # --- usage: sessions at a personal rate, per tier ----------------------------------
    tier = rng.choice(m + 1, size=n, p=p_tier)
    shape = 1.0 / rate_cv**2 if rate_cv > 0 else np.inf
    spread = rng.gamma(shape, 1.0 / shape, n) if rate_cv > 0 else np.ones(n)
    rate = np.where(tier > 0, rates[np.maximum(tier - 1, 0)], 0.0) * spread
    n_sessions = np.where(tier > 0, 1 + rng.poisson(rate * days), 0)
    s_owner = np.repeat(np.arange(n), n_sessions)
    s_day = rng.uniform(0.0, days, s_owner.size)
    s_minutes = np.round(rng.gamma(2.0, minutes_per_session / 2.0, s_owner.size), 1)
    s_feature = np.asarray(_FEATURES, dtype=object)[
        rng.choice(len(_FEATURES), size=s_owner.size, p=_FEATURE_WEIGHTS)
    ]

    origin = pd.Timestamp(start)
    day = np.concatenate([f_day[logged], s_day])
    seconds = np.minimum(np.floor(day * 86_400), days * 86_400 - 1).astype(np.int64)
    events = pd.DataFrame(
        {
            "customer_id": np.concatenate([f_owner[logged], s_owner]) + 1,
            "timestamp": origin + pd.to_timedelta(seconds, unit="s"),
            "event": np.concatenate(
                [f_event[logged], np.full(s_owner.size, "session", dtype=object)]
            ),
            "value": np.concatenate([f_value[logged], s_minutes]),
            "feature": np.concatenate([np.full(int(logged.sum()), None, dtype=object), s_feature]),
        }
    )
    events = events.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)

    stage_names = ["unaware", *(s for s, _ in pairs)]
    tier_labels = ["non-user", *tier_names]
    truth = pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes(stage, dtype=pd.CategoricalDtype(stage_names, True)),
            "tier": pd.Categorical.from_codes(tier, dtype=pd.CategoricalDtype(tier_labels, True)),
            "sessions_per_day": rate,
        },
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return events, truth
