"""BG/NBD: the beta-geometric / negative binomial model of repeat buying."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1

from ._common import _levels, _RepeatBuyingModel

__all__ = ["BetaGeoModel"]

_NAMES = ("r", "alpha", "a", "b")
#: Search region of every log-parameter, with times in units of the mean age T; see
#: the class docstring.
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-6, 1e6], [1e-4, 1e4], [1e-4, 1e4]]))
#: Gauss-Jacobi nodes used where the closed form of E[purchases] is not usable.
_QUADRATURE_NODES = 80


def _log_likelihood_terms(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    shift: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and its gradient (rows x 4) in the natural parameters.

    Fader, Hardie & Lee (2005), eq. 6, written in log space::

        L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
          + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    With ``shift=1`` it is the MBG/NBD likelihood (Batislam, Denizel & Filiztekin,
    2007), where a customer may also drop out right after the first purchase: ``x``
    becomes ``x + 1`` in the beta functions and the second term is always present.

    The gamma-function terms depend on ``x`` only, which takes few distinct values:
    they are evaluated once per value (``levels`` = the distinct values and each
    row's code, from :func:`_levels`) and gathered, which makes the likelihood of a
    million customers ~10x cheaper.
    """
    r, alpha, a, b = params
    values, codes = _levels(x) if levels is None else levels
    repeat = x + shift > 0
    # Terms of x alone, on the distinct values (kx = distinct x; kb = the dropout
    # opportunities survived, x + shift).
    kx = values
    kb = kx + shift
    k_repeat = kb > 0
    with np.errstate(all="ignore"):
        k_common = gammaln(r + kx) - gammaln(r) - betaln(a, b)
        k_first = betaln(a, b + kb)
        k_second = np.where(k_repeat, betaln(a + 1, b + kb - 1), -np.inf)
        k_d_r = digamma(r + kx) - digamma(r)
        k_psi_abx = digamma(a + b + kb)
        k_psi_bx = digamma(b + kb)
        k_d_b_second = np.where(k_repeat, digamma(np.where(k_repeat, b + kb - 1, 1.0)), 0.0)
    d_a_second = np.where(repeat, digamma(a + 1) - digamma(a), 0.0)

    log_at = np.log(alpha + T)
    log_ax = np.log(alpha + t_x)
    first = k_first[codes] - (r + x) * log_at
    with np.errstate(all="ignore"):
        second = k_second[codes] - (r + x) * log_ax
    total = np.logaddexp(first, second)
    share = np.exp(first - total)  # weight of the first term; 1 for one-time buyers
    other = 1.0 - share

    psi_ab = digamma(a + b)
    psi_abx = k_psi_abx[codes]
    grad = np.empty((len(x), 4))
    grad[:, 0] = k_d_r[codes] + np.log(alpha) - share * log_at - other * log_ax
    grad[:, 1] = r / alpha - (r + x) * (share / (alpha + T) + other / (alpha + t_x))
    grad[:, 2] = psi_ab - psi_abx + other * d_a_second
    grad[:, 3] = (
        psi_ab - digamma(b) - psi_abx + share * k_psi_bx[codes] + other * k_d_b_second[codes]
    )
    loglik: np.ndarray = k_common[codes] + r * np.log(alpha) + total
    return loglik, grad


