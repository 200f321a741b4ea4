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
    _fit_bounded,
    _read_input,
    _record_fit,
    _summary_table,
    _wrap,
)

__all__ = ["GammaGammaModel"]

_NAMES = ("p", "q", "gamma")
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-4, 1e4], [1e-4, 1e8]]))
#: |corr(frequency, monetary_value)| above which the independence assumption is flagged.
CORRELATION_WARNING = 0.3


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

    The gamma-function terms depend on ``x`` only: they are evaluated once per
    distinct value (``levels`` = the distinct values and each row's code) and
    gathered.
    """
    p, q, gamma = params
    values, codes = _levels(x) if levels is None else levels
    k_px = p * values
    k_log_x = np.log(values)
    k_const = gammaln(k_px + q) - gammaln(k_px) - gammaln(q) + k_px * k_log_x
    k_psi = digamma(k_px + q)
    k_d_p = k_psi - digamma(k_px) + k_log_x

    px = p * x
    log_m = np.log(m)
    log_gm = np.log(gamma + m * x)
    loglik = k_const[codes] + q * np.log(gamma) + (px - 1.0) * log_m - (px + q) * log_gm
    grad = np.empty((len(x), 3))
    grad[:, 0] = x * (k_d_p[codes] + log_m - log_gm)
    grad[:, 1] = k_psi[codes] - digamma(q) + np.log(gamma) - log_gm
    grad[:, 2] = q / gamma - (px + q) / (gamma + m * x)
    return loglik, grad


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``x`` and each row's code into them."""
    codes, values = pd.factorize(x)
    return np.asarray(values, dtype=np.float64), codes


class GammaGammaModel(BaseEstimator):  # type: ignore[misc]
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
        n = float(len(x))

        levels = _levels(x)

        def negloglik(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _log_likelihood_terms(params, x, m, levels)
            value = -float(ll.sum()) / n
            if not np.isfinite(value):
                return np.inf, np.zeros(3)
            return value, -grad.sum(axis=0) / n * params

        def natural_gradient(params: np.ndarray) -> np.ndarray:
            out: np.ndarray = -_log_likelihood_terms(params, x, m, levels)[1].sum(axis=0) / n
            return out

        mean = float(m.mean())
        starts = [np.log([1.0, 2.0, mean]), np.log([5.0, 3.0, 10 * mean]), np.log([0.5, 1.5, 1.0])]
        params, result = _fit_bounded(
            negloglik, starts, _BOUNDS, owner="GammaGammaModel", names=_NAMES
        )
        _record_fit(self, _NAMES, params, result, n, natural_gradient)
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
        value = p * (gamma + m * x) / denominator
        return _wrap(value, index, "expected_average_value")
