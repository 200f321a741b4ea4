"""Pareto/NBD: Poisson purchases and an exponential lifetime, both gamma-mixed."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import expit, gammaln, hyp2f1

from ._common import _RepeatBuyingModel

__all__ = ["ParetoNBDModel"]

_NAMES = ("r", "alpha", "s", "beta")
#: Search region of every log-parameter, with times in units of the mean age T.
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-6, 1e6], [1e-4, 1e4], [1e-6, 1e6]]))
#: Relative step (in log-parameters) of the central differences of the gradient.
_STEP = 1e-5
#: Gauss-Legendre rule on [0, 1]: the fallback of the hypergeometric closed form.
_NODES, _WEIGHTS = leggauss(64)
_NODES, _WEIGHTS = (_NODES + 1.0) / 2.0, _WEIGHTS / 2.0
#: Panels x nodes of the composite rule of the purchase-count integral.
_PMF_PANELS, (_PMF_NODES, _PMF_WEIGHTS) = 8, leggauss(32)


def _log_hyp(m: Any, b: Any, z: Any) -> Any:
    """log 2F1(m, b; m + 1; z) for z in [0, 1) (``nan`` where scipy overflows)."""
    with np.errstate(all="ignore"):
        return np.log(hyp2f1(m, b, m + 1.0, z))


def _log_integral(r: Any, alpha: Any, s: Any, beta: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """log of ``I = int_{t_x}^{T} (alpha + u)^-(r + x) (beta + u)^-(s + 1) du``.

    The closed form of Fader & Hardie (2005, "A note on implementing the Pareto/NBD
    model in MATLAB"), in log space: with ``m = r + s + x``, ``I = (G(t_x) - G(T)) / m``
    where ``G(u) = 2F1(m, b; m + 1; |alpha - beta| / (max + u)) / (max + u)^m``,
    ``b = s + 1`` when ``alpha >= beta`` and ``r + x`` otherwise, so that the
    argument lies in [0, 1). The difference is taken as ``G(t_x) (1 - G(T)/G(t_x))``
    (``-expm1``), exact when ``T = t_x``. Where scipy's 2F1 overflows (argument
    near 1 with large ``b``), the integral is computed by quadrature instead
    (:func:`_log_integral_quadrature`). Arguments broadcast.
    """
    r, alpha, s, beta, x, t_x, T = np.broadcast_arrays(r, alpha, s, beta, x, t_x, T)
    m = r + s + x
    top = np.maximum(alpha, beta)
    gap = np.abs(alpha - beta)
    b = np.where(alpha >= beta, s + 1.0, r + x)
    with np.errstate(all="ignore"):
        log_g_recent = -m * np.log(top + t_x) + _log_hyp(m, b, gap / (top + t_x))
        log_g_end = -m * np.log(top + T) + _log_hyp(m, b, gap / (top + T))
        drop = np.minimum(log_g_end - log_g_recent, 0.0)
        out: np.ndarray = log_g_recent + np.log(-np.expm1(drop)) - np.log(m)
    bad = ~np.isfinite(log_g_recent) | ~np.isfinite(log_g_end) | np.isnan(out)
    if bad.any():
        out = out.copy()
        out[bad] = _log_integral_quadrature(
            r[bad], alpha[bad], s[bad], beta[bad], x[bad], t_x[bad], T[bad]
        )
    return out


def _log_integral_quadrature(
    r: np.ndarray,
    alpha: np.ndarray,
    s: np.ndarray,
    beta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """The integral of :func:`_log_integral` by Gauss-Legendre quadrature, in log space.

    With ``p = r + x``, ``q = s + 1``, ``m = p + q - 1`` and ``c = (p alpha + q beta) /
    (p + q)``, the integrand is ``(c + u)^-(m + 1) g(u)`` where ``g`` tends to 1 as
    ``u`` grows; the substitution ``v = ((c + t_x) / (c + u))^m`` turns the integral
    into ``(c + t_x)^-m / m * int g dv`` over ``[v_T, 1]``, which the rule integrates
    without overflow for any parameters (to ~1e-5 relative in the worst corners).
    """
    p, q = r + x, s + 1.0
    m = p + q - 1.0
    c = (p * alpha + q * beta) / (p + q)
    with np.errstate(all="ignore"):
        span = -np.expm1(-m * np.log1p((T - t_x) / (c + t_x)))  # 1 - v_T
        log_v = np.log1p(-span[:, None] * (1.0 - _NODES[None, :]))
        grow = np.expm1(-log_v / m[:, None])  # (c + u) / (c + t_x) - 1
        base = (c + t_x)[:, None]
        log_c_u = np.log(base) + np.log1p(grow)
        log_g = p[:, None] * (log_c_u - np.log((alpha + t_x)[:, None] + base * grow)) + q[
            :, None
        ] * (log_c_u - np.log((beta + t_x)[:, None] + base * grow))
        peak = np.max(log_g, axis=1)
        total = np.exp(log_g - peak[:, None]) @ _WEIGHTS
        out: np.ndarray = -m * np.log(c + t_x) - np.log(m) + np.log(span) + peak + np.log(total)
    return out


def _log_likelihood(r: Any, alpha: Any, s: Any, beta: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-row log-likelihood (Schmittlein, Morrison & Colombo, 1987; Fader & Hardie, 2005)::

        L = G(r + x) alpha^r beta^s / G(r)
            * [1 / ((alpha + T)^(r + x) (beta + T)^s) + s I(t_x, T)]

    the first term for a customer still alive at ``T``, the second for one who
    died between ``t_x`` and ``T`` (:func:`_log_integral`). Arguments broadcast.
    """
    with np.errstate(all="ignore"):
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        died = np.log(s) + _log_integral(r, alpha, s, beta, x, t_x, T)
        out: np.ndarray = (
            gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        ) + np.logaddexp(alive, died)
    return out


