"""Recommended actions: one short action and its rationale for every built-in segment name.

The texts are data, kept in one table (:data:`_ACTIONS`) and handed out as a fresh
DataFrame by :func:`recommended_actions`, so that a team can read them, edit a copy
and pass its own table to :func:`~behaviorseg.profiling.persona_cards`.
"""

from __future__ import annotations

import pandas as pd

from .._validation import InstanceOf, validate_params

__all__ = ["recommended_actions"]

#: ``(model, segment, action, rationale)`` for every segment name the built-in
#: segmenters emit with their default parameters. ``model`` names the segmenter:
#: rfm (RFMSegmenter's 10-segment map), usage (UsageTierSegmenter, with its
#: non-user tier), assael (AssaelSegmenter), walker (WalkerLoyaltySegmenter, with
#: its unknown-attitude segment), aida (AIDAStageSegmenter) and churn
#: (ChurnSegmenter's risk tiers).
_ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    # --- RFM: recency x frequency map -------------------------------------------------
    (
        "rfm",
        "champions",
        "Reward them: loyalty perks, early access to new products, requests for "
        "reviews and referrals; no discounts needed.",
        "They bought recently, often and for the most; recognition keeps them and turns "
        "them into advocates, while discounts would only give margin away.",
    ),
    (
        "rfm",
        "loyal customers",
        "Upsell higher-value products and invite them into the loyalty programme.",
        "They buy often and respond to offers; moving them up the range grows value "
        "at no acquisition cost.",
    ),
    (
        "rfm",
        "potential loyalists",
        "Offer a membership or loyalty programme and personalised recommendations.",
        "Recent buyers with a few orders: a reason to come back regularly turns them "
        "into loyal customers.",
    ),
    (
        "rfm",
        "new customers",
        "Onboard them: a welcome series, help with the first use, a reason for the "
        "second purchase.",
        "Most first-time buyers never return; the first weeks decide whether they do.",
    ),
    (
        "rfm",
        "promising",
        "Show the range: samples or trials and a time-limited offer on the next purchase.",
        "Recent but infrequent buyers; they need a reason to buy again before the interest fades.",
    ),
    (
        "rfm",
        "need attention",
        "Re-engage with limited-time offers and recommendations based on past purchases.",
        "Average recency and frequency: they can move up or slip away, and a timely, "
        "relevant nudge decides which.",
    ),
    (
        "rfm",
        "about to sleep",
        "Reconnect with popular products and a modest incentive; ask what they need.",
        "Below-average recency and frequency: without contact now they drift into hibernation.",
    ),
    (
        "rfm",
        "at risk",
        "Send personalised win-back messages with strong offers; find out what went wrong.",
        "They used to buy often but not lately; they still know the brand, so winning "
        "them back costs less than finding new customers.",
    ),
    (
        "rfm",
        "can't lose them",
        "Win them back personally: talk to them, offer renewals or new products before "
        "a competitor does.",
        "Formerly the most frequent buyers, now silent: each one lost is a large loss of value.",
    ),
    (
        "rfm",
        "hibernating",
        "Run a low-cost win-back campaign with the best offers and relevant products.",
        "Last purchase long ago and few orders: many are gone, so spend little unless "
        "they respond.",
    ),
    # --- usage tiers -----------------------------------------------------------------
    (
        "usage",
        "non-user",
        "Remove the barrier to first use: onboarding, a free trial, a demo of the key feature.",
        "They have not used the product at all; activation comes before any upsell.",
    ),
    (
        "usage",
        "light",
        "Show the value of more use: tips, feature highlights, entry-size offers.",
        "Occasional users have the most room to grow, and are the easiest to lose to a competitor.",
    ),
    (
        "usage",
        "medium",
        "Build the habit: reminders, bundles and volume offers towards heavy use.",
        "Regular but not intensive users; a stronger habit raises both volume and retention.",
    ),
    (
        "usage",
        "heavy",
        "Protect and reward: volume pricing, priority service, referral invitations.",
        "A minority of users makes most of the volume; losing one costs far more than "
        "gaining a light user.",
    ),
    # --- Assael buying behaviour ---------------------------------------------------------
    (
        "assael",
        "complex",
        "Provide detailed comparisons, specifications, reviews and expert advice.",
        "High involvement and significant brand differences: they research at length "
        "and choose the brand that convinces them on evidence.",
    ),
    (
        "assael",
        "dissonance-reducing",
        "Reassure after the purchase: guarantees, easy returns, follow-up; compete on "
        "price and availability.",
        "High involvement but few perceived differences: they buy on price or "
        "convenience, then look for confirmation that they chose well.",
    ),
    (
        "assael",
        "habitual",
        "Stay in sight and in stock: reminders, shelf presence, subscriptions, price promotions.",
        "Low involvement and few differences: they buy out of habit, not conviction, so "
        "familiarity and availability win.",
    ),
    (
        "assael",
        "variety-seeking",
        "Offer novelty inside the brand: new editions, range extensions, samples.",
        "Low involvement with significant differences: they switch for variety, not "
        "dissatisfaction, so a brand keeps them by offering the variety itself.",
    ),
    # --- Walker / Dick & Basu loyalty ------------------------------------------------------
    (
        "walker",
        "truly loyal",
        "Recognise and involve them: exclusive benefits, referral programmes, co-creation.",
        "Strong attitude and repeat behaviour: the brand's advocates, worth protecting.",
    ),
    (
        "walker",
        "accessible",
        "Remove what stops them buying more: reminders, convenience, availability, "
        "targeted offers.",
        "They like the brand but buy little from it: the attitude is there, the "
        "behaviour is not yet.",
    ),
    (
        "walker",
        "trapped",
        "Remove the pain point before a competitor does: fix the product or service "
        "issue they complain about.",
        "They buy out of habit or constraint but are dissatisfied, and will leave as "
        "soon as an alternative appears.",
    ),
    (
        "walker",
        "high risk",
        "Invest selectively: win-back offers for the valuable ones, low-cost contact for the rest.",
        "Weak attitude and weak behaviour: little attachment to lose, so spend in "
        "proportion to their potential value.",
    ),
    (
        "walker",
        "unknown attitude",
        "Ask them first: a short survey (likelihood to recommend) before choosing an action.",
        "Without an answer their loyalty type is unknown; measuring it is the cheapest next step.",
    ),
    # --- AIDA funnel stages ----------------------------------------------------------------
    (
        "aida",
        "unaware",
        "Build awareness: advertising, partnerships and content where they already are.",
        "They have not noticed the brand; no message further down the funnel reaches them.",
    ),
    (
        "aida",
        "attention",
        "Spark interest: content showing the benefit for them, retargeting with the key product.",
        "They have noticed the brand but not explored it; they need a reason to look closer.",
    ),
    (
        "aida",
        "interest",
        "Create desire: demonstrations, reviews, comparisons and social proof.",
        "They are exploring; proof that the product fits their need turns interest "
        "into wanting it.",
    ),
    (
        "aida",
        "desire",
        "Prompt the purchase: cart reminders, a time-limited incentive, a simpler checkout.",
        "They want it but have not bought; friction or hesitation stands between "
        "desire and action.",
    ),
    (
        "aida",
        "action",
        "Confirm the choice and prepare the next purchase: onboarding, cross-sell, a "
        "review request.",
        "They bought; satisfaction now decides repeat purchase and word of mouth.",
    ),
    # --- churn risk tiers ----------------------------------------------------------------
    (
        "churn",
        "low",
        "Keep delivering value and loyalty benefits; avoid costly retention offers.",
        "Low predicted risk: retention spending here mostly pays customers who would stay anyway.",
    ),
    (
        "churn",
        "medium",
        "Re-engage early: personalised content, reminders, a satisfaction check.",
        "Their risk is rising; a light, timely touch costs less than a win-back later.",
    ),
    (
        "churn",
        "high",
        "Act now: personal contact, retention offers sized to their value, fix known issues.",
        "High predicted risk: most will leave without intervention, so prioritise by "
        "customer value.",
    ),
)