def _expected_count(
    shape: np.ndarray, rate: np.ndarray, beta_a: Any, beta_b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """E over p ~ Beta(beta_a, beta_b) of (1 - (rate / (rate + p t))^shape) / p.

    This is the expected number of purchases in a period of length ``t`` of a customer
    who is alive at its start, with purchase rate ~ Gamma(shape, rate) and dropout
    probability ~ Beta(beta_a, beta_b) (the BG/NBD story). The closed form uses the
    Gaussian hypergeometric function; where it is singular (``beta_a`` near 1) or
    not finite, Gauss-Jacobi quadrature of the same integral is used instead (the
    integrand is bounded and smooth, so this is accurate for any parameters).
    """
    # Any argument may carry a draws axis (parameter draws x customers): see _uncertainty.
    shape, rate, beta_a, beta_b, t = np.broadcast_arrays(shape, rate, beta_a, beta_b, t)
    z = t / (rate + t)
    with np.errstate(all="ignore"):
        closed = (
            (beta_a + beta_b - 1.0)
            / (beta_a - 1.0)
            * (
                1.0
                - np.exp(shape * (np.log(rate) - np.log(rate + t)))
                * hyp2f1(shape, beta_b, beta_a + beta_b - 1.0, z)
            )
        )
    out: np.ndarray = np.asarray(closed, dtype=np.float64)
    bad = ~np.isfinite(out) | (out < 0) | (abs(beta_a - 1.0) < 1e-4)
    if bad.any():
        out = out.copy()
        out[bad] = _expected_count_quadrature(
            shape[bad], rate[bad], beta_a[bad], beta_b[bad], t[bad]
        )
    return out


def _beta_rule(beta_a: float, beta_b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature nodes and weights (summing to 1) for p ~ Beta(beta_a, beta_b).

    Golub-Welsch on the Jacobi recurrence of the weight (1-u)^(beta_b-1) (1+u)^(beta_a-1),
    u = 2p - 1. The weights come from the eigenvectors, already normalised, so large
    parameters do not overflow (scipy's ``roots_jacobi`` does above ~1,000).
    """
    al, be = beta_b - 1.0, beta_a - 1.0
    k = np.arange(n, dtype=np.float64)
    s = 2.0 * k + al + be
    with np.errstate(all="ignore"):
        diag = (be**2 - al**2) / (s * (s + 2.0))
    diag[0] = (be - al) / (al + be + 2.0)
    m = k[1:]
    sm = 2.0 * m + al + be
    with np.errstate(all="ignore"):
        off2 = 4.0 * m * (m + al) * (m + be) * (m + al + be) / (sm**2 * (sm + 1.0) * (sm - 1.0))
    off2[0] = 4.0 * (1.0 + al) * (1.0 + be) / ((2.0 + al + be) ** 2 * (3.0 + al + be))
    nodes, vectors = eigh_tridiagonal(diag, np.sqrt(off2))
    weights = vectors[0] ** 2
    return (1.0 + nodes) / 2.0, weights / weights.sum()


def _expected_count_quadrature(
    shape: np.ndarray, rate: np.ndarray, beta_a: Any, beta_b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Gauss-Jacobi quadrature of :func:`_expected_count`, one rule per distinct
    ``(beta_a, beta_b)`` pair."""
    out = np.empty(len(shape))
    beta_a = np.broadcast_to(beta_a, beta_b.shape)
    distinct, inverse = np.unique(np.stack([beta_a, beta_b], axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for k, (ba, bb) in enumerate(distinct):  # one pass per distinct frequency, not customer
        rows = inverse == k
        p, weights = _beta_rule(float(ba), float(bb), _QUADRATURE_NODES)
        scaled = p[None, :] * (t[rows] / rate[rows])[:, None]
        value = -np.expm1(-shape[rows][:, None] * np.log1p(scaled)) / p[None, :]
        out[rows] = value @ weights
    return out


def _bg_pmf(
    n: np.ndarray, t: np.ndarray, r: np.ndarray, alpha: np.ndarray, a: float, b: np.ndarray
) -> np.ndarray:
    """P(X(t) = n) of a BG/NBD customer alive at time 0 (Fader, Hardie & Lee, 2005, eq. 8).

    ``B(a, b+n)/B(a, b) NB(n) + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB >= n)``, with
    ``NB`` the negative binomial count of a Gamma(r, alpha)-Poisson process over
    ``t``; its tail ``1 - sum_{j<n} NB(j)`` is the regularised incomplete beta
    function ``I_{t/(alpha+t)}(n, r)``, which does not lose digits to cancellation.
    """
    with np.errstate(all="ignore"):
        log_p = np.log(alpha) - np.log(alpha + t)
        log_q = np.log(t) - np.log(alpha + t)
        log_nb = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1.0)
            + r * log_p
            + np.where(n > 0, n * log_q, 0.0)
        )
        first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nb)
        safe_n = np.where(n > 0, n, 1.0)
        tail = betainc(safe_n, r, t / (alpha + t))
        second = np.where(
            n > 0, np.exp(betaln(a + 1.0, b + safe_n - 1.0) - betaln(a, b)) * tail, 0.0
        )
    out: np.ndarray = first + second
    return out


class _BetaGeoFamily(_RepeatBuyingModel):
    """BG/NBD and MBG/NBD: the same formulas with ``_SHIFT`` dropout opportunities more.

    In BG/NBD a customer may drop out after each repeat purchase (``_SHIFT = 0``);
    in MBG/NBD also right after the first purchase (``_SHIFT = 1``), so a customer
    with ``x`` repeat purchases has survived ``x + _SHIFT`` coin flips. Given that
    they are alive, their dropout probability follows Beta(a, b + x + _SHIFT).
    """

    _SHIFT: ClassVar[int] = 0
    _NAMES = ("r", "alpha", "a", "b")
    _BOUNDS = _BOUNDS
    _TIME_SCALES = (False, True, False, False)

    def _terms(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        levels: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return _log_likelihood_terms(params, x, t_x, T, levels, shift=self._SHIFT)

    def _alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Any:
        r, alpha, a, b = params
        flips = x + self._SHIFT
        repeat = flips > 0
        with np.errstate(all="ignore"):
            log_odds = (
                np.log(a)
                - np.log(np.where(repeat, b + flips - 1, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        return np.where(repeat, expit(-log_odds), 1.0)

    def _expected(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray
    ) -> Any:
        r, alpha, a, b = params
        count = _expected_count(r + x, alpha + T, a, b + x + self._SHIFT, t)
        return self._alive(params, x, t_x, T) * count

    def _pmf(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        t: np.ndarray,
        n: np.ndarray,
    ) -> Any:
        r, alpha, a, b = params
        alive = self._alive(params, x, t_x, T)
        fresh = _bg_pmf(n, t, r + x, alpha + T, a, b + x + self._SHIFT)
        return np.where(n == 0, 1.0 - alive, 0.0) + alive * fresh


class BetaGeoModel(_BetaGeoFamily):
    """BG/NBD model of repeat buying (Fader, Hardie & Lee, 2005).

    While alive, a customer buys as a Poisson process with rate ``lambda ~
    Gamma(r, alpha)``; after each purchase they drop out for good with probability
    ``p ~ Beta(a, b)``. The four parameters are fitted by maximum likelihood on a
    :func:`~behaviorseg.summaries.clv_summary` table: ``frequency`` (repeat
    purchases), ``recency`` (age at the last purchase; 0 for one-time buyers) and
    ``T`` (age at the end of the window), all in the summary's time unit.

    Parameters
    ----------
    frequency_col, recency_col, T_col : str
        Column names read from a DataFrame. A plain array is read by position in
        that order.
    penalizer_coef : float
        Optional L2 penalty, lifetimes' definition: ``penalizer_coef * (r**2 +
        (alpha / max T)**2 + a**2 + b**2)`` added to the mean negative
        log-likelihood, so that fits match lifetimes' ``BetaGeoFitter`` with the
        same ``penalizer_coef``. Default 0: exact maximum likelihood.

    Attributes
    ----------
    params_ : Series
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood (``nan``
        where the likelihood is flat in a parameter).
    covariance_ : DataFrame
        Asymptotic covariance of the parameters (the inverse Hessian), the source
        of :meth:`parameter_draws` and :meth:`interval` (intervals for the
        predictions).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_customers_ : int
        Number of customers fitted.
    n_distinct_ : int
        Number of distinct (frequency, recency, T) rows the likelihood was
        evaluated on (identical rows are collapsed with weights).
    optimizer_result_ : OptimizeResult
        scipy's result (iterations, message).

    Notes
    -----
    - **Recency.** ``recency`` is the age at the last purchase (the buy-till-you-die
      convention), not the days since it (``rfm_table``'s ``recency_days``). Passing
      an ``rfm_table`` raises a :class:`~behaviorseg.exceptions.SchemaError` that
      says so.
    - **P(alive).** ``1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha +
      t_x))^(r + x))`` (Fader, Hardie & Lee, 2005, eq. 11); ``expected_purchases``
      is their eq. 10, ``expected_purchases_new`` eq. 9 and
      ``probability_of_n_purchases`` for a new customer eq. 8.
    - **One-time buyers.** A customer with frequency 0 cannot have dropped out in
      this model (dropout happens after a repeat purchase), so
      ``probability_alive`` is 1 for them: that is the model's answer, not a bug.
      Rank their risk with ``T`` or use the supervised churn route.
    - **Time unit.** The fit runs on ages divided by the mean ``T``, so it does not
      depend on the summary's time unit: ages in days instead of weeks give the same
      ``r``, ``a``, ``b``, seven times ``alpha`` (a time scale) and the same
      predictions over the same calendar span, to ~1e-12.
    - **Search region.** The optimiser works on log-parameters with ``r``, ``a``,
      ``b`` in [1e-4, 1e4] and ``alpha`` in [1e-6, 1e6] times the mean ``T``. On logs
      where the likelihood is nearly flat in ``a`` and ``b`` (few repeat buyers) it
      may stop at a bound; a :class:`~behaviorseg.exceptions.BehaviorsegWarning`
      names the parameter and its region, its standard error is ``nan``, and every
      prediction stays finite in the whole region. No penalty is added unless
      ``penalizer_coef`` > 0.
    - **Determinism.** Identical rows are collapsed and the distinct rows sorted
      before the likelihood is summed, and the optimum is polished by Newton steps:
      the parameters are bit-identical under any reordering of the customers.
    - A fit that does not converge raises
      :class:`~behaviorseg.exceptions.ConvergenceError` and never leaves ``nan``
      parameters behind.

    Examples
    --------
    The 39-week calibration of the CDNOW sample, in weeks (Fader, Hardie & Lee, 2005):

    >>> import warnings
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel
    >>> tx = bs.datasets.load_cdnow()
    >>> with warnings.catch_warnings():  # rows after as_of are excluded, with a warning
    ...     warnings.simplefilter("ignore")
    ...     summary = bs.clv_summary(tx, as_of="1997-09-30", freq="D", freq_multiplier=7)
    >>> model = BetaGeoModel().fit(summary)
    >>> model.params_.round(3)
    r        0.243
    alpha    4.414
    a        0.793
    b        2.426
    Name: params_, dtype: float64
    """