def _log_odds_dead(params: np.ndarray, x: Any, t_x: Any, T: Any) -> Any:
    """log(P(dead) / P(alive)) = log(s I) - log of the alive term."""
    r, alpha, s, beta = params
    with np.errstate(all="ignore"):
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return np.log(s) + _log_integral(r, alpha, s, beta, x, t_x, T) - alive


def _lifetime_share(shape_minus_one: Any, log_growth: Any) -> Any:
    """``(1 - exp(-c L)) / c``, continuous at ``c = 0`` (where it is ``L``)."""
    c, L = np.broadcast_arrays(shape_minus_one, log_growth)
    small = np.abs(c * L) < 1e-8
    with np.errstate(all="ignore"):
        out = np.where(small, L * (1.0 - 0.5 * c * L), -np.expm1(-c * L) / np.where(small, 1.0, c))
    return out


def _fresh_pmf_tail(
    n: np.ndarray, t: np.ndarray, r: np.ndarray, alpha: np.ndarray, s: float, beta: np.ndarray
) -> np.ndarray:
    """P(n purchases in [0, t], death before t) of a customer alive at 0, for n > 0.

    ``s alpha beta^s G(r + n) / (G(r) n!) int_0^z w^n (1 - w)^(r + s - 1)
    (beta + (alpha - beta) w)^-(s + 1) dw`` with ``z = t / (alpha + t)`` (the
    substitution ``w = u / (alpha + u)`` of the integral over the time of death
    ``u``), by a composite Gauss-Legendre rule in log space: every term is
    positive, so unlike the closed form of Fader & Hardie's note on the
    conditional pmf (a difference of hypergeometric sums) nothing cancels.
    """
    z = t / (alpha + t)
    edges = np.arange(_PMF_PANELS + 1) / _PMF_PANELS
    left = edges[:-1, None]
    nodes = (left + (_PMF_NODES[None, :] + 1.0) / (2.0 * _PMF_PANELS)).ravel()
    weights = np.tile(_PMF_WEIGHTS / (2.0 * _PMF_PANELS), _PMF_PANELS)
    with np.errstate(all="ignore"):
        w = z[:, None] * nodes[None, :]
        log_f = (
            n[:, None] * np.log(w)
            + (r + s - 1.0)[:, None] * np.log1p(-w)
            - (s + 1.0) * np.log(beta[:, None] + (alpha - beta)[:, None] * w)
        )
        peak = np.max(log_f, axis=1)
        integral = np.log(np.exp(log_f - peak[:, None]) @ weights) + peak + np.log(z)
        log_c = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0)
        out: np.ndarray = np.exp(np.log(s) + np.log(alpha) + s * np.log(beta) + log_c + integral)
    return np.where(t > 0, out, 0.0)


