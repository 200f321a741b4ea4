"""Pareto/NBD: Poisson purchases and an exponential lifetime, both gamma-mixed."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd
from numpy.polynomial.legendre import leggauss
from scipy.special import digamma, expit, gammaln, hyp2f1

from ._common import _levels, _RepeatBuyingModel

__all__ = ["ParetoNBDModel"]

_NAMES = ("r", "alpha", "s", "beta")
#: Search region of every log-parameter, with times in units of the mean age T.
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-6, 1e6], [1e-4, 1e4], [1e-6, 1e6]]))
#: Relative step (in log-parameters) of the central differences of the gradient, where
#: the series of :func:`_log_tail` is not used.
_STEP = 1e-5
#: Largest argument z of the series of :func:`_log_tail` (~780 terms at most); rows
#: beyond it (rates 20 x apart with a short recency) take the 2F1 closed form.
_SERIES_MAX_Z = 0.95
#: Terms of the series added per vectorised step.
_SERIES_BLOCK = 16
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


def _series(p: np.ndarray, m: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """``S = sum_k c_k z^k`` with ``c_0 = 1/m``, ``c_k = c_(k-1) (p + k - 1) / (m + k)``,
    and its derivatives ``dS/dp`` (with ``m = p + q - 1`` moving too), ``dS/dq`` and
    ``dS/dz``, for ``0 <= z <= _SERIES_MAX_Z`` and ``m + 1 > p > 0``.

    Every term is positive and the ratio of successive terms is below ``z``, so ``K``
    terms leave a relative remainder below ``z^(K+1) / (1 - z)``: each element gets
    the ``K`` that makes it less than half an ulp. The elements are sorted by ``K``,
    so that each block of :data:`_SERIES_BLOCK` terms runs on a prefix of the arrays
    (views, no copies); within a block the terms come from cumulative products down
    the block's rows (one row per term, so each step is a contiguous vector
    operation).
    """
    with np.errstate(divide="ignore"):
        needed = np.log(0.5 * np.finfo(np.float64).eps * (1.0 - z)) / np.log(np.maximum(z, 1e-300))
    order = np.argsort(-needed, kind="stable")
    p, m, z, needed = p[order], m[order], z[order], needed[order]
    first = 1.0 / m
    total, d_p, d_q, moment = first.copy(), -first * first, -first * first, np.zeros(len(z))
    term, log_d_p, log_d_q = first.copy(), -first, -first  # c_k z^k, d log c_k / dp, dq
    ks = np.arange(1.0, _SERIES_BLOCK + 1.0)
    done = 0
    while True:
        n = int(np.searchsorted(-needed, -float(done), side="left"))  # rows still adding
        if n == 0:
            break
        k = done + ks[:, None]
        pk = p[:n] + (k - 1.0)
        inv_mk = 1.0 / (m[:n] + k)
        terms = np.cumprod(pk * inv_mk * z[:n], axis=0)
        terms *= term[:n]
        lp = np.cumsum(1.0 / pk - inv_mk, axis=0)
        lp += log_d_p[:n]
        lq = np.cumsum(inv_mk, axis=0)
        np.subtract(log_d_q[:n], lq, out=lq)
        total[:n] += terms.sum(axis=0)
        d_p[:n] += np.einsum("ij,ij->j", terms, lp)
        d_q[:n] += np.einsum("ij,ij->j", terms, lq)
        moment[:n] += (done + ks) @ terms  # sum k c_k z^k
        term[:n], log_d_p[:n], log_d_q[:n] = terms[-1], lp[-1], lq[-1]
        done += _SERIES_BLOCK
    with np.errstate(all="ignore"):  # dS/dz = sum k c_k z^(k-1); c_1 at z = 0
        d_z = np.where(z > 0, moment / np.where(z > 0, z, 1.0), p / (m * (m + 1.0)))
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return total[back], d_p[back], d_q[back], d_z[back]


def _log_tail(p: Any, q: Any, a: float, b: float, u: Any) -> tuple[np.ndarray, np.ndarray]:
    """``log H(u)``, ``H(u) = int_u^inf (a + v)^-p (b + v)^-q dv``, and its gradient.

    For ``a >= b`` and ``z = (a - b) / (a + u) <= _SERIES_MAX_Z``. Euler's
    transformation of Fader & Hardie's 2F1 gives a series of positive terms::

        H(u) = (a + u)^-p (b + u)^(1 - q) sum_k (p)_k / (p + q - 1)_(k+1) z^k

    (:func:`_series`), whose derivatives in ``p`` and ``q`` are sums of the same
    terms weighted by digamma differences, and in ``a`` and ``b`` go through ``z``.
    Returns ``log H`` and the gradient, rows x (p, q, a, b).
    """
    p, q, u = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(p, q, u))
    A, B = a + u, b + u
    z = (a - b) / A
    total, d_p, d_q, d_z = _series(p.ravel(), (p + q - 1.0).ravel(), z.ravel())
    log_a, log_b = np.log(A), np.log(B)
    grad = np.empty((len(total), 4))
    grad[:, 0] = d_p / total - log_a
    grad[:, 1] = d_q / total - log_b
    slope = d_z / total / A  # d log S / dz, times dz/db = -1 / A
    grad[:, 2] = slope * (1.0 - z) - p / A
    grad[:, 3] = (1.0 - q) / B - slope
    out: np.ndarray = (1.0 - q) * log_b - p * log_a + np.log(total)
    return out, grad


def _age_pairs(x_codes: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct (x, age) pairs among the rows' (x, t_x) and (x, T).

    Returns each row's pair code, ``t_x`` rows first then ``T`` rows, and each
    pair's frequency code and age.
    """
    age_codes, ages = pd.factorize(np.concatenate([t_x, T]))
    n_ages = len(ages)
    pairs, distinct = pd.factorize(np.tile(x_codes.astype(np.int64), 2) * n_ages + age_codes)
    age: np.ndarray = np.asarray(ages, dtype=np.float64)[distinct % n_ages]
    return pairs, distinct // n_ages, age


