"""Interaction logs → engagement per customer: ``engagement_table``.

The log goes through the event summaries' preparation step
(:func:`._events._prepare_events`); only the interaction types of ``weights`` are
looked up (each distinct name once) and channels are coded once. The rows are then
read in blocks of a few hundred thousand (so the float arithmetic's temporaries stay
small) and added into dense per-customer cells with ``np.add.at`` and
``np.maximum.at``, in row order: the sums are the same, bit for bit, as one
``np.bincount`` over the whole log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import as_duration, warn_excluded
from ._events import _name_index, _per_code, _prepare_events, _unknown_rows, _value_codes
from ._transactions import _NS_PER_DAY, _epoch_ticks, _to_ns

__all__ = ["DEFAULT_ENGAGEMENT_WEIGHTS", "ENGAGEMENT_SEGMENTS", "engagement_table"]

#: Rows per block of the per-row arithmetic: its temporaries stay a few MB and in cache.
_BLOCK_ROWS = 1 << 18
#: ``ufunc.at`` is about as fast as ``np.bincount`` from numpy 1.25 on, and tens of times
#: slower before: there the rows are read in one block and added with ``bincount``.
_FAST_AT = np.lib.NumpyVersion(np.__version__) >= "1.25.0"
_NEVER = np.iinfo(np.int64).min  # "no such row" among the latest times

#: Interaction types and their weight in the engagement score: a delivered message
#: is no interaction (0); an open is the unit; a click, a comment or a share is a
#: deliberate act worth several opens; taking part in an event is the strongest
#: signal. Pass ``weights=`` with your own event names and weights.
DEFAULT_ENGAGEMENT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("delivered", 0.0),
    ("open", 1.0),
    ("click", 3.0),
    ("event", 5.0),
    ("like", 1.0),
    ("comment", 3.0),
    ("share", 4.0),
)

#: The segments of :class:`~behaviorseg.segmenters.EngagementSegmenter` with its
#: default tier names, least engaged first, then the two explicit segments. Kept
#: here, below both the segmenter and the generator that returns the true segment.
ENGAGEMENT_SEGMENTS: tuple[str, ...] = (
    "disengaged",
    "passive",
    "engaged",
    "highly engaged",
    "re-engagement candidate",
    "unreachable",
)


def _weights(weights: Any) -> tuple[tuple[str, float], ...]:
    """``weights`` as (event name, finite weight >= 0) pairs; default the documented ones."""
    if weights is None:
        return DEFAULT_ENGAGEMENT_WEIGHTS
    items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    pairs: list[tuple[str, float]] = []
    for item in items:  # a loop over a handful of interaction types
        ok = isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)
        if not ok or isinstance(item[1], bool) or not isinstance(item[1], (int, float)):
            raise ValueError(
                f"weights entry {item!r} is not an (event name, weight) pair; write e.g. "
                f"(('open', 1.0), ('click', 3.0))"
            )
        if not (np.isfinite(item[1]) and item[1] >= 0):
            raise ValueError(f"weights: the weight of {item[0]!r} must be a finite number >= 0")
        pairs.append((item[0], float(item[1])))
    names = [name for name, _ in pairs]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"weights must name each event type once, got {names}")
    return tuple(pairs)


@frame_boundary("events")
def engagement_table(
    events: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    channel_col: str | None = None,
    as_of: Any = None,
    half_life: Any = "30D",
    weights: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
    recent_window: Any = "90D",
    rate_events: tuple[str, str, str] = ("delivered", "open", "click"),
) -> pd.DataFrame:
    """Summarise an interaction log into engagement per customer.

    Parameters
    ----------
    events : DataFrame
        One row per delivered message or interaction, with a customer id, a
        timestamp and an event name (and optionally a channel). Not modified.
    customer_col, time_col, event_col : str
        Column names.
    channel_col : str or None
        Column with the channel (``"email"``, ``"social"``, ...); adds one
        ``days_since_last_<channel>`` column per channel.
    as_of : date-like or None
        End of the observation, inclusive. Rows after it are excluded with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
        Default: the last timestamp in the log.
    half_life : str, Timedelta or number of days, default="30D"
        Half-life of the recency decay of ``engagement_score``: an interaction
        this old counts half.
    weights : mapping, tuple of (event, weight) pairs or None
        The interaction types (event names) and their weights;
        default :data:`DEFAULT_ENGAGEMENT_WEIGHTS`. Rows with other event names
        are ignored with a warning that counts them (their customers stay in
        the table).
    recent_window : str, Timedelta or number of days, default="90D"
        The recent window, ``(as_of - recent_window, as_of]``; the earlier window
        is the equally long one just before it.
    rate_events : tuple of three str, default=("delivered", "open", "click")
        The event names of a delivered message, an open and a click, for the
        rates. Each must be in ``weights``.

    Returns
    -------
    DataFrame
        One row per customer with any row at or before ``as_of`` (also those
        who received messages and never reacted: zeros), indexed by customer id
        (sorted), with:

        - ``engagement_score`` (float): sum over interactions of weight ×
          ``0.5 ** (age / half_life)``.
        - ``earlier_score``, ``recent_score`` (float): sum of the weights (no
          decay) in the earlier and the recent window.
        - ``recent_delivered`` (int): messages delivered in the recent window
          (0: the customer cannot be reached, e.g. unsubscribed).
        - ``n_<event>`` (int): count of each event type in ``weights``.
        - ``open_rate`` = opens / delivered, ``click_rate`` = clicks / delivered
          (click-through rate), ``click_to_open_rate`` = clicks / opens (float):
          NaN where the denominator (``n_delivered``, ``n_open``) is 0.
        - ``days_since_last_interaction`` (float): days since the last event
          other than a delivery; NaN if none.
        - ``days_since_last_<channel>`` (float, with ``channel_col``): the same
          per channel, channels in sorted order.

    Notes
    -----
    Counts and rates use the whole log up to ``as_of``. A click without a
    logged open (images blocked) still counts, so ``click_to_open_rate`` can
    exceed 1 on real logs.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import engagement_table
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-02",
    ...                                  "2024-03-01", "2024-03-31", "2024-03-15"]),
    ...     "event": ["delivered", "open", "click", "delivered", "delivered", "like"],
    ... })
    >>> table = engagement_table(log, as_of="2024-03-31")
    >>> table[["engagement_score", "recent_delivered", "open_rate", "click_to_open_rate"]]
                 engagement_score  recent_delivered  open_rate  click_to_open_rate
    customer_id
    1                    2.035...                 1        1.0                 1.0
    2                    0.000...                 2        0.0                 NaN
    3                    0.690...                 0        NaN                 NaN
    """
    pairs = _weights(weights)
    names = [name for name, _ in pairs]
    missing = [e for e in rate_events if e not in names]
    if len(rate_events) != 3 or missing:
        raise ValueError(
            f"rate_events={rate_events!r} must name the delivered, open and click events, "
            f"each in weights (missing: {missing}); event types: {names}"
        )
    half_life_days = as_duration(half_life, "half_life") / pd.Timedelta(days=1)
    window_days = as_duration(recent_window, "recent_window") / pd.Timedelta(days=1)
    log = _prepare_events(
        events,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={"event_col": event_col, "channel_col": channel_col},
        as_of=as_of,
    )
    n, k = len(log.customers), len(pairs)
    delivered, opened, clicked = (names.index(e) for e in rate_events)
    # Only the interaction types are looked up (each distinct name once); type k marks
    # a row with another or no name, which adds nothing anywhere.
    position = _name_index(log.frame[event_col], names)
    n_unknown, shown = _unknown_rows(log.frame[event_col], position < 0)
    if n_unknown:
        warn_excluded(
            n_unknown,
            f"rows have event names not in weights (e.g. {shown}) and were ignored; their "
            f"customers stay in the table",
        )
    types = _per_code(np.arange(k, dtype=np.min_scalar_type(k)), position, k)
    del position
    channels: pd.Index = pd.Index([])
    slot_of_row: np.ndarray | None = None  # 0: no channel, j + 1: channels[j]
    if channel_col is not None:  # only the interactions' channels are read
        acted = np.flatnonzero((types != delivered) & (types != k))
        channel_codes, channels = _value_codes(log.frame[channel_col].iloc[acted])
        slot_of_row = np.zeros(len(types), dtype=np.min_scalar_type(len(channels)))
        slot_of_row[acted] = channel_codes + 1
        del acted, channel_codes
    slots = len(channels) + 1

    # Per customer: the decayed score; the weights summed in the recent (2c) and the
    # earlier (2c + 1) window; rows per (type, in the recent window?); the last time of
    # an interaction per channel slot. Rows are added in row order, as one bincount
    # over the whole log would.
    score = np.zeros(n)
    windowed = np.zeros(2 * n)
    counts = np.zeros(2 * n * (k + 1), dtype=np.int64)
    latest = np.full(n * slots, _NEVER, dtype=np.int64)
    weight = np.array([w for _, w in pairs] + [0.0])
    as_of_ns = _to_ns(log.as_of)
    codes = log.codes
    ticks, step = _epoch_ticks(log.times)
    block_rows = _BLOCK_ROWS if _FAST_AT else max(len(codes), 1)
    for start in range(0, len(codes), block_rows):  # blocks bound the temporaries
        block = slice(start, start + block_rows)
        code, kind, ns = codes[block], types[block], ticks[block] * step
        age = (as_of_ns - ns) / _NS_PER_DAY
        w = weight[kind]
        _add_at(score, code, w * np.exp2(-age / half_life_days))
        recent = age < window_days
        _add_at(windowed, 2 * code + ~recent, w * (age < 2 * window_days))
        _add_at(counts, 2 * ((k + 1) * code + kind) + recent)
        on = (kind != delivered) & (kind != k)  # interactions
        slot = slots * code[on]
        if slot_of_row is not None:
            slot += slot_of_row[block][on]
        np.maximum.at(latest, slot, ns[on])

    count = counts.reshape(n, k + 1, 2)
    per_type = count.sum(axis=2)
    data: dict[str, Any] = {
        "engagement_score": score,
        "earlier_score": windowed[1::2],
        "recent_score": windowed[0::2],
        "recent_delivered": count[:, delivered, 1],
    }
    for j, name in enumerate(names):  # a loop over the interaction types
        data[f"n_{name}"] = per_type[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        for label, num, den in (
            ("open_rate", opened, delivered),
            ("click_rate", clicked, delivered),
            ("click_to_open_rate", clicked, opened),
        ):
            data[label] = np.where(
                per_type[:, den] > 0, per_type[:, num] / per_type[:, den], np.nan
            )
    last = latest.reshape(n, slots)
    data["days_since_last_interaction"] = _days_since(last.max(axis=1), as_of_ns)
    named = np.asarray(channels, dtype=object)
    seen = np.flatnonzero((last[:, 1:] != _NEVER).any(axis=0))
    for j in seen[np.argsort(named[seen], kind="stable")]:  # a loop over a few channels
        data[f"days_since_last_{named[j]}"] = _days_since(last[:, j + 1], as_of_ns)
    out: pd.DataFrame = pd.DataFrame(data, index=log.customers)
    return out


def _add_at(out: np.ndarray, index: np.ndarray, values: np.ndarray | None = None) -> None:
    """``out[index] += values`` (1 per row without ``values``), adding rows in order.

    Before numpy 1.25 (one block of rows, so one call per ``out``, which starts at 0)
    this is ``np.bincount``: the same sums, added in the same order.
    """
    if _FAST_AT:
        np.add.at(out, index, 1 if values is None else values)
    else:
        out += np.bincount(index, weights=values, minlength=len(out))


def _days_since(latest: np.ndarray, as_of_ns: int) -> np.ndarray:
    """Days from each latest time (ns) to ``as_of``; NaN where there is none.

    The same number as the smallest of the rows' own ``(as_of - ns) / day``: that
    division is monotone, so the latest row has the smallest age.
    """
    never = latest == _NEVER
    age = (as_of_ns - np.where(never, as_of_ns, latest)) / _NS_PER_DAY
    out: np.ndarray = np.where(never, np.nan, age)
    return out
