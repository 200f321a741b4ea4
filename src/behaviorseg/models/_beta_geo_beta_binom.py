"""BG/BB: the beta-geometric / beta-binomial model of discrete transaction opportunities."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError
from ._common import (
    _check_whole,
    _collapse,
    _fit_bounded,
    _on_log_scale,
    _read_input,
    _record_fit,
    _RepeatBuyingModel,
    _summary_table,
    _wrap,
)
from ._uncertainty import _IntervalMixin

__all__ = ["BetaGeoBetaBinomModel"]

_NAMES = ("alpha", "beta", "gamma", "delta")
#: Search region of the log-parameters (all four are shapes).
_BOUNDS = np.log(np.array([[1e-4, 1e4]] * 4))
_STARTS = [np.log([1.0, 1.0, 1.0, 1.0]), np.log([0.5, 2.0, 0.5, 2.0]), np.log([2.0, 0.5, 2.0, 5.0])]
#: |gamma - 1| below which the closed form of E[X(n, n + t)] (a 0/0 at gamma = 1) is
#: replaced by its defining sum.
_GAMMA_ONE = 1e-6


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log of the terms of the BG/BB likelihood, without the normalising betas.

    Fader, Hardie & Shang (2010), eq. 5: column 0 is the history with the customer
    still alive at opportunity ``n``, ``B(alpha + x, beta + n - x) B(gamma, delta +
    n)``; column ``1 + i`` the history with the customer dying at the start of
    opportunity ``t_x + i + 1``, ``B(alpha + x, beta + t_x - x + i) B(gamma + 1,
    delta + t_x + i)`` for ``i < n - t_x`` (``-inf`` beyond). Returns the terms, the
    mask of the valid ones and ``i``.
    """
    alpha, beta, gamma, delta = params
    width = int(np.max(n - t_x)) if len(n) else 0
    i = np.arange(width, dtype=np.float64)
    valid = i[None, :] < (n - t_x)[:, None]
    dead = betaln(alpha + x[:, None], beta + (t_x - x)[:, None] + i) + betaln(
        gamma + 1.0, delta + t_x[:, None] + i
    )
    alive = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n)
    terms = np.concatenate([alive[:, None], np.where(valid, dead, -np.inf)], axis=1)
    return terms, valid, i


