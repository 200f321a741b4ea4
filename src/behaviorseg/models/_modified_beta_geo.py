"""MBG/NBD: the BG/NBD model with a possible dropout right after the first purchase."""

from __future__ import annotations

from ._beta_geo import _BetaGeoFamily

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(_BetaGeoFamily):
    """MBG/NBD model of repeat buying (Batislam, Denizel & Filiztekin, 2007).

    As BG/NBD (:class:`~behaviorseg.models.BetaGeoModel`), but a customer may drop
    out right after *every* purchase, the first one included: while alive they buy
    as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``, and after each
    purchase they leave for good with probability ``p ~ Beta(a, b)``. A one-time
    buyer may therefore be gone, which BG/NBD rules out. The likelihood, P(alive)
    and the expectations are those of BG/NBD with ``x + 1`` dropout opportunities
    instead of ``x`` (Batislam et al., 2007, Appendix A; the conditional
    expectation as corrected by Wagner & Hoppe, 2008); both models share one
    implementation.

    Parameters
    ----------
    frequency_col, recency_col, T_col : str
        Column names read from a DataFrame. A plain array is read by position in
        that order.
    penalizer_coef : float
        Optional L2 penalty, lifetimes' definition: ``penalizer_coef * (r**2 +
        (alpha / max T)**2 + a**2 + b**2)`` added to the mean negative
        log-likelihood, so that fits match lifetimes' ``ModifiedBetaGeoFitter``.
        Default 0: exact maximum likelihood.

    Attributes
    ----------
    params_ : Series
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood.
    covariance_ : DataFrame
        Asymptotic covariance of the parameters (the inverse Hessian), the source
        of :meth:`parameter_draws` and :meth:`interval` (intervals for the
        predictions).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_customers_ : int
        Number of customers fitted (the sum of ``sample_weight`` when given).
    n_distinct_ : int
        Number of distinct (frequency, recency, T) rows the likelihood was
        evaluated on.
    optimizer_result_ : OptimizeResult
        scipy's result (iterations, message).

    Notes
    -----
    - **P(alive)** is ``1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x))^(r + x))``
      for every customer, one-time buyers included (``t_x = 0``): unlike BG/NBD it
      falls with ``T`` for them, so it ranks their risk.
    - Fitting, the search region, time units, determinism and bad input are as
      for :class:`~behaviorseg.models.BetaGeoModel`.

    Examples
    --------
    The 39-week calibration of the CDNOW sample, in weeks:

    >>> import warnings
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import ModifiedBetaGeoModel
    >>> tx = bs.datasets.load_cdnow()
    >>> with warnings.catch_warnings():  # rows after as_of are excluded, with a warning
    ...     warnings.simplefilter("ignore")
    ...     summary = bs.clv_summary(tx, as_of="1997-09-30", freq="D", freq_multiplier=7)
    >>> model = ModifiedBetaGeoModel().fit(summary)
    >>> model.params_.round(3)
    r        0.525
    alpha    6.183
    a        0.891
    b        1.614
    Name: params_, dtype: float64
    """

    _SHIFT = 1