class _PairMemo:
    """One-slot memo of :func:`_age_pairs` for the arrays of the fit in progress.

    The optimiser evaluates the likelihood some fifty times on the same arrays,
    which the fit creates and never modifies: they are recognised by identity
    (weak references, so the memo keeps nothing alive). The key includes the
    frequency codes, which only the fit (or, for predictions, the call itself)
    holds, so a caller's array modified in place is never mistaken for the
    original.
    """

    def __init__(self) -> None:
        self._slot: tuple[tuple[weakref.ref[np.ndarray], ...], tuple[np.ndarray, ...]] | None
        self._slot = None

    def get(self, x_codes: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
        arrays = (x_codes, t_x, T)
        slot = self._slot  # one read: another thread may replace it meanwhile
        if slot is not None and all(ref() is a for ref, a in zip(slot[0], arrays, strict=True)):
            return slot[1]
        value = _age_pairs(x_codes, t_x, T)
        self._slot = (tuple(weakref.ref(a) for a in arrays), value)
        return value


_PAIRS = _PairMemo()


def _log_integral_and_gradient(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """``log I`` of :func:`_log_integral` and its gradient, rows x (r, alpha, s, beta).

    ``I = H(t_x) - H(T)`` (:func:`_log_tail`, with ``p = r + x``, ``q = s + 1`` and the
    larger of alpha, beta first). ``H`` depends on the row through ``(x, u)`` only:
    it is computed once per distinct (x, t_x) or (x, T) pair and gathered (a million
    simulated customers have 160,000 distinct rows but 11,000 such pairs).
    """
    pairs, pair_x, age = _PAIRS.get(levels[1], t_x, T)
    shape = r + levels[0][pair_x]
    if alpha >= beta:
        log_h, g = _log_tail(shape, s + 1.0, alpha, beta, age)
        order = [0, 2, 1, 3]  # (p, q, a, b) -> (r, alpha, s, beta)
    else:
        log_h, g = _log_tail(s + 1.0, shape, beta, alpha, age)
        order = [1, 3, 0, 2]
    g = g[:, order]
    recent, end = pairs[: len(x)], pairs[len(x) :]
    drop = np.minimum(log_h[end] - log_h[recent], 0.0)
    with np.errstate(all="ignore"):
        out: np.ndarray = log_h[recent] + np.log(-np.expm1(drop))
        # d log(H1 - H2) = g1 + (g1 - g2) H2 / (H1 - H2); nothing to differentiate at I = 0
        grad = g[recent] + (g[recent] - g[end]) / np.expm1(-drop)[:, None]
    grad[drop == 0.0] = 0.0
    return out, grad


def _log_likelihood_and_gradient(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_log_likelihood` per row and its analytic gradient, rows x 4.

    With ``A`` the log of the alive term and ``D = log s + log I`` the log of the
    died one, ``d LL = d(log-gamma and power terms) + (1 - w) dA + w dD``, ``w`` the
    posterior probability of having died (``expit(D - A)``). Terms of ``x`` alone
    are computed once per distinct frequency (``levels``, as in BG/NBD). Rows where
    the series of :func:`_log_tail` would converge slowly (``z`` above
    :data:`_SERIES_MAX_Z` at the last purchase) take the 2F1 closed form of
    :func:`_log_integral` and central differences instead.
    """
    r, alpha, s, beta = (float(v) for v in params)
    ll = np.empty(len(x))
    grad = np.empty((len(x), 4))
    slow = abs(alpha - beta) / (max(alpha, beta) + t_x) > _SERIES_MAX_Z
    fast: np.ndarray | slice = slice(None)
    if slow.any():
        ll[slow], grad[slow] = _log_likelihood_by_differences(params, x[slow], t_x[slow], T[slow])
        fast = ~slow
        x, t_x, T = x[fast], t_x[fast], T[fast]
        levels = None
    x_values, x_codes = _levels(x) if levels is None else levels
    log_i, grad_i = _log_integral_and_gradient(r, alpha, s, beta, x, t_x, T, (x_values, x_codes))
    log_at, log_bt = np.log(alpha + T), np.log(beta + T)
    with np.errstate(all="ignore"):
        alive = -(r + x) * log_at - s * log_bt
        died = np.log(s) + log_i
        total = np.logaddexp(alive, died)
    dead = np.exp(died - total)
    live = 1.0 - dead
    common = (gammaln(r + x_values) - gammaln(r))[x_codes] + r * np.log(alpha) + s * np.log(beta)
    ll[fast] = common + total
    grad[fast, 0] = (
        (digamma(r + x_values) - digamma(r))[x_codes]
        + np.log(alpha)
        - live * log_at
        + dead * grad_i[:, 0]
    )
    grad[fast, 1] = r / alpha - live * (r + x) / (alpha + T) + dead * grad_i[:, 1]
    grad[fast, 2] = np.log(beta) - live * log_bt + dead * (1.0 / s + grad_i[:, 2])
    grad[fast, 3] = s / beta - live * s / (beta + T) + dead * grad_i[:, 3]
    return ll, grad


def _log_likelihood_by_differences(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_log_likelihood` per row and its gradient by central differences.

    The value and the 8 shifted parameter sets in one vectorised call (rows of
    ``sets``), each a relative step of :data:`_STEP`.
    """
    shifts = np.vstack([np.zeros(4), _STEP * np.eye(4), -_STEP * np.eye(4)])
    sets = params[None, :] * np.exp(shifts)
    r, alpha, s, beta = (sets[:, [k]] for k in range(4))
    ll = _log_likelihood(r, alpha, s, beta, x, t_x, T)
    step = params * (np.exp(_STEP) - np.exp(-_STEP))
    grad: np.ndarray = ((ll[1:5] - ll[5:9]) / step[:, None]).T
    out: np.ndarray = ll[0]
    return out, grad


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
      in the whole search region (property-tested).
    - **The fit** maximises the likelihood with its analytic gradient: Euler's
      transformation turns the 2F1 into a series of positive terms whose
      derivatives in all four parameters are sums of the same terms, evaluated
      once per distinct (frequency, age) pair. Where the series would converge
      slowly (``|alpha - beta| / (max(alpha, beta) + t_x) > 0.95``), those rows
      take the closed form and central differences. The fit stops where the
      gradient vanishes to rounding: the exact maximum-likelihood estimate.
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
        return _log_likelihood_and_gradient(params, x, t_x, T, levels)

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
