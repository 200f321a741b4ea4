"""sBG: the shifted-beta-geometric model of contract renewals (contractual retention)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, hyp2f1
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._frames import frame_kind, to_pandas_frame
from .._validation import check_columns, check_numeric
from ..exceptions import DataValidationError, SchemaError
from ._common import (
    _check_whole,
    _collapse,
    _fit_bounded,
    _on_log_scale,
    _record_fit,
    _RepeatBuyingModel,
    _summary_table,
    _wrap,
)
from ._uncertainty import _IntervalMixin

__all__ = ["ShiftedBetaGeoModel"]

_NAMES = ("alpha", "beta")
#: Search region of the log-parameters (both are shapes: no time unit to rescale).
_BOUNDS = np.log(np.array([[1e-4, 1e4], [1e-4, 1e4]]))
#: Starting values (alpha, beta), tried in turn.
_STARTS = [np.log([1.0, 1.0]), np.log([0.5, 3.0]), np.log([3.0, 0.5])]


def _log_likelihood_terms(
    params: np.ndarray, tenure: np.ndarray, churned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and its gradient (rows x 2) in the natural parameters.

    Fader & Hardie (2007), eqs. 5 and 6: a subscriber who churned at renewal
    decision ``t`` contributes ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha,
    beta)``; one still active after ``t`` decisions ``S(t) = B(alpha, beta + t) /
    B(alpha, beta)`` (right-censored).
    """
    alpha, beta = params
    lost = churned > 0
    psi_ab = digamma(alpha + beta)
    psi_abt = digamma(alpha + beta + tenure)
    loglik = np.where(
        lost,
        betaln(alpha + 1.0, beta + tenure - 1.0),
        betaln(alpha, beta + tenure),
    ) - betaln(alpha, beta)
    grad = np.empty((len(tenure), 2))
    grad[:, 0] = np.where(lost, digamma(alpha + 1.0) - digamma(alpha), 0.0) + psi_ab - psi_abt
    with np.errstate(invalid="ignore"):
        kept = np.where(lost, np.maximum(beta + tenure - 1.0, beta), beta + tenure)
    grad[:, 1] = digamma(kept) - digamma(beta) + psi_ab - psi_abt
    return loglik, grad


def _read_flag(values: pd.Series, column: str) -> np.ndarray:
    """A churned flag as 0.0 / 1.0: booleans, or the numbers 0 and 1."""
    if pd.api.types.is_bool_dtype(values.dtype):
        if values.isna().any():
            raise DataValidationError(
                f"column {column!r} has {int(values.isna().sum())} missing values; every "
                f"subscriber is either churned (True) or still active (False): fill them first"
            )
        out: np.ndarray = values.to_numpy(dtype=np.float64)
        return out
    if not pd.api.types.is_numeric_dtype(values.dtype):
        raise SchemaError(
            f"column {column!r} has dtype {values.dtype}, expected booleans (True = churned); "
            f"convert it first, e.g. df[{column!r}] == 'cancelled'"
        )
    numbers = check_numeric(values, column=column)
    odd = (numbers != 0.0) & (numbers != 1.0)
    if odd.any():
        raise DataValidationError(
            f"column {column!r} has {int(odd.sum())} values other than 0 and 1; it flags "
            f"churned subscribers (True / 1) against active ones (False / 0)"
        )
    return numbers


