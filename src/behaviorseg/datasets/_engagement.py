"""Seeded generator of message and social interaction logs with a known engagement tier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..summaries._engagement import ENGAGEMENT_SEGMENTS
from ._common import _probabilities

__all__ = ["make_engagement_events"]

#: Per segment (in ENGAGEMENT_SEGMENTS order): probability of opening a delivered
#: e-mail, of clicking an opened one, and social interactions (likes, comments,
#: shares) and event participations per 30 days. Re-engagement candidates behave
#: as "engaged" until the recent window and then stop; unreachable customers
#: unsubscribe before it.
_BEHAVIOUR = np.array(
    [
        # open, click|open, social/30d, events/30d
        [0.00, 0.00, 0.00, 0.00],  # disengaged
        [0.25, 0.10, 0.10, 0.00],  # passive
        [0.45, 0.25, 0.60, 0.05],  # engaged
        [0.80, 0.50, 3.00, 0.30],  # highly engaged
        [0.45, 0.25, 0.60, 0.05],  # re-engagement candidate (before the recent window)
        [0.30, 0.20, 0.00, 0.00],  # unreachable (before unsubscribing)
    ]
)
_SOCIAL = ("like", "comment", "share")
_SOCIAL_P = np.array([0.6, 0.25, 0.15])
_CHANNEL = {"delivered": "email", "open": "email", "click": "email", "event": "events"}
_CHANNEL.update(dict.fromkeys(_SOCIAL, "social"))


def make_engagement_events(
    n_customers: int = 1000,
    *,
    random_state: int | np.random.Generator | None = None,
    as_of: Any = "2024-12-31",
    n_days: int = 180,
    recent_days: int = 90,
    segment_probs: Sequence[float] | None = None,
    send_every_days: int = 7,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate an e-mail, social and event interaction log with each customer's true segment.

    Every reachable customer receives a newsletter every ``send_every_days``
    days over the ``n_days`` before ``as_of`` (``"delivered"``, channel
    ``"email"``), opens each with a probability and clicks an opened one with
    another, both set by their true segment; independently they like, comment
    on and share posts (channel ``"social"``) and take part in events
    (``"event"``, channel ``"events"``) at Poisson rates of their segment:

    ==========================  ======  ============  =========  =========
    segment                     open    click | open  social/30d events/30d
    ==========================  ======  ============  =========  =========
    disengaged                  0       0             0          0
    passive                     0.25    0.10          0.1        0
    engaged                     0.45    0.25          0.6        0.05
    highly engaged              0.80    0.50          3          0.3
    re-engagement candidate     as engaged before the last ``recent_days``, then nothing
    unreachable                 0.30    0.20          0          0
    ==========================  ======  ============  =========  =========

    Unreachable customers unsubscribe at a uniform day before the last
    ``recent_days``: nothing is delivered after it.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    random_state : int, Generator or None
        Seed; the same seed gives the same data.
    as_of : date-like
        End of the log; every row is before it.
    n_days : int
        Length of the log in days.
    recent_days : int
        The recent window (as ``engagement_table``'s ``recent_window``), shorter
        than ``n_days``.
    segment_probs : sequence of float or None
        Probabilities of the segments in the order of
        :data:`behaviorseg.summaries.ENGAGEMENT_SEGMENTS`. Default
        ``(0.15, 0.2, 0.25, 0.15, 0.15, 0.1)``.
    send_every_days : int
        Days between two newsletters.

    Returns
    -------
    events : DataFrame
        One row per event, sorted by time then customer: ``customer_id`` (int,
        1..n_customers), ``timestamp`` (datetime64, second resolution),
        ``event`` (str: delivered, open, click, like, comment, share, event),
        ``channel`` (str: email, social, events). Every customer has at least
        one delivery.
    truth : DataFrame
        Indexed by ``customer_id``: ``segment`` (categorical in
        :data:`~behaviorseg.summaries.ENGAGEMENT_SEGMENTS` order).

    Examples
    --------
    >>> from behaviorseg.datasets import make_engagement_events
    >>> events, truth = make_engagement_events(300, random_state=0)
    >>> list(events.columns)
    ['customer_id', 'timestamp', 'event', 'channel']
    >>> sorted(events["event"].unique())
    ['click', 'comment', 'delivered', 'event', 'like', 'open', 'share']
    """
    if isinstance(n_customers, bool) or int(n_customers) < 1:
        raise ValueError(f"n_customers={n_customers!r} must be at least 1")
    if not (isinstance(n_days, int) and isinstance(recent_days, int) and 0 < recent_days < n_days):
        raise ValueError(
            f"recent_days={recent_days!r} and n_days={n_days!r} must be integers with "
            f"0 < recent_days < n_days"
        )
    if not (isinstance(send_every_days, int) and 1 <= send_every_days <= n_days - recent_days):
        raise ValueError(
            f"send_every_days={send_every_days!r} must be an integer in [1, n_days - "
            f"recent_days] so that every customer receives a message"
        )
    k = len(ENGAGEMENT_SEGMENTS)
    default = np.array([0.15, 0.2, 0.25, 0.15, 0.15, 0.1])
    probs = _probabilities(segment_probs, k, default, "segment_probs")
    rng = np.random.default_rng(random_state)
    n = int(n_customers)
    segment = rng.choice(k, size=n, p=probs)
    candidate = segment == ENGAGEMENT_SEGMENTS.index("re-engagement candidate")
    unreachable = segment == ENGAGEMENT_SEGMENTS.index("unreachable")
    # Days before as_of at which each customer stops: 0 for most, the start of the
    # recent window for candidates, a day before it for those who unsubscribe.
    older = float(n_days - recent_days)
    stop = np.where(candidate, float(recent_days), 0.0)
    stop = np.where(unreachable, recent_days + rng.uniform(0.0, older - send_every_days, n), stop)

    # --- e-mail: deliveries, opens, clicks ----------------------------------------------
    send_age = np.arange(n_days - 0.5, 0.0, -float(send_every_days))  # days before as_of
    owner = np.repeat(np.arange(n), len(send_age))
    age = np.tile(send_age, n)
    received = ~unreachable[owner] | (age > stop[owner])
    owner, age = owner[received], age[received]
    live = age > stop[owner]  # candidates stop reacting in the recent window
    p_open, p_click = _BEHAVIOUR[segment, 0], _BEHAVIOUR[segment, 1]
    opened = live & (rng.uniform(size=owner.size) < p_open[owner])
    clicked = opened & (rng.uniform(size=owner.size) < p_click[owner])
    open_age = age - rng.uniform(0.0, 0.4, owner.size)
    click_age = open_age - rng.uniform(0.0, 0.05, owner.size)

    # --- social interactions and events at Poisson rates over the active span ----------
    span = n_days - stop
    parts: list[tuple[np.ndarray, ...]] = [
        (owner, age, np.full(owner.size, "delivered", dtype=object)),
        (owner[opened], open_age[opened], np.full(int(opened.sum()), "open", dtype=object)),
        (owner[clicked], click_age[clicked], np.full(int(clicked.sum()), "click", dtype=object)),
    ]
    for column, names, weights in (  # two kinds of activity, not customers
        (2, _SOCIAL, _SOCIAL_P),
        (3, ("event",), np.array([1.0])),
    ):
        count = rng.poisson(_BEHAVIOUR[segment, column] * span / 30.0)
        who = np.repeat(np.arange(n), count)
        when = stop[who] + rng.uniform(0.0, 1.0, who.size) * span[who]
        what = np.asarray(names, dtype=object)[rng.choice(len(names), who.size, p=weights)]
        parts.append((who, when, what))
    who, when, event = (np.concatenate(column) for column in zip(*parts, strict=True))
    channel = pd.Series(event).map(_CHANNEL).to_numpy(dtype=object)
    seconds = np.maximum(np.ceil(when * 86_400), 1).astype(np.int64)
    events = pd.DataFrame(
        {
            "customer_id": who + 1,
            "timestamp": pd.Timestamp(as_of) - pd.to_timedelta(seconds, unit="s"),
            "event": event,
            "channel": channel,
        }
    )
    events = events.sort_values(["timestamp", "customer_id"], kind="stable", ignore_index=True)
    truth = pd.DataFrame(
        {
            "segment": pd.Categorical.from_codes(
                segment, dtype=pd.CategoricalDtype(list(ENGAGEMENT_SEGMENTS))
            )
        },
        index=pd.Index(np.arange(1, n + 1), name="customer_id"),
    )
    return events, truth