def _log_likelihood_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood (Fader, Hardie & Shang, 2010, eq. 5) and its gradient."""
    alpha, beta, gamma, delta = params
    terms, valid, i = _log_terms(params, x, t_x, n)
    top = terms.max(axis=1)
    scaled = np.exp(terms - top[:, None])
    total = scaled.sum(axis=1)
    share = scaled / total[:, None]
    loglik = top + np.log(total) - betaln(alpha, beta) - betaln(gamma, delta)

    share_alive, share_dead = share[:, 0], share[:, 1:]
    at = (t_x[:, None] + i)[:, :]  # t_x + i
    psi_ab_dead = np.where(valid, digamma(alpha + beta + at), 0.0)
    psi_b_dead = np.where(valid, digamma(beta + (t_x - x)[:, None] + i), 0.0)
    psi_gd_dead = np.where(valid, digamma(gamma + delta + 1.0 + at), 0.0)
    psi_d_dead = np.where(valid, digamma(delta + at), 0.0)
    psi_ab = digamma(alpha + beta)
    psi_gd = digamma(gamma + delta)
    grad = np.empty((len(x), 4))
    grad[:, 0] = (
        digamma(alpha + x)
        - share_alive * digamma(alpha + beta + n)
        - (share_dead * psi_ab_dead).sum(axis=1)
        - digamma(alpha)
        + psi_ab
    )
    grad[:, 1] = (
        share_alive * (digamma(beta + n - x) - digamma(alpha + beta + n))
        + (share_dead * (psi_b_dead - psi_ab_dead)).sum(axis=1)
        - digamma(beta)
        + psi_ab
    )
    grad[:, 2] = (
        share_alive * (digamma(gamma) - digamma(gamma + delta + n))
        + (share_dead * (digamma(gamma + 1.0) - psi_gd_dead)).sum(axis=1)
        - digamma(gamma)
        + psi_gd
    )
    grad[:, 3] = (
        share_alive * (digamma(delta + n) - digamma(gamma + delta + n))
        + (share_dead * (psi_d_dead - psi_gd_dead)).sum(axis=1)
        - digamma(delta)
        + psi_gd
    )
    return loglik, grad


def _whole(value: Any, n_rows: int, name: str, low: int) -> np.ndarray:
    """A number of opportunities or purchases per row: whole numbers >= ``low``."""
    out = np.asarray(value, dtype=np.float64)
    if out.ndim == 0:
        out = np.full(n_rows, float(out))
    if out.shape != (n_rows,):
        raise ValueError(f"{name} must be a number or {n_rows} numbers, got shape {out.shape}")
    if not np.all(np.isfinite(out)) or np.any(out < low) or np.any(out != np.floor(out)):
        raise ValueError(f"{name} must hold whole numbers >= {low}, got {value!r}")
    return out


class BetaGeoBetaBinomModel(_IntervalMixin, BaseEstimator):  # type: ignore[misc]
    """BG/BB model of repeat transactions at discrete opportunities (Fader, Hardie & Shang, 2010).

    For businesses where a transaction can only happen at set occasions (an annual
    fundraising drive, a yearly event, a scheduled renewal): while alive, a
    customer transacts at each opportunity with probability ``p ~ Beta(alpha,
    beta)``, and becomes inactive at the start of each opportunity with
    probability ``theta ~ Beta(gamma, delta)``. The four parameters are fitted by
    maximum likelihood on one row per customer (or per group of identical
    customers, with ``sample_weight``): ``frequency`` (opportunities with a
    transaction after the first one), ``recency`` (the last of them, 0 if none)
    and ``n_periods`` (opportunities observed).

    Parameters
    ----------
    frequency_col, recency_col, n_periods_col : str
        Column names read from a DataFrame. A plain array is read by position in
        that order. A :func:`~behaviorseg.summaries.clv_summary` table built with
        ``freq`` set to the opportunity period (e.g. ``"Y"`` for annual drives)
        holds them already: pass ``n_periods_col="T"``.

    Attributes
    ----------
    params_ : Series
        Fitted ``alpha``, ``beta``, ``gamma``, ``delta``.
    standard_errors_ : Series
        Standard errors from the inverse Hessian of the log-likelihood.
    covariance_ : DataFrame
        Asymptotic covariance of the parameters (the inverse Hessian), the source
        of :meth:`parameter_draws` and :meth:`interval` (intervals for the
        predictions).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_customers_ : int or float
        Number of customers fitted (the sum of ``sample_weight`` when given).
    n_distinct_ : int
        Number of distinct (frequency, recency, n_periods) rows the likelihood was
        evaluated on.
    optimizer_result_ : OptimizeResult
        scipy's result.

    Notes
    -----
    - Formulas: the likelihood is eq. 5 of Fader, Hardie & Shang (2010),
      :meth:`probability_of_n_purchases` their eq. 7 (new customer) and its
      conditional form, :meth:`expected_purchases` eq. 13 (eq. 8 for a new
      customer, frequency = recency = n_periods = 0), :meth:`probability_alive`
      eq. 11 and :meth:`discounted_expected_purchases` eq. 14 (DERT).
    - ``t`` (future opportunities) and ``n`` (purchases) are whole numbers.
    - A parameter that stops on its search region ``[1e-4, 1e4]`` is named in a
      :class:`~behaviorseg.exceptions.BehaviorsegWarning`; its standard error is
      ``nan``. Identical rows are collapsed and the distinct rows sorted before
      the likelihood is summed, so the fit does not depend on the row order.

    Examples
    --------
    The 1995 cohort of a nonprofit's donors, 11,104 people and six annual
    opportunities (Fader, Hardie & Shang, 2010):

    >>> from behaviorseg.datasets import load_donations
    >>> from behaviorseg.models import BetaGeoBetaBinomModel
    >>> donations = load_donations()
    >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
    >>> model.params_.round(3)
    alpha    1.204
    beta     0.750
    gamma    0.657
    delta    2.783
    Name: params_, dtype: float64
    >>> round(model.log_likelihood_, 1)
    -33225.6
    """

    _INTERVALS = (
        "probability_alive",
        "expected_purchases",
        "probability_of_n_purchases",
        "discounted_expected_purchases",
    )

    def __init__(
        self,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        n_periods_col: str = "n_periods",
    ) -> None:
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.n_periods_col = n_periods_col

    # -- input ---------------------------------------------------------------------------

    def _read(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        data = _read_input(
            X,
            {
                "x": ("frequency_col", self.frequency_col),
                "t_x": ("recency_col", self.recency_col),
                "n": ("n_periods_col", self.n_periods_col),
            },
            owner=type(self).__name__,
        )
        x, t_x, n = data.values["x"], data.values["t_x"], data.values["n"]
        for values, col in (
            (x, self.frequency_col),
            (t_x, self.recency_col),
            (n, self.n_periods_col),
        ):
            _check_whole(values, col)
        checks = (
            (
                x > t_x,
                f"{self.frequency_col!r} > {self.recency_col!r}",
                "x transactions "
                "need at least x opportunities, so the last one is at opportunity >= x",
            ),
            (
                t_x > n,
                f"{self.recency_col!r} > {self.n_periods_col!r}",
                "the last transaction cannot come after the last opportunity observed",
            ),
            (
                (x == 0) & (t_x > 0),
                f"{self.frequency_col!r} == 0 but {self.recency_col!r} > 0",
                "recency is the opportunity of the last transaction, 0 when there is none",
            ),
        )
        for bad, what, why in checks:
            if bad.any():
                raise DataValidationError(f"{int(bad.sum())} rows have {what}: {why}")
        return x, t_x, n, data.index

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> BetaGeoBetaBinomModel:
        """Fit ``alpha``, ``beta``, ``gamma``, ``delta`` by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, 3)
            frequency, recency, n_periods.
        y : None
            Ignored.
        sample_weight : array of shape (n_rows,) or None
            How many customers each row stands for (the papers give the data as
            counts per pattern). The fit equals that of the expanded table.

        Returns
        -------
        self : BetaGeoBetaBinomModel

        Examples
        --------
        >>> from behaviorseg.datasets import make_opportunity_histories
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> histories, truth = make_opportunity_histories(2000, random_state=0)
        >>> BetaGeoBetaBinomModel().fit(histories).params_.index.tolist()
        ['alpha', 'beta', 'gamma', 'delta']
        """
        owner = type(self).__name__
        x, t_x, n, _ = self._read(X)
        weights = (
            None
            if sample_weight is None
            else _RepeatBuyingModel._check_weights(sample_weight, len(x))
        )
        if len(x) == 0:
            raise DataValidationError(f"{owner}.fit needs at least one customer, got 0")
        (ux, ut, un), counts = _collapse(x, t_x, n, weights=weights)
        keep = counts > 0
        ux, ut, un, w = ux[keep], ut[keep], un[keep], counts[keep].astype(np.float64)
        total = float(w.sum())
        if not (ux > 0).any():
            raise DataValidationError(
                f"column {self.frequency_col!r} is 0 for all {len(x)} customers: with no "
                f"repeat transaction the model cannot be estimated"
            )

        def natural(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = _log_likelihood_terms(params, ux, ut, un)
            gradient: np.ndarray = -(w @ grad) / total
            return -float(w @ ll) / total, gradient

        negloglik = _on_log_scale(natural)

        result, at_bound = _fit_bounded(negloglik, _STARTS, _BOUNDS, owner=owner)
        _record_fit(
            self,
            _NAMES,
            result,
            units=np.ones(4),
            bounds=_BOUNDS,
            at_bound=at_bound,
            n_total=total,
            gradient=lambda params: natural(params)[1],
            log_likelihood=lambda params: float(w @ _log_likelihood_terms(params, ux, ut, un)[0]),
        )
        self.n_customers_ = (
            len(x) if weights is None else (int(total) if total == int(total) else total)
        )
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
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> model.summary()["std_error"].round(3).tolist()
        [0.069, 0.029, 0.051, 0.321]
        """
        check_is_fitted(self, "params_")
        return _summary_table(self.params_, self.standard_errors_)

    # -- predictions ---------------------------------------------------------------------

    def _fitted(self) -> np.ndarray:
        check_is_fitted(self, "params_")
        params: np.ndarray = self.params_.to_numpy()
        return params

    def _loglik(
        self, X: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        """Parameters, the three columns, each row's log-likelihood and the index."""
        params = self._fitted()
        x, t_x, n, index = self._read(X)
        ll, _ = _log_likelihood_terms(params, x, t_x, n)
        return params, x, t_x, n, ll, index

    def log_likelihood(self, X: Any) -> Any:
        """Log-likelihood of each customer's history under the fitted parameters.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, n_periods.

        Returns
        -------
        Series or ndarray
            One value per row; their (weighted) sum over the fitted data is
            ``log_likelihood_``.

        Examples
        --------
        >>> import numpy as np
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> total = model.log_likelihood(donations) @ donations["n_donors"]
        >>> bool(np.isclose(total, model.log_likelihood_))
        True
        """
        *_, ll, index = self._loglik(X)
        return _wrap(ll, index, "log_likelihood")

    def probability_alive(self, X: Any, t: Any = 1) -> Any:
        """Probability that each customer is still alive at opportunity ``n_periods + t``.

        Fader, Hardie & Shang (2010), eq. 11 (``t = 1``: alive for the next
        opportunity); ``t = 0`` is the probability of being alive at the last
        opportunity observed.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, n_periods.
        t : int or array of shape (n_customers,)
            Opportunities ahead, >= 0.

        Returns
        -------
        Series or ndarray
            Values in [0, 1], non-increasing in ``t``.

        Examples
        --------
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> model.probability_alive(donations.head(3)).round(3).tolist()
        [0.108, 0.069, 0.255]
        """
        (alpha, beta, gamma, delta), x, _, n, ll, index = self._loglik(X)
        ahead = _whole(t, len(x), "t", 0)
        log_alive = (
            betaln(alpha + x, beta + n - x)
            - betaln(alpha, beta)
            + betaln(gamma, delta + n + ahead)
            - betaln(gamma, delta)
            - ll
        )
        return _wrap(np.clip(np.exp(log_alive), 0.0, 1.0), index, "probability_alive")

    def expected_purchases(self, X: Any, t: Any) -> Any:
        """Expected number of transactions in the next ``t`` opportunities, given each history.

        Fader, Hardie & Shang (2010), eq. 13: ``E[X(n, n + t) | x, t_x, n]``. For a
        new customer (all three columns 0) it is the unconditional ``E[X(t)]``
        (their eq. 8).

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, n_periods.
        t : int or array of shape (n_customers,)
            Future opportunities, >= 0.

        Returns
        -------
        Series or ndarray
            Non-negative expected counts, at most ``t``.

        Examples
        --------
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> model.expected_purchases(donations.tail(1), 5).round(2).tolist()  # 6 of 6
        [3.75]
        """
        (alpha, beta, gamma, delta), x, _, n, ll, index = self._loglik(X)
        ahead = _whole(t, len(x), "t", 0)
        buy = np.exp(betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta) - ll)
        return _wrap(
            np.maximum(buy * _alive_sum(gamma, delta, n, ahead), 0.0), index, "expected_purchases"
        )

    def probability_of_n_purchases(self, X: Any, t: Any, n: Any) -> Any:
        """Probability of exactly ``n`` transactions in the next ``t`` opportunities.

        The conditional distribution of ``X(n_periods, n_periods + t)`` given the
        history: none if the customer is already inactive, else the BG/BB
        distribution of a customer alive at ``n_periods`` whose ``p`` and
        ``theta`` follow their posterior. For a new customer (all three columns 0)
        it is Fader, Hardie & Shang's (2010) eq. 7. Over ``n = 0..t`` the values
        sum to 1 and their mean is :meth:`expected_purchases`.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, n_periods.
        t : int or array of shape (n_customers,)
            Future opportunities, >= 0.
        n : int or array of shape (n_customers,)
            Number of transactions, >= 0.

        Returns
        -------
        Series or ndarray
            Values in [0, 1] (0 where ``n > t``).

        Examples
        --------
        >>> import numpy as np
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> total = sum(model.probability_of_n_purchases(donations, 5, k) for k in range(6))
        >>> bool(np.allclose(total, 1.0))
        True
        """
        (alpha, beta, gamma, delta), x, _, periods, ll, index = self._loglik(X)
        ahead = _whole(t, len(x), "t", 0)
        count = _whole(n, len(x), "n", 0)
        possible = count <= ahead
        k = np.where(possible, count, 0.0)
        norm = betaln(alpha, beta) + betaln(gamma, delta) + ll
        alive_now = np.exp(
            betaln(alpha + x, beta + periods - x) + betaln(gamma, delta + periods) - norm
        )
        log_choose = gammaln(ahead + 1.0) - gammaln(k + 1.0) - gammaln(ahead - k + 1.0)
        survive = np.exp(
            log_choose
            + betaln(alpha + x + k, beta + periods - x + ahead - k)
            + betaln(gamma, delta + periods + ahead)
            - norm
        )
        width = int(ahead.max()) if len(ahead) else 0
        i = np.arange(width, dtype=np.float64)[None, :]
        valid = (i < ahead[:, None]) & (i >= k[:, None])
        safe = np.where(valid, i, k[:, None])
        with np.errstate(all="ignore"):
            log_leave = (
                gammaln(safe + 1.0)
                - gammaln(k[:, None] + 1.0)
                - gammaln(safe - k[:, None] + 1.0)
                + betaln(alpha + (x + k)[:, None], beta + (periods - x - k)[:, None] + safe)
                + betaln(gamma + 1.0, delta + periods[:, None] + safe)
                - norm[:, None]
            )
        leave = np.where(valid, np.exp(log_leave), 0.0).sum(axis=1)
        value = np.where(count == 0, 1.0 - alive_now, 0.0) + survive + leave
        value = np.where(possible, np.clip(value, 0.0, 1.0), 0.0)
        return _wrap(value, index, "probability_of_n_purchases")

    def discounted_expected_purchases(self, X: Any, *, discount_rate: float) -> Any:
        """DERT: expected future transactions of each customer, discounted to today.

        Fader, Hardie & Shang (2010), eq. 14: the transactions at opportunities
        ``n_periods + 1, n_periods + 2, ...``, the first discounted by one period::

            B(alpha + x + 1, beta + n - x) / B(alpha, beta)
              * B(gamma, delta + n + 1) / ((1 + d) B(gamma, delta))
              * 2F1(1, delta + n + 1; gamma + delta + n + 1; 1 / (1 + d)) / L

        Multiply by the value of a transaction for the residual value of a customer.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, n_periods.
        discount_rate : float
            Discount rate per opportunity, > 0.

        Returns
        -------
        Series or ndarray
            Discounted expected transactions, >= 0.

        Examples
        --------
        >>> from behaviorseg.datasets import load_donations
        >>> from behaviorseg.models import BetaGeoBetaBinomModel
        >>> donations = load_donations()
        >>> model = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
        >>> value = model.discounted_expected_purchases(donations, discount_rate=0.1)
        >>> bool(value.iloc[-1] > value.iloc[0])  # six donations against none
        True
        """
        if isinstance(discount_rate, bool) or not (
            isinstance(discount_rate, (int, float, np.integer, np.floating))
            and np.isfinite(discount_rate)
            and discount_rate > 0
        ):
            raise ValueError(
                f"discount_rate={discount_rate!r} must be a number > 0 (per opportunity)"
            )
        (alpha, beta, gamma, delta), x, _, n, ll, index = self._loglik(X)
        d = float(discount_rate)
        with np.errstate(all="ignore"):
            value = (
                np.exp(
                    betaln(alpha + x + 1.0, beta + n - x)
                    - betaln(alpha, beta)
                    + betaln(gamma, delta + n + 1.0)
                    - betaln(gamma, delta)
                    - ll
                )
                / (1.0 + d)
                * hyp2f1(1.0, delta + n + 1.0, gamma + delta + n + 1.0, 1.0 / (1.0 + d))
            )
        return _wrap(value, index, "discounted_expected_purchases")


