"""Contractual and discrete-opportunity data: seeded generators of subscription logs
(sBG) and of opportunity histories (BG/BB) that return the truth, and the bundled
donations data of Fader, Hardie & Shang (2010)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["load_donations", "make_opportunity_histories", "make_subscriptions"]

_DAYS = {"D": 1, "W": 7}
_MONTHS = {"M": 1, "Q": 3, "Y": 12}
_NS_PER_DAY = 86_400 * 10**9


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not (
            isinstance(value, (int, float, np.integer, np.floating))
            and np.isfinite(value)
            and value > 0
        ):
            raise ValueError(f"{name}={value!r} must be a positive number")


def _check_count(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} must be a whole number >= {low}")
    return int(value)


def _add_periods(stamps: pd.Series, k: np.ndarray, period: str) -> pd.Series:
    """``stamps`` plus ``k`` billing periods (anniversaries clipped to month ends)."""
    if period in _DAYS:
        step = pd.to_timedelta(k * _DAYS[period], unit="D")
        shifted: pd.Series = stamps + step.to_numpy()
        return shifted
    months = stamps.dt.year.to_numpy() * 12 + stamps.dt.month.to_numpy() - 1 + k * _MONTHS[period]
    first = pd.to_datetime(pd.DataFrame({"year": months // 12, "month": months % 12 + 1, "day": 1}))
    day = np.minimum(stamps.dt.day.to_numpy(), first.dt.days_in_month.to_numpy())
    clock = (stamps - stamps.dt.normalize()).to_numpy()
    out: pd.Series = first + pd.to_timedelta(day - 1, unit="D").to_numpy() + clock
    return out


def make_subscriptions(
    n_subscribers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    start: Any = "2022-01-01",
    period: str = "M",
    n_periods: int = 24,
    acquisition_periods: int = 12,
    alpha: float = 0.7,
    beta: float = 3.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a subscription event log with known churn probabilities (the sBG story).

    Each subscriber signs up at a uniformly random moment of the first
    ``acquisition_periods`` and draws a churn probability ``theta ~ Beta(alpha,
    beta)``; at every renewal date (each ``period`` after sign-up) they cancel
    with probability ``theta`` and otherwise renew (Fader & Hardie, 2007). A
    cancellation is logged at a uniformly random moment of the last period paid.
    The log stops at ``start + n_periods`` periods.

    Parameters
    ----------
    n_subscribers : int
        Number of subscribers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    start : date-like
        Start of the simulated window.
    period : {"D", "W", "M", "Q", "Y"}
        The billing period (months, quarters and years by calendar anniversary).
    n_periods : int
        Length of the window, in periods; the log is observed until its end.
    acquisition_periods : int
        Subscribers sign up within this many periods of ``start``.
    alpha, beta : float
        Beta parameters of the churn probability per renewal decision.

    Returns
    -------
    events : DataFrame
        One row per event, sorted by time then subscriber: ``customer_id`` (int,
        1..n_subscribers), ``timestamp`` (datetime64), ``event`` (``"signup"``,
        ``"renewal"`` or ``"cancel"``).
    truth : DataFrame
        Indexed by ``customer_id``: ``churn_probability`` (theta), ``signup``
        (timestamp), ``lifetime_periods`` (the renewal decision at which they
        cancel, possibly after the window), ``churned`` (bool: cancelled within
        the window), ``tenure_periods`` (int: what
        :func:`~behaviorseg.summaries.subscription_table` should report at the
        end of the window) and ``as_of`` (the end of the window).

    Examples
    --------
    >>> from behaviorseg.datasets import make_subscriptions
    >>> events, truth = make_subscriptions(200, random_state=0)
    >>> sorted(events["event"].unique())
    ['cancel', 'renewal', 'signup']
    >>> int((events["event"] == "signup").sum())
    200
    """
    n = _check_count("n_subscribers", n_subscribers)
    horizon = _check_count("n_periods", n_periods)
    acquisition = _check_count("acquisition_periods", acquisition_periods)
    if acquisition > horizon:
        raise ValueError(
            f"acquisition_periods={acquisition_periods!r} must be <= n_periods={n_periods!r}"
        )
    if period not in _DAYS and period not in _MONTHS:
        raise ValueError(f"period={period!r} must be one of 'D', 'W', 'M', 'Q', 'Y'")
    _check_positive(alpha=alpha, beta=beta)
    rng = np.random.default_rng(random_state)
    origin = pd.Timestamp(start)
    as_of = _add_periods(pd.Series([origin]), np.array([horizon]), period).iloc[0]
    window_open = _add_periods(pd.Series([origin]), np.array([acquisition]), period).iloc[0]
    span = (window_open - origin).value
    signup = pd.Series(origin + pd.to_timedelta(rng.integers(0, span // 10**9, n), unit="s"))
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(np.clip(theta, 1e-12, 1.0)).astype(np.int64)

    # Renewals 1..lifetime-1 at the anniversaries; the cancellation within the last
    # paid period (after anniversary lifetime - 1, at or before anniversary lifetime).
    # Dates after the window are never logged: lifetimes are capped past it.
    capped = np.minimum(lifetime, horizon + 2)
    owner = np.repeat(np.arange(n), capped - 1)
    first_of = np.repeat(np.cumsum(capped - 1) - (capped - 1), capped - 1)
    k = np.arange(len(owner)) - first_of + 1
    renewal_at = _add_periods(signup.iloc[owner].reset_index(drop=True), k, period)
    paid_from = _add_periods(signup, capped - 1, period)
    paid_to = _add_periods(signup, capped, period)
    length = (paid_to - paid_from).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    offset = np.maximum(np.ceil(rng.uniform(0.0, 1.0, n) * length / 10**9), 1).astype(np.int64)
    cancel_at = paid_from + pd.to_timedelta(offset, unit="s").to_numpy()
    cancel_at = cancel_at.where(cancel_at <= paid_to, paid_to)

    ids = np.arange(1, n + 1)
    parts = [
        pd.DataFrame({"customer_id": ids, "timestamp": signup, "event": "signup"}),
        pd.DataFrame({"customer_id": ids[owner], "timestamp": renewal_at, "event": "renewal"}),
        pd.DataFrame({"customer_id": ids, "timestamp": cancel_at, "event": "cancel"}),
    ]
    events = pd.concat(parts, ignore_index=True)
    events = events.loc[events["timestamp"] <= as_of]
    events = events.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)

    churned = (cancel_at <= as_of).to_numpy()
    # Renewal decisions survived by as_of (active subscribers): the anniversaries at or
    # before it, found by stepping back from the window's length (at most n_periods steps).
    survived = np.full(n, horizon, dtype=np.int64)
    late = (_add_periods(signup, survived, period) > as_of).to_numpy()
    while late.any():
        survived = survived - late
        late = (_add_periods(signup, survived, period) > as_of).to_numpy()
    tenure = np.where(churned, lifetime, survived).astype(np.int64)
    truth = pd.DataFrame(
        {
            "churn_probability": theta,
            "signup": signup.to_numpy(),
            "lifetime_periods": lifetime,
            "churned": churned,
            "tenure_periods": tenure,
            "as_of": as_of,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    return events, truth


def make_opportunity_histories(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    n_periods: int = 6,
    n_future: int = 0,
    alpha: float = 1.2,
    beta: float = 0.75,
    gamma: float = 0.66,
    delta: float = 2.8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate repeat transactions at discrete opportunities (the BG/BB story).

    Each customer makes a first transaction (opportunity 0), then, while alive,
    transacts at each opportunity with probability ``p ~ Beta(alpha, beta)``;
    at the start of each opportunity they become inactive for good with
    probability ``theta ~ Beta(gamma, delta)`` (Fader, Hardie & Shang, 2010). The
    defaults are close to the paper's estimates on the donations data.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    n_periods : int
        Opportunities observed after the first transaction (the calibration).
    n_future : int
        Further opportunities simulated for the truth (a holdout), >= 0.
    alpha, beta : float
        Beta parameters of the transaction probability.
    gamma, delta : float
        Beta parameters of the dropout probability.

    Returns
    -------
    histories : DataFrame
        Indexed by ``customer_id`` (1..n_customers): ``frequency`` (int,
        opportunities 1..n_periods with a transaction), ``recency`` (int, the
        last of them, 0 if none) and ``n_periods`` (int), what
        :class:`~behaviorseg.models.BetaGeoBetaBinomModel` reads.
    truth : DataFrame
        Same index: ``transaction_probability`` (p), ``dropout_probability``
        (theta), ``alive`` (bool: still alive at opportunity ``n_periods``),
        ``alive_next`` (bool: alive at opportunity ``n_periods + 1``) and
        ``future_purchases`` (int: transactions at opportunities
        ``n_periods + 1 .. n_periods + n_future``).

    Examples
    --------
    >>> from behaviorseg.datasets import make_opportunity_histories
    >>> histories, truth = make_opportunity_histories(500, random_state=0, n_future=5)
    >>> list(histories.columns)
    ['frequency', 'recency', 'n_periods']
    >>> bool((histories["frequency"] <= histories["recency"]).all())
    True
    """
    n = _check_count("n_customers", n_customers)
    calibration = _check_count("n_periods", n_periods)
    future = _check_count("n_future", n_future, low=0)
    _check_positive(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    rng = np.random.default_rng(random_state)
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    # Inactive from the start of opportunity `death` on: alive at 1..death-1.
    death = rng.geometric(np.clip(theta, 1e-12, 1.0))
    opportunity = np.arange(1, calibration + future + 1)
    alive = opportunity[None, :] < death[:, None]
    bought = alive & (rng.uniform(size=alive.shape) < p[:, None])
    past = bought[:, :calibration]
    frequency = past.sum(axis=1)
    recency = np.where(
        frequency > 0, np.max(np.where(past, opportunity[:calibration], 0), axis=1), 0
    )
    ids = pd.Index(np.arange(1, n + 1), name="customer_id")
    histories = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": recency.astype(np.int64),
            "n_periods": np.full(n, calibration, dtype=np.int64),
        },
        index=ids,
    )
    truth = pd.DataFrame(
        {
            "transaction_probability": p,
            "dropout_probability": theta,
            "alive": death > calibration,
            "alive_next": death > calibration + 1,
            "future_purchases": bought[:, calibration:].sum(axis=1).astype(np.int64),
        },
        index=ids,
    )
    return histories, truth


def load_donations() -> pd.DataFrame:
    """Load the donations data of Fader, Hardie & Shang (2010): 11,104 donors, 6 drives.

    The 1995 cohort of first-time supporters of a US nonprofit, followed over the
    six annual fundraising drives of 1996-2001; each row is one repeat-donation
    pattern with the number of donors who had it (the paper's table 1).

    Returns
    -------
    DataFrame
        22 rows, with columns:

        - ``frequency`` (int): drives (1996-2001) with a donation.
        - ``recency`` (int): the last of them (1 = 1996, ..., 6 = 2001; 0 if none).
        - ``n_periods`` (int): drives observed (6).
        - ``n_donors`` (int): donors with this pattern: the weight to pass as
          ``sample_weight``.

    Notes
    -----
    Source: the ``donations.csv`` file of the lifetimes package (MIT License,
    Copyright (c) 2015 Cameron Davidson-Pilon), from Bruce Hardie's site. Cite
    P. S. Fader, B. G. S. Hardie and J. Shang (2010), "Customer-Base Analysis in
    a Discrete-Time Noncontractual Setting", *Marketing Science* 29(6),
    1086-1108.

    Examples
    --------
    >>> from behaviorseg.datasets import load_donations
    >>> donations = load_donations()
    >>> int(donations["n_donors"].sum()), len(donations)
    (11104, 22)
    """
    source = resources.files("behaviorseg.datasets") / "data" / "donations.csv"
    with resources.as_file(source) as path:
        raw = pd.read_csv(path)
    out: pd.DataFrame = raw[["frequency", "recency", "n_periods", "n_donors"]].astype("int64")
    return out