#: The models of :data:`_ACTIONS`, in table order.
ACTION_MODELS: tuple[str, ...] = tuple(dict.fromkeys(row[0] for row in _ACTIONS))


def recommended_actions(model: str | None = None) -> pd.DataFrame:
    """Return the recommended action and its rationale for every built-in segment name.

    The table is data: read it, edit a copy (``.loc[...] = ...``, ``pd.concat``
    for your own segments) and pass it as ``actions=`` to
    :func:`~behaviorseg.profiling.persona_cards`. Each call returns a new frame.

    Parameters
    ----------
    model : str or None, default=None
        Only the segments of one model: ``"rfm"`` (the 10-segment RFM map),
        ``"usage"`` (usage tiers and non-users), ``"assael"`` (buying
        behaviours), ``"walker"`` (loyalty types and ``"unknown attitude"``),
        ``"aida"`` (funnel stages and ``"unaware"``) or ``"churn"`` (risk tiers
        low, medium, high). ``None``: every model.

    Returns
    -------
    DataFrame
        Indexed by ``(model, segment)`` (by ``segment`` alone when ``model`` is
        given), with the str columns ``action`` (what to do, one sentence) and
        ``rationale`` (why, from the segment's definition), in the order of each
        segmenter's ``segments_``.

    Raises
    ------
    ValueError
        ``model`` is not one of the names above.

    Examples
    --------
    >>> from behaviorseg.profiling import recommended_actions
    >>> actions = recommended_actions()
    >>> actions.loc[("rfm", "champions"), "action"]
    'Reward them: loyalty perks, early access to new products, requests for reviews and
     referrals; no discounts needed.'
    >>> recommended_actions("churn").index.tolist()
    ['low', 'medium', 'high']
    """
    validate_params(
        {"model": model}, {"model": [InstanceOf((str, type(None)))]}, owner="recommended_actions"
    )
    if model is not None and model not in ACTION_MODELS:
        raise ValueError(
            f"recommended_actions: model={model!r} has no built-in actions; pass one of "
            f"{', '.join(repr(m) for m in ACTION_MODELS)} or None for all"
        )
    table = pd.DataFrame(list(_ACTIONS), columns=["model", "segment", "action", "rationale"])
    if model is not None:
        one: pd.DataFrame = table[table["model"] == model].drop(columns="model")
        out: pd.DataFrame = one.set_index("segment")
        return out
    result: pd.DataFrame = table.set_index(["model", "segment"])
    return result