def _alive_sum(gamma: float, delta: float, n: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``sum_{i=1..t} B(gamma, delta + n + i) / B(gamma, delta)``: expected opportunities
    alive among the next ``t``, given alive at ``n``, times ``B(gamma, delta + n) / B(...)``.

    Closed form (Fader, Hardie & Shang, 2010, eq. 13): ``delta / (gamma - 1) *
    G(gamma + delta) / G(1 + delta) * [g(n) - g(n + t)]`` with ``g(m) = G(1 + delta +
    m) / G(gamma + delta + m)``; at ``gamma = 1`` (a 0/0) the sum itself.
    """
    if abs(gamma - 1.0) < _GAMMA_ONE:
        width = int(t.max()) if len(t) else 0
        i = np.arange(1, width + 1, dtype=np.float64)[None, :]
        terms = np.exp(betaln(gamma, delta + n[:, None] + i) - betaln(gamma, delta))
        out: np.ndarray = np.where(i <= t[:, None], terms, 0.0).sum(axis=1)
        return out
    log_g_n = gammaln(1.0 + delta + n) - gammaln(gamma + delta + n)
    log_g_nt = gammaln(1.0 + delta + n + t) - gammaln(gamma + delta + n + t)
    scale = delta / (gamma - 1.0) * np.exp(gammaln(gamma + delta) - gammaln(1.0 + delta))
    result: np.ndarray = scale * np.exp(log_g_n) * -np.expm1(log_g_nt - log_g_n)
    return result