class ParetoNBDModel(_RepeatBuyingModel):
    """Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo, 1987).

    While alive, a customer buys as a Poisson process with rate ``lambda ~
    Gamma(r, alpha)``; their lifetime is exponential with rate ``mu ~ Gamma(s,
    beta)`` (so customers can leave at any time, not only after a purchase as in
    BG/NBD). The four parameters are fitted by maximum likelihood on a
    :func:`~behaviorseg.summaries.clv_summary` table (frequency, recency, T), with
    the likelihood of Fader & Hardie (2005), "A note on implementing the Pareto/NBD
    model in MATLAB".

    Parameters
    ----------
    frequency_col, recency_col, T_col : str
        Column names read from a DataFrame. A plain array is read by position in
        that order.
    penalizer_coef : float
        Optional L2 penalty, lifetimes' definition for its ``ParetoNBDFitter``:
        ``penalizer_coef * (r**2 + (alpha / max T)**2 + s**2 + (beta / max T)**2)``
        added to the *total* negative log-likelihood (lifetimes adds it to the mean
        for BG/NBD, to the total here). Default 0: exact maximum likelihood.

    Attributes
    ----------
    params_ : Series
        Fitted ``r``, ``alpha``, ``s``, ``beta``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood (``nan``
        where the likelihood is flat in a parameter).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_customers_ : int
        Number of customers fitted (the sum of ``sample_weight`` when given).
    n_distinct_ : int
        Number of distinct (frequency, recency, T) rows the likelihood was
        evaluated on (identical rows are collapsed with weights).
    optimizer_result_ : OptimizeResult
        scipy's result (iterations, message).

    Notes
    -----
    - **The hypergeometric terms.** The probability of having died between the
      last purchase and ``T`` is an integral with a closed form in Gauss's 2F1,
      with one branch for ``alpha >= beta`` and one for ``alpha < beta`` (Fader &
      Hardie, 2005). behaviorseg evaluates it in log space and, where scipy's 2F1
      overflows (its argument near 1 with a large frequency), integrates the same
      expression by quadrature, so the likelihood and every prediction stay finite
      in the whole search region (property-tested). The gradient is taken by
      central differences.
    - **P(alive)** is ``1 / (1 + s I(t_x, T) (alpha + T)^(r + x) (beta + T)^s)``: below 1
      for one-time buyers too, falling with ``T``.
    - ``expected_purchases`` is ``P(alive) (r + x)(beta + T) / ((alpha + T)(s - 1))
      [1 - ((beta + T) / (beta + T + t))^(s - 1)]``, continuous at ``s = 1``.
      ``probability_of_n_purchases`` integrates over the time of death by
      quadrature (all terms positive).
    - **Search region.** ``r``, ``s`` in [1e-4, 1e4], ``alpha``, ``beta`` in [1e-6,
      1e6] times the mean ``T``. Time units, bound warnings, determinism and bad
      input are as for :class:`~behaviorseg.models.BetaGeoModel`.

    Examples
    --------
    The 39-week calibration of the CDNOW sample, in weeks (Fader & Hardie, 2005):

    >>> import warnings
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import ParetoNBDModel
    >>> tx = bs.datasets.load_cdnow()
    >>> with warnings.catch_warnings():  # rows after as_of are excluded, with a warning
    ...     warnings.simplefilter("ignore")
    ...     summary = bs.clv_summary(tx, as_of="1997-09-30", freq="D", freq_multiplier=7)
    >>> model = ParetoNBDModel().fit(summary)
    >>> model.params_.round(3)
    r         0.553
    alpha    10.578
    s         0.606
    beta     11.669
    Name: params_, dtype: float64
    """

    _NAMES = _NAMES
    _BOUNDS = _BOUNDS
    _TIME_SCALES = (False, True, False, True)
    _PENALTY_ON_TOTAL = True

    def _terms(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        levels: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        # The value and the 8 shifted parameter sets of the central differences in
        # one vectorised call (rows of `sets`).
        shifts = np.vstack([np.zeros(4), _STEP * np.eye(4), -_STEP * np.eye(4)])
        sets = params[None, :] * np.exp(shifts)
        r, alpha, s, beta = (sets[:, [k]] for k in range(4))
        ll = _log_likelihood(r, alpha, s, beta, x, t_x, T)
        step = params * (np.exp(_STEP) - np.exp(-_STEP))
        grad = ((ll[1:5] - ll[5:9]) / step[:, None]).T
        out: np.ndarray = ll[0]
        return out, grad

    def _alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Any:
        return expit(-_log_odds_dead(params, x, t_x, T))

    def _expected(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray
    ) -> Any:
        r, alpha, s, beta = params
        alive = self._alive(params, x, t_x, T)
        rate = (r + x) * (beta + T) / (alpha + T)
        return alive * rate * _lifetime_share(s - 1.0, np.log1p(t / (beta + T)))

    def _pmf(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        t: np.ndarray,
        n: np.ndarray,
    ) -> Any:
        # Alive at T, a customer starts afresh with rate ~ Gamma(r + x, alpha + T) and
        # lifetime rate ~ Gamma(s, beta + T).
        r, alpha, s, beta = params
        alive = self._alive(params, x, t_x, T)
        shape, a_rate, b_rate = r + x, alpha + T, beta + T
        with np.errstate(all="ignore"):
            nb = np.exp(
                gammaln(shape + n)
                - gammaln(shape)
                - gammaln(n + 1.0)
                + shape * (np.log(a_rate) - np.log(a_rate + t))
                + np.where(n > 0, n * (np.log(t) - np.log(a_rate + t)), 0.0)
                + s * (np.log(b_rate) - np.log(b_rate + t))
            )
        fresh = nb.copy()
        zero = n == 0
        if zero.any():  # no purchase: the likelihood of an empty history of length t
            z = np.zeros(int(zero.sum()))
            fresh[zero] = np.exp(
                _log_likelihood(shape[zero], a_rate[zero], s, b_rate[zero], z, z, t[zero])
            )
        some = ~zero
        if some.any():
            fresh[some] = nb[some] + _fresh_pmf_tail(
                n[some], t[some], shape[some], a_rate[some], s, b_rate[some]
            )
        return np.where(zero, 1.0 - alive, 0.0) + alive * fresh
