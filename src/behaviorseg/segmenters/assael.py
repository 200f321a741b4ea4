"""Assael's buying-behaviour model: involvement × perceived brand differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from .._validation import Constraint, InstanceOf, Options
from .matrix import AxisEntry, ThresholdRule, _Axis, _MatrixCore, _parse_entries, _parse_threshold

__all__ = ["ASSAEL_SEGMENTS", "AssaelSegmenter"]

#: The four buying behaviours, in the order of ``segments_``.
ASSAEL_SEGMENTS: tuple[str, ...] = (
    "complex",
    "dissonance-reducing",
    "habitual",
    "variety-seeking",
)


class AssaelSegmenter(_MatrixCore):
    """Type buyers by involvement × perceived brand differences (Assael, 1987).

    ::

                                   low involvement     high involvement
        significant differences    variety-seeking     complex
        few differences            habitual            dissonance-reducing

    Both axes are scores built from behavioural proxies, by default the columns of
    :func:`behaviorseg.summaries.brand_table` (see the guide for the reasoning
    behind each proxy and its sign). ``predict`` names the buying behaviour;
    ``transform`` returns ``involvement_score`` and ``brand_differences_score``
    minus their thresholds (positive = high involvement / significant
    differences).

    Parameters
    ----------
    involvement : tuple of (str, float), default=(("views_per_purchase", 1.0), \
("consideration_days", 1.0), ("avg_order_value", 1.0))
        Columns of the involvement axis with their weights: research before buying
        (views per purchase, days from the first view to the purchase) and the stake
        (order value). Only relative weights matter; a negative weight makes small
        values count as high.
    brand_differences : tuple, default=(("price_premium", 1.0), \
("brand_switching_rate", 1.0, -1.0))
        Columns of the perceived-brand-differences axis. An entry with three items
        ``(column, weight if involvement is low, weight if involvement is high)``
        lets a proxy change meaning with involvement. By default brand switching
        counts +1 for low-involvement buyers (switching for novelty is *variety
        seeking*: the brands must differ to be worth trying; staying put is habit,
        which Assael defines by *few* perceived differences) and -1 for
        high-involvement buyers (staying with a brand after a deliberate choice is
        *brand loyalty*, born of perceived differences; switching means the brand
        was incidental to a price or convenience decision, as in
        dissonance-reducing buying).
    involvement_threshold, brand_differences_threshold : str or tuple, default="median"
        Where each axis splits: ``"median"``, ``("quantile", q)`` (a share ``q``
        of buyers is low) or ``("fixed", value)`` in the units of the score.
    scaling : {"robust", "standard"} or None, default="robust"
        How each column is scaled before weighting (see
        :class:`~behaviorseg.segmenters.MatrixSegmenter`): by default
        ``(value - median) / (IQR / 1.349)``, clipped to ±3.

    Attributes
    ----------
    segments_ : list of str
        ``["complex", "dissonance-reducing", "habitual", "variety-seeking"]``.
    thresholds_ : dict of str to float
        Threshold of ``"involvement"`` and of ``"brand_differences"``.
    axis_columns_ : DataFrame
        One row per input column: ``axis``, ``weight``, ``weight_if_x_high``
        (the weight for high-involvement buyers), ``center``, ``scale``, ``used``.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    A plain array is read by position, in the order of the entries: the first
    ``len(involvement)`` columns (at most all but the last) are involvement, the
    rest brand differences, each with the weight of the entry at its position.
    Columns beyond the entries are ignored with a
    :class:`~behaviorseg.exceptions.ColumnsByPositionWarning`, as extra DataFrame
    columns are; pass a DataFrame to read columns by name.
    A column that is constant in ``fit`` is left out of its axis with a warning;
    an axis that does not vary at all is an error. Missing values are errors.

    Examples
    --------
    >>> from behaviorseg.datasets import make_brand_events
    >>> from behaviorseg.segmenters import AssaelSegmenter
    >>> from behaviorseg.summaries import brand_table
    >>> events, truth = make_brand_events(400, random_state=0)
    >>> buyers = brand_table(events)
    >>> seg = AssaelSegmenter().fit(buyers)
    >>> seg.segments_
    ['complex', 'dissonance-reducing', 'habitual', 'variety-seeking']
    >>> labels = seg.predict(buyers)
    >>> bool((labels == truth.loc[buyers.index, "buying_behavior"].to_numpy()).mean() > 0.8)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "involvement": [InstanceOf((tuple, list))],
        "brand_differences": [InstanceOf((tuple, list))],
        "involvement_threshold": [InstanceOf((str, tuple, list))],
        "brand_differences_threshold": [InstanceOf((str, tuple, list))],
        "scaling": [Options(("robust", "standard")), InstanceOf((type(None),))],
    }

    def __init__(
        self,
        *,
        involvement: Sequence[AxisEntry] = (
            ("views_per_purchase", 1.0),
            ("consideration_days", 1.0),
            ("avg_order_value", 1.0),
        ),
        brand_differences: Sequence[AxisEntry] = (
            ("price_premium", 1.0),
            ("brand_switching_rate", 1.0, -1.0),
        ),
        involvement_threshold: ThresholdRule = "median",
        brand_differences_threshold: ThresholdRule = "median",
        scaling: str | None = "robust",
    ) -> None:
        self.involvement = involvement
        self.brand_differences = brand_differences
        self.involvement_threshold = involvement_threshold
        self.brand_differences_threshold = brand_differences_threshold
        self.scaling = scaling

    def _axes(self) -> tuple[_Axis, _Axis]:
        owner = "AssaelSegmenter"
        x = _Axis(
            name="involvement",
            param="involvement",
            threshold_param="involvement_threshold",
            entries=_parse_entries(self.involvement, param="involvement", owner=owner),
            rule=_parse_threshold(
                self.involvement_threshold, param="involvement_threshold", owner=owner
            ),
            scaling=self.scaling,
        )
        y = _Axis(
            name="brand_differences",
            param="brand_differences",
            threshold_param="brand_differences_threshold",
            entries=_parse_entries(
                self.brand_differences,
                param="brand_differences",
                owner=owner,
                conditional_on="involvement",
            ),
            rule=_parse_threshold(
                self.brand_differences_threshold,
                param="brand_differences_threshold",
                owner=owner,
            ),
            scaling=self.scaling,
        )
        return x, y

    def _cells(self) -> tuple[list[str], np.ndarray]:
        # grid[differences high, involvement high] -> position in ASSAEL_SEGMENTS
        return list(ASSAEL_SEGMENTS), np.array([[2, 1], [3, 0]])
