"""Benefit segments: the benefit (or category) each customer seeks most, within-person."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Interval, Options
from ..summaries._categories import NO_CLEAR_BENEFIT

__all__ = ["BenefitSegmenter"]


class BenefitSegmenter(BaseSegmenter):
    """Name the benefit each customer seeks most, compared with their own other ratings.

    Reads one column per benefit: survey importance ratings (Likert 1-5, 0-10 …)
    or shares of spend per category or attribute
    (:func:`behaviorseg.summaries.category_table`). Each customer's values are
    first standardised *within the customer* (ipsatised), so that a respondent
    who rates everything 9 or 10 is not an "everything seeker": what counts is
    which benefit stands out of their own profile. The segment is the benefit
    with the highest standardised score, or ``"no clear benefit"`` when the top
    two are within ``margin`` of each other (a flat profile always is).

    Parameters
    ----------
    benefits : tuple of str or None, default=None
        Benefit names; the columns read are ``prefix + name``. None: every column
        of a DataFrame whose name starts with ``prefix`` (the name is the rest),
        or every column of a plain array (named ``benefit_0``, ``benefit_1`` …).
    prefix : str, default=""
        Prefix of the benefit columns, e.g. ``"share_"`` for ``category_table``.
    standardize : {"within", "center", "none"}, default="within"
        ``"within"``: minus the customer's mean, divided by the standard
        deviation of their values or by the typical (median) one of the fitted
        customers, whichever is larger; ``"center"``: minus the customer's mean
        only (the margin is then in rating points); ``"none"``: raw values
        (e.g. shares compared as they are).
    margin : float, default=0.75
        Smallest gap between the top two standardised scores for a clear
        benefit, in the units of ``standardize`` (for ``"within"``: standard
        deviations of the customer's own ratings).
    no_clear_label : str, default="no clear benefit"
        Name of the segment of customers without a clear top benefit.

    Attributes
    ----------
    benefits_ : list of str
        The benefit names read, in column order.
    segments_ : list of str
        ``[*benefits_, no_clear_label]``.
    typical_spread_ : float
        Median within-customer standard deviation of the fitted customers (1.0
        unless ``standardize="within"``): the floor of the divisor, so that a
        nearly flat profile (one rating a point above the others) is not blown
        up into a strong preference.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    ``transform`` returns the standardised score of each benefit
    (``<benefit>_score``), the gap between the top two (``benefit_margin``) and
    ``segment_index``. Nothing is learned from the other customers: the rule is
    applied to each customer alone, so labels never depend on the batch.
    Discovering segments by clustering the standardised profiles is left to a
    clustering segmenter (fit it on ``transform``'s scores).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import BenefitSegmenter
    >>> survey = pd.DataFrame({
    ...     "comfort": [9, 10, 4, 7],
    ...     "price": [10, 10, 9, 7],
    ...     "style": [5, 10, 3, 6],
    ... })
    >>> BenefitSegmenter().fit_predict(survey).tolist()
    ['no clear benefit', 'no clear benefit', 'price', 'no clear benefit']
    >>> BenefitSegmenter(margin=0.3).fit_predict(survey).tolist()
    ['price', 'no clear benefit', 'price', 'no clear benefit']
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "benefits": [InstanceOf((tuple, list, type(None)))],
        "prefix": [InstanceOf((str,))],
        "standardize": [Options(("within", "center", "none"))],
        "margin": [Interval(float, 0, None)],
        "no_clear_label": [InstanceOf((str,))],
    }
    _min_features = 2

    def __init__(
        self,
        *,
        benefits: tuple[str, ...] | None = None,
        prefix: str = "",
        standardize: str = "within",
        margin: float = 0.75,
        no_clear_label: str = NO_CLEAR_BENEFIT,
    ) -> None:
        self.benefits = benefits
        self.prefix = prefix
        self.standardize = standardize
        self.margin = margin
        self.no_clear_label = no_clear_label

    # --- columns and names ----------------------------------------------------------
    def _names(self) -> list[str]:
        """Benefit names from the parameters, or from the fitted frame's columns."""
        if self.benefits is not None:
            return [str(b) for b in self.benefits]
        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            return []
        p = self.prefix
        return [str(c)[len(p) :] for c in columns if str(c).startswith(p) and str(c) != p]

    def _input_columns(self) -> list[str]:
        return [self.prefix + name for name in self._names()]

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        return {f"benefits[{i}]": column for i, column in enumerate(columns)}

    def _output_names(self, n_columns: int) -> list[str]:
        return [*(f"{b}_score" for b in self.benefits_), "benefit_margin", "segment_index"]

    def _n_scores(self) -> int:
        return len(self.benefits_) + 2

    # --- fit / predict --------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: Any) -> None:
        names = self._names() or [f"benefit_{i}" for i in range(X.shape[1])]
        if self.benefits is not None and (
            not all(isinstance(b, str) and b for b in self.benefits) or len(names) < 2
        ):
            raise ValueError(f"benefits={self.benefits!r} must be two or more non-empty str")
        every = [*names, self.no_clear_label]
        if len(set(every)) != len(every):
            raise ValueError(
                f"the benefit names {names} and no_clear_label={self.no_clear_label!r} must "
                f"all be distinct"
            )
        if len(names) < 2:
            raise ValueError(
                f"BenefitSegmenter needs at least 2 feature(s) (benefits) to compare, got "
                f"{len(names)} feature(s) with prefix={self.prefix!r}"
            )
        self.benefits_ = names
        self.segments_ = every
        spread = np.median(X.std(axis=1)) if self.standardize == "within" else 1.0
        self.typical_spread_ = float(spread) if spread > 0 else 1.0

    def _scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardised scores, the gap between the top two, and the segment codes."""
        if self.standardize == "none":
            scores = X.copy()
        else:
            scores = X - X.mean(axis=1, keepdims=True)
            if self.standardize == "within":
                spread = np.maximum(X.std(axis=1, keepdims=True), self.typical_spread_)
                scores = scores / spread
        top_two = -np.partition(-scores, 1, axis=1)[:, :2]
        gap = top_two[:, 0] - top_two[:, 1]
        clear = (gap >= self.margin) & (gap > 0)
        code = np.where(clear, np.argmax(scores, axis=1), len(self.benefits_))
        return scores, gap, code.astype(np.int64)

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._scores(X)[2]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        scores, gap, code = self._scores(X)
        return np.column_stack([scores, gap, code.astype(np.float64)])
