"""Gamma-Gamma model of spend per transaction."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import BehaviorsegWarning, DataValidationError
from ._common import (
    _check_whole,
    _collapse,
    _fit_bounded,
    _levels,
    _read_input,
    _record_fit,
    _summary_table,
    _wrap,
)
from ._uncertainty import _IntervalMixin, _Prediction

__all__ = ["GammaGammaModel"]

_NAMES = ("p", "q", "gamma")
#: Search region of the log-parameters, with spend in units of its mean: ``gamma``'s
#: region moves with the spend's scale (see ``_monetary_scale``).
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-4, 1e4], [1e-8, 1e8]]))
#: |corr(frequency, monetary_value)| above which the independence assumption is flagged.
CORRELATION_WARNING = 0.3
#: Shape ``q`` from which log G(q + a) - log G(q) is taken from Stirling's series.
_STIRLING_FROM = 10.0
#: B_2k / (2k (2k - 1)), k = 1..7: Stirling's series of log G(z), accurate to ~3e-17
#: for z >= 10.
_STIRLING = np.array([1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156])


def _stirling_tail(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stirling's correction ``S(z) = log G(z) - (z - 1/2) log z + z - log(2 pi)/2``
    and its derivative, for z >= 10."""
    inv = 1.0 / z
    inv2 = inv * inv
    value = np.zeros_like(z)
    slope = np.zeros_like(z)
    for k in range(len(_STIRLING) - 1, -1, -1):  # Horner in 1/z**2
        value = value * inv2 + _STIRLING[k]
        slope = slope * inv2 - (2 * k + 1) * _STIRLING[k]
    return value * inv, slope * inv2


def _log_rising(q: float, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``D = log G(q + a) - log G(q) - a log q`` and its derivatives in ``a`` and ``q``.

    For large ``q`` the difference of two log-gamma values of ~q log q loses about
    log10(q log q) digits (1e-11 absolute at q = 1e4), which is noise an optimiser
    stepping at ftol = 1e-13 cannot see through; Stirling's series gives the
    difference directly, ``(q + a - 1/2) log1p(a / q) - a + S(q + a) - S(q)``,
    accurate to rounding.
    """
    if q < _STIRLING_FROM:
        value = gammaln(q + a) - gammaln(q) - a * np.log(q)
        d_a = digamma(q + a) - np.log(q)
        d_q = digamma(q + a) - digamma(q) - a / q
        return value, d_a, d_q
    qa = q + a
    log_ratio = np.log1p(a / q)
    s_qa, ds_qa = _stirling_tail(qa)
    s_q, ds_q = _stirling_tail(np.array([q]))
    value = (qa - 0.5) * log_ratio - a + (s_qa - s_q)
    d_a = log_ratio - 0.5 / qa + ds_qa
    d_q = log_ratio - a * (qa - 0.5) / (q * qa) + (ds_qa - ds_q)
    return value, d_a, d_q


def _log_likelihood_terms(
    params: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood of the mean spend ``m`` of ``x`` transactions, and its gradient.

    Fader, Hardie & Lee (2005b); Fader & Hardie (2013), eq. 4::

        f(m | x) = G(px + q) / (G(px) G(q)) * gamma^q * m^(px - 1) * x^(px)
                   / (gamma + m x)^(px + q)

    written without cancellation: with ``a = p x`` and ``u = m x / gamma``,
    ``log f = D(q, a) - log G(a) + a log(q x / gamma) + (a - 1) log m
    - (a + q) log1p(u)``, ``D`` from :func:`_log_rising`. (The textbook form adds
    ``q log gamma`` and ``-(a + q) log(gamma + m x)``, two terms of ~1e5 that cancel
    to ~1 when the likelihood drifts towards large ``q``.) The terms of ``x`` alone
    are evaluated once per distinct value (``levels`` = the distinct values and
    each row's code) and gathered.
    """
    p, q, gamma = params
    values, codes = _levels(x) if levels is None else levels
    k_a = p * values
    k_log_qx = np.log(q / gamma) + np.log(values)
    k_rising, k_d_a, k_d_q = _log_rising(q, k_a)
    k_const = k_rising - gammaln(k_a) + k_a * k_log_qx
    k_d_p = k_d_a - digamma(k_a) + k_log_qx  # psi(a + q) - psi(a) + log(x / gamma)
    k_d_q = k_d_q + k_a / q

    a = p * x
    u = m * x / gamma
    log_m = np.log(m)
    log1p_u = np.log1p(u)
    loglik = k_const[codes] + (a - 1.0) * log_m - (a + q) * log1p_u
    grad = np.empty((len(x), 3))
    grad[:, 0] = x * (k_d_p[codes] + log_m - log1p_u)
    grad[:, 1] = k_d_q[codes] - log1p_u
    grad[:, 2] = (q * u - a) / (gamma * (1.0 + u))
    return loglik, grad


def _large_q_note(params: np.ndarray, x: np.ndarray) -> str:
    """What a ``q`` on its upper bound means for the predictions, with this fit's numbers."""
    p, q, gamma = params
    own = float(np.max(p * x / (p * x + q - 1.0)))
    return (
        f" A large q means customers differ little in their mean spend: "
        f"expected_average_value gives each repeat buyer nearly the population mean "
        f"p*gamma/(q - 1) = {p * gamma / (q - 1.0):.6g}, their own mean spend weighing "
        f"at most {own:.2g} here (0 in the limit q -> inf)."
    )


def _expected_value(params: Any, x: np.ndarray, m: np.ndarray) -> Any:
    """``p (gamma + m x) / (p x + q - 1)``, ``inf`` where ``p x + q <= 1``; the
    parameters may carry a draws axis (``(3, n_draws, 1)``)."""
    p, q, gamma = params
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, p * (gamma + m * x) / denominator, np.inf)