class ShiftedBetaGeoModel(_IntervalMixin, BaseEstimator):  # type: ignore[misc]
    """Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie, 2007).

    Subscribers renew a contract at the end of each period (month, year): at every
    renewal decision a subscriber cancels with probability ``theta``, constant over
    their lifetime, and ``theta ~ Beta(alpha, beta)`` across subscribers. Because
    the least loyal leave first, the retention rate of a cohort rises with tenure
    even though nobody's own churn probability changes. The two parameters are
    fitted by maximum likelihood on one row per subscriber (or per group of
    identical subscribers, with ``sample_weight``): the tenure in periods and
    whether they churned. Active subscribers are right-censored, so cohorts that
    started at different times are fitted together.

    Parameters
    ----------
    tenure_col : str
        Column of renewal decisions observed (whole periods): for a churned
        subscriber the decision at which they left (1 = did not renew after the
        first period), for an active one the renewals made so far (0 = still in
        the first period). :func:`~behaviorseg.summaries.subscription_table`
        writes it.
    churned_col : str
        Column flagging churned subscribers (bool, or 0/1). A plain array is read
        by position: tenure, churned.

    Attributes
    ----------
    params_ : Series
        Fitted ``alpha``, ``beta``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood.
    covariance_ : DataFrame
        Asymptotic covariance of the parameters (the inverse Hessian), the source
        of :meth:`parameter_draws` and :meth:`interval` (intervals for the
        predictions).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_subscribers_ : int or float
        Number of subscribers fitted (the sum of ``sample_weight`` when given).
    n_churned_ : int or float
        How many of them churned.
    optimizer_result_ : OptimizeResult
        scipy's result.

    Notes
    -----
    - **Formulas** (Fader & Hardie, 2007): ``P(T = t) = B(alpha + 1, beta + t - 1)
      / B(alpha, beta)``, survival ``S(t) = B(alpha, beta + t) / B(alpha, beta)``
      and retention rate ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta
      + t - 1)``. A subscriber active after ``n`` renewals has ``theta ~ Beta(alpha,
      beta + n)``, so their churn probability at the next decision is ``alpha /
      (alpha + beta + n)``.
    - **DERL** (Fader & Hardie, 2010, eq. 6): the expected number of future
      payments, discounted at ``d`` per period, of a subscriber about to make a
      renewal decision, that payment counted in full.
    - The mean lifetime is finite only when ``alpha > 1``; otherwise
      :meth:`expected_remaining_lifetime` is ``inf`` (a heavy tail of very loyal
      subscribers) and only discounted or truncated sums are finite.
    - A parameter that stops on its search region ``[1e-4, 1e4]`` is named in a
      :class:`~behaviorseg.exceptions.BehaviorsegWarning`; its standard error is
      ``nan``.

    Examples
    --------
    The "regular" cohort of Fader & Hardie (2007), 1,000 subscribers followed for
    seven annual renewals:

    >>> from behaviorseg.models import ShiftedBetaGeoModel
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    >>> model.params_.round(3)
    alpha    0.704
    beta     1.182
    Name: params_, dtype: float64
    >>> round(model.log_likelihood_, 1)
    -1680.3
    """

    _INTERVALS = (
        "survival_function",
        "retention_rate",
        "churn_probability",
        "expected_remaining_lifetime",
        "discounted_expected_residual_lifetime",
    )

    def __init__(self, *, tenure_col: str = "tenure_periods", churned_col: str = "churned") -> None:
        self.tenure_col = tenure_col
        self.churned_col = churned_col

    # -- input ---------------------------------------------------------------------------

    def _read(self, X: Any) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
        owner = type(self).__name__
        name = f"the data passed to {owner}"
        native = frame_kind(X)
        if native not in (None, "pandas"):
            X, _ = to_pandas_frame(X, name=name)
        if isinstance(X, pd.DataFrame):
            check_columns(
                X, {"tenure_col": self.tenure_col, "churned_col": self.churned_col}, name=name
            )
            tenure = check_numeric(X[self.tenure_col], column=self.tenure_col, min_value=0.0)
            churned = _read_flag(X[self.churned_col], self.churned_col)
            index = X.index if native == "pandas" else None
        else:
            array = np.asarray(X, dtype=np.float64)
            if array.ndim != 2 or array.shape[1] != 2:
                raise ValueError(
                    f"{owner} expects a DataFrame or a 2-D array with 2 columns "
                    f"({self.tenure_col}, {self.churned_col}), got shape {array.shape}"
                )
            if not np.all(np.isfinite(array)):
                raise DataValidationError(
                    f"{owner}: the array has {int((~np.isfinite(array)).sum())} missing or "
                    f"non-finite values; drop or fill them first"
                )
            tenure, churned = array[:, 0], array[:, 1]
            if (tenure < 0).any():
                raise DataValidationError(
                    f"column {self.tenure_col!r} (position 0) has {int((tenure < 0).sum())} "
                    f"negative values; a tenure counts renewal decisions, so it is >= 0"
                )
            if ((churned != 0) & (churned != 1)).any():
                raise DataValidationError(
                    f"column {self.churned_col!r} (position 1) must hold 0 (active) or 1 (churned)"
                )
            index = None
        _check_whole(tenure, self.tenure_col)
        early = (churned > 0) & (tenure < 1)
        if early.any():
            raise DataValidationError(
                f"{int(early.sum())} churned subscribers have {self.tenure_col!r} = 0: a "
                f"subscriber churns at a renewal decision, the first one at tenure 1 (they "
                f"paid one period and did not renew). Count tenure in started periods "
                f"(subscription_table does)"
            )
        return tenure, churned, index

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> ShiftedBetaGeoModel:
        """Fit ``alpha`` and ``beta`` by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, 2)
            Tenure (renewal decisions) and churned flag per subscriber, e.g. the
            output of :func:`~behaviorseg.summaries.subscription_table` or
            :func:`~behaviorseg.summaries.tenures_from_survivors`.
        y : None
            Ignored.
        sample_weight : array of shape (n_rows,) or None
            How many subscribers each row stands for (``n_subscribers`` of
            ``tenures_from_survivors``). The fit equals that of the expanded table.

        Returns
        -------
        self : ShiftedBetaGeoModel

        Examples
        --------
        >>> import pandas as pd
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> X = pd.DataFrame({"tenure_periods": [1, 1, 2, 3, 3, 3],
        ...                   "churned": [True, True, True, False, False, False]})
        >>> ShiftedBetaGeoModel().fit(X).params_.index.tolist()
        ['alpha', 'beta']
        """
        owner = type(self).__name__
        tenure, churned, _ = self._read(X)
        weights = (
            None
            if sample_weight is None
            else _RepeatBuyingModel._check_weights(sample_weight, len(tenure))
        )
        if len(tenure) == 0:
            raise DataValidationError(f"{owner}.fit needs at least one subscriber, got 0")
        (ut, uc), counts = _collapse(tenure, churned, weights=weights)
        keep = counts > 0
        ut, uc, w = ut[keep], uc[keep], counts[keep].astype(np.float64)
        n = float(w.sum())
        lost = float(w @ uc)
        if lost == 0:
            raise DataValidationError(
                f"column {self.churned_col!r} is False for all {len(tenure)} subscribers: "
                f"with no churn observed the churn probabilities cannot be estimated"
            )

        def natural(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = _log_likelihood_terms(params, ut, uc)
            gradient: np.ndarray = -(w @ grad) / n
            return -float(w @ ll) / n, gradient

        negloglik = _on_log_scale(natural)

        result, at_bound = _fit_bounded(negloglik, _STARTS, _BOUNDS, owner=owner)
        _record_fit(
            self,
            _NAMES,
            result,
            units=np.ones(2),
            bounds=_BOUNDS,
            at_bound=at_bound,
            n_total=n,
            gradient=lambda params: natural(params)[1],
            log_likelihood=lambda params: float(w @ _log_likelihood_terms(params, ut, uc)[0]),
        )
        self.n_subscribers_ = len(tenure) if weights is None else (int(n) if n == int(n) else n)
        self.n_churned_ = int(lost) if lost == int(lost) else lost
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
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> list(model.summary().columns)
        ['estimate', 'std_error', 'ci_low', 'ci_high']
        """
        check_is_fitted(self, "params_")
        return _summary_table(self.params_, self.standard_errors_)

    # -- predictions ---------------------------------------------------------------------

    def _fitted(self) -> tuple[float, float]:
        check_is_fitted(self, "params_")
        alpha, beta = self.params_.to_numpy()
        return float(alpha), float(beta)

    @staticmethod
    def _periods(t: Any, name: str, low: int) -> np.ndarray:
        values = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(values)) or np.any(values < low) or np.any(values % 1 != 0):
            raise ValueError(f"{name} must hold whole numbers of periods >= {low}, got {t!r}")
        return values

    def log_likelihood(self, X: Any) -> Any:
        """Log-likelihood of each subscriber's history under the fitted parameters.

        Parameters
        ----------
        X : DataFrame or array of shape (n_subscribers, 2)
            Tenure and churned flag.

        Returns
        -------
        Series or ndarray
            One value per row; their (weighted) sum over the fitted data is
            ``log_likelihood_``.

        Examples
        --------
        >>> import numpy as np
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> total = model.log_likelihood(table) @ table["n_subscribers"]
        >>> bool(np.isclose(total, model.log_likelihood_))
        True
        """
        params = np.array(self._fitted())
        tenure, churned, index = self._read(X)
        return _wrap(_log_likelihood_terms(params, tenure, churned)[0], index, "log_likelihood")

    def survival_function(self, t: Any) -> Any:
        """Share of a new cohort still subscribed after ``t`` renewal decisions, ``S(t)``.

        Parameters
        ----------
        t : int or array of int
            Renewal decisions (periods) since sign-up, >= 0.

        Returns
        -------
        float or ndarray
            ``B(alpha, beta + t) / B(alpha, beta)``, same shape as ``t``; 1 at ``t = 0``.

        Examples
        --------
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> (1000 * model.survival_function([8, 12])).round(0)  # projected survivors
        array([460., 378.])
        """
        alpha, beta = self._fitted()
        periods = self._periods(t, "t", 0)
        out = np.exp(betaln(alpha, beta + periods) - betaln(alpha, beta))
        return float(out) if np.ndim(t) == 0 else out

    def retention_rate(self, t: Any) -> Any:
        """Share of the subscribers active after ``t - 1`` renewals who make the ``t``-th.

        Parameters
        ----------
        t : int or array of int
            Renewal decision, >= 1.

        Returns
        -------
        float or ndarray
            ``S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``: it rises
            with ``t`` as the least loyal leave first.

        Examples
        --------
        >>> import numpy as np
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> bool(np.all(np.diff(model.retention_rate([1, 2, 3, 4])) > 0))
        True
        """
        alpha, beta = self._fitted()
        periods = self._periods(t, "t", 1)
        out = (beta + periods - 1.0) / (alpha + beta + periods - 1.0)
        return float(out) if np.ndim(t) == 0 else out

    def churn_probability(self, X: Any, t: Any = 1) -> Any:
        """Probability that each subscriber cancels within their next ``t`` renewal decisions.

        For a subscriber active after ``n`` renewals, ``1 - S(n + t) / S(n)``;
        ``alpha / (alpha + beta + n)`` for the next decision (``t = 1``): the
        longer the tenure, the lower the risk. Churned subscribers get 1.

        Parameters
        ----------
        X : DataFrame or array of shape (n_subscribers, 2)
            Tenure and churned flag.
        t : int or array of shape (n_subscribers,)
            Number of future renewal decisions, >= 1.

        Returns
        -------
        Series or ndarray
            Values in [0, 1].

        Examples
        --------
        >>> import pandas as pd
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> active = pd.DataFrame({"tenure_periods": [0, 1, 7], "churned": False})
        >>> model.churn_probability(active).round(3).tolist()
        [0.373, 0.244, 0.079]
        """
        alpha, beta = self._fitted()
        tenure, churned, index = self._read(X)
        horizon = self._periods(t, "t", 1)
        if horizon.ndim == 0:
            horizon = np.full(len(tenure), float(horizon))
        if horizon.shape != tenure.shape:
            raise ValueError(f"t must be a number or {len(tenure)} numbers, got {horizon.shape}")
        stay = np.exp(betaln(alpha, beta + tenure + horizon) - betaln(alpha, beta + tenure))
        out = np.where(churned > 0, 1.0, np.clip(1.0 - stay, 0.0, 1.0))
        return _wrap(out, index, "churn_probability")

    def expected_remaining_lifetime(self, X: Any, *, horizon: int | None = None) -> Any:
        """Expected number of future renewals of each subscriber (undiscounted).

        For a subscriber active after ``n`` renewals, ``sum_{k >= 1} S(n + k) /
        S(n) = (beta + n) / (alpha - 1)`` when ``alpha > 1``; ``inf`` otherwise (the
        sum diverges). With ``horizon``, the sum stops after ``horizon`` decisions
        and is always finite. Churned subscribers get 0.

        Parameters
        ----------
        X : DataFrame or array of shape (n_subscribers, 2)
            Tenure and churned flag.
        horizon : int or None
            Number of future renewal decisions counted; None for all.

        Returns
        -------
        Series or ndarray
            Expected renewals, in periods.

        Examples
        --------
        >>> import pandas as pd
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> active = pd.DataFrame({"tenure_periods": [0, 5], "churned": False})
        >>> model.expected_remaining_lifetime(active, horizon=10).round(2).tolist()
        [3.23, 6.6]
        """
        alpha, beta = self._fitted()
        tenure, churned, index = self._read(X)
        if horizon is None:
            with np.errstate(divide="ignore"):
                out = (
                    (beta + tenure) / (alpha - 1.0) if alpha > 1.0 else np.full(len(tenure), np.inf)
                )
        else:
            if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
                raise TypeError(f"horizon={horizon!r} must be a whole number of periods or None")
            if horizon < 1:
                raise ValueError(f"horizon={horizon!r} must be >= 1")
            distinct, codes = np.unique(tenure, return_inverse=True)
            k = np.arange(1, int(horizon) + 1, dtype=np.float64)
            ratio = np.exp(
                betaln(alpha, beta + distinct[:, None] + k[None, :])
                - betaln(alpha, beta + distinct[:, None])
            )
            out = ratio.sum(axis=1)[codes.ravel()]
        out = np.where(churned > 0, 0.0, out)
        return _wrap(out, index, "expected_remaining_lifetime")

    def discounted_expected_residual_lifetime(self, X: Any, *, discount_rate: float) -> Any:
        """DERL: expected discounted number of future payments of each subscriber.

        Fader & Hardie (2010, eq. 6), for a subscriber active after ``n``
        renewals, valued just before their next renewal decision (that payment
        counted undiscounted, the following ones discounted by ``1 + d`` per
        period)::

            DERL = B(alpha, beta + n + 1) / B(alpha, beta + n)
                   * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))

        Multiply by the margin per period for the residual value of a subscriber
        (contractual CLTV). Churned subscribers get 0.

        Parameters
        ----------
        X : DataFrame or array of shape (n_subscribers, 2)
            Tenure and churned flag.
        discount_rate : float
            Discount rate per period, > 0 (e.g. 0.1 a year, about 0.008 a month).

        Returns
        -------
        Series or ndarray
            Discounted expected payments, >= 0.

        Examples
        --------
        >>> import pandas as pd
        >>> from behaviorseg.models import ShiftedBetaGeoModel
        >>> from behaviorseg.summaries import tenures_from_survivors
        >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
        >>> active = pd.DataFrame({"tenure_periods": [0, 1, 4], "churned": False})
        >>> model.discounted_expected_residual_lifetime(active, discount_rate=0.1).round(2).tolist()
        [2.96, 4.1, 5.89]
        """
        alpha, beta = self._fitted()
        if isinstance(discount_rate, bool) or not (
            isinstance(discount_rate, (int, float, np.integer, np.floating))
            and np.isfinite(discount_rate)
            and discount_rate > 0
        ):
            raise ValueError(
                f"discount_rate={discount_rate!r} must be a number > 0 (per period); with no "
                f"discounting use expected_remaining_lifetime"
            )
        tenure, churned, index = self._read(X)
        b = beta + tenure + 1.0
        with np.errstate(all="ignore"):
            out = np.exp(betaln(alpha, b) - betaln(alpha, b - 1.0)) * hyp2f1(
                1.0, b, alpha + b, 1.0 / (1.0 + float(discount_rate))
            )
        out = np.where(churned > 0, 0.0, out)
        return _wrap(out, index, "discounted_expected_residual_lifetime")
