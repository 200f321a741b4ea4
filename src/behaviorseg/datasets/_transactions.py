"""Seeded generator of transaction logs with known per-customer ground truth."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["make_transactions"]


def make_transactions(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    start: Any = "2024-01-01",
    n_days: int = 365,
    acquisition_days: int = 90,
    r: float = 0.25,
    alpha: float = 30.0,
    a: float = 0.8,
    b: float = 2.5,
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 15.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate purchases of heterogeneous customers who may drop out (BG/NBD + Gamma-Gamma).

    Each customer is acquired with a first purchase on a uniformly random day of
    the first ``acquisition_days``. While alive, they buy as a Poisson process
    with rate ``lambda ~ Gamma(r, alpha)`` per day; after every repeat purchase
    they drop out for good with probability ``p_drop ~ Beta(a, b)`` (the BG/NBD
    story of Fader, Hardie & Lee 2005). Each purchase is worth
    ``z ~ Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` per customer (the
    Gamma-Gamma spend model), rounded to cents.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    start : date-like
        First day of the simulated window.
    n_days : int
        Length of the window in days; purchases after it are not observed.
    acquisition_days : int
        Customers make their first purchase within this many days of ``start``.
    r, alpha : float
        Shape and rate (per day) of the gamma distribution of purchase rates.
    a, b : float
        Beta parameters of the dropout probability.
    p, q, gamma : float
        Gamma-Gamma spend parameters (mean spend per purchase ``p * nu``-scaled;
        population mean ``p * gamma / (q - 1)``).

    Returns
    -------
    transactions : DataFrame
        One row per purchase, sorted by time then customer: ``customer_id``
        (int, 1..n_customers), ``timestamp`` (datetime64, second resolution),
        ``amount`` (float, > 0).
    truth : DataFrame
        Indexed by ``customer_id``: ``purchase_rate_per_day`` (lambda),
        ``dropout_probability``, ``mean_spend`` (expected value of one purchase),
        ``first_purchase`` (timestamp), ``alive`` (bool: not dropped out by the
        end of the window), ``dropout_at`` (timestamp of the purchase after which
        the customer left; NaT if alive), ``n_purchases`` (observed purchases).

    Examples
    --------
    >>> from behaviorseg.datasets import make_transactions
    >>> tx, truth = make_transactions(200, random_state=0)
    >>> list(tx.columns)
    ['customer_id', 'timestamp', 'amount']
    >>> int(truth["n_purchases"].sum()) == len(tx)
    True
    """
    for name, value in {
        "r": r,
        "alpha": alpha,
        "a": a,
        "b": b,
        "p": p,
        "q": q,
        "gamma": gamma,
    }.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name}={value!r} must be a positive number")
    if int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    if not (0 < acquisition_days <= n_days):
        raise ValueError(f"acquisition_days={acquisition_days!r} must be in (0, n_days={n_days}]")
    rng = np.random.default_rng(random_state)
    n = int(n_customers)
    rate = rng.gamma(r, 1.0 / alpha, n)
    p_drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    birth = rng.uniform(0.0, acquisition_days, n)
    horizon = n_days - birth

    # Poisson events in the window; the customer leaves right after repeat purchase K.
    k_leave = rng.geometric(np.clip(p_drop, 1e-12, 1.0))
    n_events = rng.poisson(rate * horizon)
    owner = np.repeat(np.arange(n), n_events)
    offset = rng.uniform(0.0, 1.0, owner.size) * horizon[owner]
    order = np.lexsort((offset, owner))
    owner, offset = owner[order], offset[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    kept = rank < k_leave[owner]
    owner, offset = owner[kept], offset[kept]

    n_repeat = np.bincount(owner, minlength=n)
    alive = k_leave > n_repeat
    last_offset = np.zeros(n)
    np.maximum.at(last_offset, owner, offset)

    buyer = np.concatenate([np.arange(n), owner])
    day = np.concatenate([birth, birth[owner] + offset])
    amount = np.round(rng.gamma(p, 1.0 / nu[buyer]), 2)
    amount = np.maximum(amount, 0.01)

    origin = pd.Timestamp(start)
    seconds = np.floor(day * 86_400).astype(np.int64)
    stamps = origin + pd.to_timedelta(seconds, unit="s")
    tx = pd.DataFrame({"customer_id": buyer + 1, "timestamp": stamps, "amount": amount})
    tx = tx.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)

    first = origin + pd.to_timedelta(np.floor(birth * 86_400).astype(np.int64), unit="s")
    left_at = origin + pd.to_timedelta(
        np.floor((birth + last_offset) * 86_400).astype(np.int64), unit="s"
    )
    truth = pd.DataFrame(
        {
            "purchase_rate_per_day": rate,
            "dropout_probability": p_drop,
            "mean_spend": p / nu,
            "first_purchase": first,
            "alive": alive,
            "dropout_at": left_at.where(~alive),
            "n_purchases": n_repeat + 1,
        },
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return tx, truth