class GammaGammaModel(_IntervalMixin, BaseEstimator):  # type: ignore[misc]
    """Gamma-Gamma model of the average spend per transaction (Fader, Hardie & Lee, 2005).

    Each transaction of a customer is worth ``z ~ Gamma(p, nu)``, and ``nu ~
    Gamma(q, gamma)`` across customers. Fitted by maximum likelihood on the repeat
    buyers of a :func:`~behaviorseg.summaries.clv_summary` table (``frequency`` > 0,
    ``monetary_value`` = their mean repeat spend); customers with frequency 0 are
    left out of the fit (they have no repeat spend) but still get predictions.

    Parameters
    ----------
    frequency_col, monetary_col : str
        Column names read from a DataFrame. A plain array is read by position in
        that order.

    Attributes
    ----------
    params_ : Series
        Fitted ``p``, ``q``, ``gamma``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian (``nan`` where it is flat).
    covariance_ : DataFrame
        Asymptotic covariance of the parameters (the inverse Hessian), the source
        of :meth:`parameter_draws` and :meth:`interval` (intervals for the
        predictions).
    log_likelihood_ : float
        Total log-likelihood of the repeat buyers.
    n_customers_ : int
        Number of repeat buyers fitted.
    frequency_spend_corr_ : float
        Pearson correlation of frequency and mean spend among repeat buyers. The
        model assumes they are independent; a
        :class:`~behaviorseg.exceptions.BehaviorsegWarning` is raised when its
        absolute value exceeds 0.3.

    Notes
    -----
    Repeat buyers whose mean spend is 0 or negative cannot come from a gamma
    distribution: ``fit`` refuses them (:class:`~behaviorseg.exceptions.DataValidationError`
    naming the count); drop them or fit on gross rather than net spend.
    ``expected_average_value`` needs ``p x + q > 1``; for customers with frequency
    0 that is ``q > 1`` (the population mean ``p gamma / (q - 1)`` exists).

    The fit runs on spend divided by its mean, so it does not depend on the
    currency or unit: spend in cents gives the same ``p``, ``q``, 100 times
    ``gamma`` and 100 times the predictions (to ~1e-12). The search region is
    ``p``, ``q`` in [1e-4, 1e4] and ``gamma`` in [1e-8, 1e8] times the mean spend;
    a parameter that stops on a bound is named, with its region, in a
    :class:`~behaviorseg.exceptions.BehaviorsegWarning`, and its standard error is
    ``nan``. When spend varies little between customers beyond chance the
    likelihood rises towards ``q = inf`` and ``q`` stops on its upper bound: each
    customer's value is then close to the population mean, as the warning says.

    Examples
    --------
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import GammaGammaModel
    >>> summary = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    >>> model = GammaGammaModel().fit(summary)
    >>> model.n_customers_  # repeat buyers only (calendar weeks)
    1126
    >>> value = model.expected_average_value(summary)
    >>> bool((value > 0).all())
    True
    """

    _INTERVALS = ("expected_average_value",)

    def __init__(
        self, *, frequency_col: str = "frequency", monetary_col: str = "monetary_value"
    ) -> None:
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col

    def _read(self, X: Any) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
        data = _read_input(
            X,
            {
                "x": ("frequency_col", self.frequency_col),
                "m": ("monetary_col", self.monetary_col),
            },
            owner=type(self).__name__,
        )
        x, m = data.values["x"], data.values["m"]
        _check_whole(x, self.frequency_col)
        return x, m, data.index

    def fit(self, X: Any, y: Any = None) -> GammaGammaModel:
        """Fit ``p``, ``q``, ``gamma`` by maximum likelihood on the repeat buyers.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 2)
            frequency and monetary_value (e.g. the ``clv_summary`` table).
        y : None
            Ignored.

        Returns
        -------
        self : GammaGammaModel

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import GammaGammaModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> GammaGammaModel().fit(X).params_.index.tolist()
        ['p', 'q', 'gamma']
        """
        x, m, _ = self._read(X)
        repeat = x > 0
        if repeat.sum() < 2:
            raise DataValidationError(
                f"column {self.frequency_col!r}: GammaGammaModel needs at least 2 repeat "
                f"buyers (frequency > 0), got {int(repeat.sum())}"
            )
        x, m = x[repeat], m[repeat]
        zero = m <= 0
        if zero.any():
            raise DataValidationError(
                f"column {self.monetary_col!r} is 0 for {int(zero.sum())} repeat buyers: a "
                f"gamma-distributed spend must be positive; drop them or use gross spend"
            )
        with np.errstate(all="ignore"):
            corr = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else 0.0
        self.frequency_spend_corr_ = corr
        if abs(corr) > CORRELATION_WARNING:
            warnings.warn(
                f"frequency and {self.monetary_col!r} are correlated (r = {corr:.2f}) among "
                f"repeat buyers; the Gamma-Gamma model assumes spend is independent of "
                f"frequency, so its value predictions may be biased",
                BehaviorsegWarning,
                stacklevel=2,
            )
        # Spend is fitted in units of its mean, so the search region and the
        # optimiser's path do not depend on the currency: fitting on c * spend gives
        # the same p, q and c * gamma. Distinct (x, m) rows in sorted order make the
        # sums independent of the row order.
        (ux, um), counts = _collapse(x, m)
        w = counts.astype(np.float64)
        n = float(w.sum())
        scale = float(w @ um) / n
        ms = um / scale
        levels = _levels(ux)

        def negloglik(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _log_likelihood_terms(params, ux, ms, levels)
            value = -float(w @ ll) / n
            if not np.isfinite(value):
                return np.inf, np.zeros(3)
            return value, -(w @ grad) / n * params

        def natural_gradient(params: np.ndarray) -> np.ndarray:
            out: np.ndarray = -(w @ _log_likelihood_terms(params, ux, ms, levels)[1]) / n
            return out

        starts = [np.log([1.0, 2.0, 1.0]), np.log([5.0, 3.0, 10.0]), np.log([0.5, 1.5, 0.1])]
        result, at_bound = _fit_bounded(negloglik, starts, _BOUNDS, owner="GammaGammaModel")
        _record_fit(
            self,
            _NAMES,
            result,
            units=np.array([1.0, 1.0, scale]),
            bounds=_BOUNDS,
            at_bound=at_bound,
            n_total=n,
            gradient=natural_gradient,
            log_likelihood=lambda params: float(
                w @ _log_likelihood_terms(params, ux, um, levels)[0]
            ),
            detail=lambda params: (
                _large_q_note(params, ux) if at_bound[1] and params[1] > 1 else ""
            ),
        )
        self.n_customers_ = len(x)
        return self

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals.

        Returns
        -------
        DataFrame
            Indexed by parameter: ``estimate``, ``std_error``, ``ci_low``, ``ci_high``.

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import GammaGammaModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> GammaGammaModel().fit(X).summary().index.tolist()
        ['p', 'q', 'gamma']
        """
        check_is_fitted(self, "params_")
        return _summary_table(self.params_, self.standard_errors_)

    def expected_average_value(self, X: Any) -> Any:
        """Expected spend per transaction of each customer, given their history.

        ``p (gamma + m x) / (p x + q - 1)``: a weighted average of the population mean
        ``p gamma / (q - 1)`` and the customer's own mean ``m``. Customers with
        frequency 0 get the population mean.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 2)
            frequency and monetary_value.

        Returns
        -------
        Series or ndarray
            Positive values.

        Examples
        --------
        >>> import numpy as np
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import GammaGammaModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> values = GammaGammaModel().fit(X).expected_average_value(X)
        >>> bool(np.all(values > 0))
        True
        """
        check_is_fitted(self, "params_")
        x, m, index = self._read(X)
        p, q, gamma = self.params_.to_numpy()
        m = np.where(x > 0, m, 0.0)
        denominator = p * x + q - 1.0
        undefined = denominator <= 0
        if undefined.any():
            raise DataValidationError(
                f"the fitted q = {q:.3g} makes the expected spend infinite for "
                f"{int(undefined.sum())} customers (p x + q <= 1, e.g. frequency 0 with "
                f"q <= 1); the spend distribution is too heavy-tailed to predict their value"
            )
        value = _expected_value((p, q, gamma), x, m)
        return _wrap(value, index, "expected_average_value")

    def _vectorised(self, prediction: str, arguments: dict[str, Any]) -> _Prediction | None:
        x, m, _ = self._read(arguments["X"])
        return _Prediction(_expected_value, (x, np.where(x > 0, m, 0.0)), len(x))
