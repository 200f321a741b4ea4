"""BG/NBD: the beta-geometric / negative binomial model of repeat buying."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import eigh_tridiagonal
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError
from ._common import (
    _check_whole,
    _collapse,
    _fit_bounded,
    _Input,
    _levels,
    _read_input,
    _record_fit,
    _summary_table,
    _wrap,
)

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
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and its gradient (rows x 4) in the natural parameters.

    Fader, Hardie & Lee (2005), eq. 6, written in log space::

        L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
          + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    The gamma-function terms depend on ``x`` only, which takes few distinct values:
    they are evaluated once per value (``levels`` = the distinct values and each
    row's code, from :func:`_levels`) and gathered, which makes the likelihood of a
    million customers ~10x cheaper.
    """
    r, alpha, a, b = params
    values, codes = _levels(x) if levels is None else levels
    repeat = x > 0
    # Terms of x alone, on the distinct values (kx = distinct x).
    kx = values
    k_repeat = kx > 0
    with np.errstate(all="ignore"):
        k_common = gammaln(r + kx) - gammaln(r) - betaln(a, b)
        k_first = betaln(a, b + kx)
        k_second = np.where(k_repeat, betaln(a + 1, b + kx - 1), -np.inf)
        k_d_r = digamma(r + kx) - digamma(r)
        k_psi_abx = digamma(a + b + kx)
        k_psi_bx = digamma(b + kx)
        k_d_b_second = np.where(k_repeat, digamma(np.where(k_repeat, b + kx - 1, 1.0)), 0.0)
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
    shape: np.ndarray, rate: np.ndarray, beta_a: float, beta_b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """E over p ~ Beta(beta_a, beta_b) of (1 - (rate / (rate + p t))^shape) / p.

    This is the expected number of purchases in a period of length ``t`` of a customer
    who is alive at its start, with purchase rate ~ Gamma(shape, rate) and dropout
    probability ~ Beta(beta_a, beta_b) (the BG/NBD story). The closed form uses the
    Gaussian hypergeometric function; where it is singular (``beta_a`` near 1) or
    not finite, Gauss-Jacobi quadrature of the same integral is used instead (the
    integrand is bounded and smooth, so this is accurate for any parameters).
    """
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
        out[bad] = _expected_count_quadrature(shape[bad], rate[bad], beta_a, beta_b[bad], t[bad])
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
    shape: np.ndarray, rate: np.ndarray, beta_a: float, beta_b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Gauss-Jacobi quadrature of :func:`_expected_count`, one rule per distinct ``beta_b``."""
    out = np.empty(len(shape))
    distinct, inverse = np.unique(beta_b, return_inverse=True)
    for k, bb in enumerate(distinct):  # one pass per distinct frequency, not per customer
        rows = inverse == k
        p, weights = _beta_rule(beta_a, float(bb), _QUADRATURE_NODES)
        scaled = p[None, :] * (t[rows] / rate[rows])[:, None]
        value = -np.expm1(-shape[rows][:, None] * np.log1p(scaled)) / p[None, :]
        out[rows] = value @ weights
    return out


class BetaGeoModel(BaseEstimator):  # type: ignore[misc]
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

    Attributes
    ----------
    params_ : Series
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood (``nan``
        where the likelihood is flat in a parameter).
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
      prediction stays finite in the whole region. No penalty is added.
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

    def __init__(
        self,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> None:
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col

    # -- input ---------------------------------------------------------------------------

    def _read(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Input]:
        data = _read_input(
            X,
            {
                "x": ("frequency_col", self.frequency_col),
                "t_x": ("recency_col", self.recency_col),
                "T": ("T_col", self.T_col),
            },
            owner=type(self).__name__,
        )
        x, t_x, T = data.values["x"], data.values["t_x"], data.values["T"]
        _check_whole(x, self.frequency_col)
        late = t_x > T
        if late.any():
            raise DataValidationError(
                f"{int(late.sum())} rows have {self.recency_col!r} > {self.T_col!r}: the age at "
                f"the last purchase cannot exceed the age at the end of the window"
            )
        orphan = (x > 0) & (t_x == 0)
        if orphan.any():
            raise DataValidationError(
                f"{int(orphan.sum())} rows have {self.frequency_col!r} > 0 but "
                f"{self.recency_col!r} == 0: a repeat purchase happens after the first one. "
                f"Is {self.recency_col!r} the age at the last purchase (clv_summary), not the "
                f"days since it?"
            )
        return x, t_x, T, data

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> BetaGeoModel:
        """Fit the four parameters by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            The ``clv_summary`` table (frequency, recency, T).
        y : None
            Ignored.

        Returns
        -------
        self : BetaGeoModel

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> model.params_.index.tolist(), model.n_customers_
        (['r', 'alpha', 'a', 'b'], 2357)
        """
        x, t_x, T, _ = self._read(X)
        if len(x) == 0:
            raise DataValidationError("BetaGeoModel.fit needs at least one customer, got 0")
        if not (x > 0).any():
            raise DataValidationError(
                f"column {self.frequency_col!r} is 0 for all {len(x)} customers: with no "
                f"repeat buyer the dropout process cannot be estimated"
            )
        # Distinct rows in sorted order: the fit does not depend on the row order.
        (ux, ut, uT), weights = _collapse(x, t_x, T)
        w = weights.astype(np.float64)
        n = float(w.sum())
        # Times are fitted in units of the mean age T, so the search region and the
        # optimiser's path do not depend on the summary's time unit: fitting on ages
        # in days rather than weeks gives the same r, a, b and 7 x alpha.
        scale = float(w @ uT) / n
        uts, uTs = ut / scale, uT / scale
        levels = _levels(ux)

        def negloglik(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _log_likelihood_terms(params, ux, uts, uTs, levels)
            value = -float(w @ ll) / n
            gradient = -(w @ grad) / n * params
            if not np.isfinite(value):
                return np.inf, np.zeros(4)
            return value, gradient

        def natural_gradient(params: np.ndarray) -> np.ndarray:
            _, grad = _log_likelihood_terms(params, ux, uts, uTs, levels)
            out: np.ndarray = -(w @ grad) / n
            return out

        alpha0 = 1.0 / max(float(w @ ux) / n, 1e-3)  # mean T / mean x, in units of mean T
        starts = [
            np.log([1.0, alpha0, 1.0, 1.0]),
            np.log([0.5, alpha0, 0.5, 2.0]),
            np.log([0.1, 0.1 * alpha0, 0.1, 0.1]),
        ]
        result, at_bound = _fit_bounded(negloglik, starts, _BOUNDS, owner="BetaGeoModel")
        _record_fit(
            self,
            _NAMES,
            result,
            units=np.array([1.0, scale, 1.0, 1.0]),
            bounds=_BOUNDS,
            at_bound=at_bound,
            n_total=n,
            gradient=natural_gradient,
            log_likelihood=lambda params: float(
                w @ _log_likelihood_terms(params, ux, ut, uT, levels)[0]
            ),
        )
        self.n_customers_ = len(x)
        self.n_distinct_ = len(ux)
        return self

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals.

        Returns
        -------
        DataFrame
            Indexed by parameter: ``estimate``, ``std_error``, ``ci_low``,
            ``ci_high`` (Wald intervals on the log scale, so they stay positive).

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> list(BetaGeoModel().fit(X).summary().columns)
        ['estimate', 'std_error', 'ci_low', 'ci_high']
        """
        check_is_fitted(self, "params_")
        return _summary_table(self.params_, self.standard_errors_)

    # -- predictions ---------------------------------------------------------------------

    def log_likelihood(self, X: Any) -> Any:
        """Log-likelihood of each customer's history under the fitted parameters.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, T.

        Returns
        -------
        Series or ndarray
            One value per row (their sum over the fitted data is ``log_likelihood_``).

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> bool(np.isclose(model.log_likelihood(X).sum(), model.log_likelihood_))
        True
        """
        check_is_fitted(self, "params_")
        x, t_x, T, data = self._read(X)
        ll, _ = _log_likelihood_terms(self.params_.to_numpy(), x, t_x, T)
        return _wrap(ll, data.index, "log_likelihood")

    def probability_alive(self, X: Any) -> Any:
        """Probability that each customer is still alive at the end of the window.

        ``1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``
        (Fader, Hardie & Lee, 2005, eq. 11), evaluated in log space. It is 1 for
        customers with no repeat purchase (see the class notes).

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, T.

        Returns
        -------
        Series or ndarray
            Values in [0, 1].

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> alive = BetaGeoModel().fit(X).probability_alive(X)
        >>> bool(alive[X["frequency"] == 0].eq(1.0).all() and alive.between(0, 1).all())
        True
        """
        check_is_fitted(self, "params_")
        x, t_x, T, data = self._read(X)
        return _wrap(self._alive(x, t_x, T), data.index, "probability_alive")

    def _alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        repeat = x > 0
        with np.errstate(all="ignore"):
            log_odds = (
                np.log(a)
                - np.log(np.where(repeat, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        alive: np.ndarray = np.where(repeat, expit(-log_odds), 1.0)
        return alive

    def probability_no_purchase(self, X: Any, t: Any) -> Any:
        """Probability that each customer makes no purchase in the next ``t`` periods.

        ``(1 - P(alive)) + P(alive) * ((alpha + T) / (alpha + T + t))^(r + x)``: a
        customer buys nothing if they have dropped out, or if they are alive and
        their (posterior gamma) Poisson rate yields no event in ``t`` (BG/NBD drops
        out only right after a purchase). Unlike ``1 - probability_alive`` it is
        informative for one-time buyers too, which makes it the better churn score
        for a question such as "no purchase in the next quarter".

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, T.
        t : float or array of shape (n_customers,)
            Length of the future period, in the summary's time unit (>= 0).

        Returns
        -------
        Series or ndarray
            Values in [0, 1]; non-increasing in ``t``.

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> quiet = model.probability_no_purchase(X, 13)
        >>> bool((quiet >= 1 - model.probability_alive(X)).all())
        True
        """
        check_is_fitted(self, "params_")
        x, t_x, T, data = self._read(X)
        horizon = self._check_t(t, len(x))
        r, alpha, _, _ = self.params_.to_numpy()
        alive = self._alive(x, t_x, T)
        silent = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + horizon)))
        value = np.clip(1.0 - alive + alive * silent, 0.0, 1.0)
        return _wrap(value, data.index, "probability_no_purchase")

    def expected_purchases(self, X: Any, t: Any) -> Any:
        """Expected number of purchases in the next ``t`` periods, given each history.

        The conditional expectation ``E[Y(t) | x, t_x, T]`` of Fader, Hardie & Lee
        (2005, eq. 10): the probability of being alive times the expected purchases
        of a live customer whose rate and dropout follow the posterior.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, T.
        t : float or array of shape (n_customers,)
            Length of the future period, in the summary's time unit (>= 0).

        Returns
        -------
        Series or ndarray
            Non-negative expected counts.

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> bool(np.all(model.expected_purchases(X, 20) >= model.expected_purchases(X, 10)))
        True
        """
        check_is_fitted(self, "params_")
        x, t_x, T, data = self._read(X)
        horizon = self._check_t(t, len(x))
        r, alpha, a, b = self.params_.to_numpy()
        count = _expected_count(r + x, alpha + T, a, b + x, horizon)
        expected = np.maximum(self._alive(x, t_x, T) * count, 0.0)
        return _wrap(expected, data.index, "expected_purchases")

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected number of purchases of a new customer in their first ``t`` periods.

        The unconditional ``E[X(t)]`` (Fader, Hardie & Lee, 2005, eq. 9): repeat
        purchases after the first one, which opens the customer's clock.

        Parameters
        ----------
        t : float or array
            Time since the first purchase, in the summary's time unit (>= 0).

        Returns
        -------
        float or ndarray
            Same shape as ``t``.

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> curve = BetaGeoModel().fit(X).expected_purchases_new([10, 20, 30])
        >>> bool(np.all(np.diff(curve) > 0))
        True
        """
        check_is_fitted(self, "params_")
        scalar = np.ndim(t) == 0
        horizon = np.atleast_1d(np.asarray(t, dtype=np.float64))
        horizon = self._check_t(horizon, len(horizon))
        r, alpha, a, b = self.params_.to_numpy()
        ones = np.ones_like(horizon)
        out = np.maximum(_expected_count(r * ones, alpha * ones, a, b * ones, horizon), 0.0)
        return float(out[0]) if scalar else out

    @staticmethod
    def _check_t(t: Any, n_rows: int) -> np.ndarray:
        horizon = np.asarray(t, dtype=np.float64)
        if horizon.ndim == 0:
            horizon = np.full(n_rows, float(horizon))
        if horizon.shape != (n_rows,):
            raise ValueError(f"t must be a number or {n_rows} numbers, got shape {horizon.shape}")
        if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
            raise ValueError("t must hold finite, non-negative period lengths")
        return horizon
