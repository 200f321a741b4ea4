"""Private machinery shared by the probabilistic models: input reading, the bounded
maximum-likelihood driver and standard errors from the Hessian."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

# threadpoolctl comes with scikit-learn (one of its own requirements): no new dependency.
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped,unused-ignore]

from .._frames import frame_kind, to_pandas_frame
from .._validation import check_columns, check_numeric
from ..exceptions import BehaviorsegWarning, ConvergenceError, DataValidationError, SchemaError
from ._uncertainty import _IntervalMixin, _Prediction

__all__: list[str] = []

#: The ``rfm_table`` columns: a model given that frame says which summary it needs.
_RFM_COLUMNS = ("recency_days", "tenure_days")


@dataclass(frozen=True)
class _Input:
    """Validated model input: one float array per role, and the frame's index if any."""

    values: dict[str, np.ndarray]
    index: pd.Index | None


def _read_input(
    X: Any,
    columns: Mapping[str, tuple[str, str]],
    *,
    owner: str,
) -> _Input:
    """Read the role columns of ``X`` by name (DataFrame) or by position (array).

    ``columns`` maps each role to ``(parameter name, column name)``, in the documented
    positional order. Values must be finite and non-negative. A polars or pyarrow
    frame is read by name like a pandas one; having no index, it gets arrays back.
    """
    native = frame_kind(X)
    if native not in (None, "pandas"):
        X, _ = to_pandas_frame(X, name=f"the data passed to {owner}")
    if isinstance(X, pd.DataFrame):
        wanted = {param: col for param, col in columns.values()}
        if any(col not in X.columns for col in wanted.values()) and all(
            c in X.columns for c in _RFM_COLUMNS
        ):
            raise SchemaError(
                f"{owner} was given an rfm_table frame (recency_days = days since the last "
                f"purchase, tenure_days). The model needs the buy-till-you-die summary from "
                f"behaviorseg.summaries.clv_summary, where recency is the customer's age at "
                f"the last purchase and frequency counts repeat purchases."
            )
        check_columns(X, wanted, name=f"the data passed to {owner}")
        values = {
            role: check_numeric(X[col], column=col, min_value=0.0)
            for role, (_, col) in columns.items()
        }
        return _Input(values, X.index if native == "pandas" else None)
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != len(columns):
        order = ", ".join(col for _, col in columns.values())
        raise ValueError(
            f"{owner} expects a DataFrame or a 2-D array with {len(columns)} columns "
            f"({order}), got shape {array.shape}"
        )
    values = {}
    for position, (role, (_, col)) in enumerate(columns.items()):
        column = array[:, position]
        bad = ~np.isfinite(column)
        if bad.any():
            raise DataValidationError(
                f"column {col!r} (position {position}) has {int(bad.sum())} missing or "
                f"non-finite values; drop or fill them first"
            )
        if (column < 0).any():
            raise DataValidationError(
                f"column {col!r} (position {position}) has {int((column < 0).sum())} "
                f"negative values; they make no sense here"
            )
        values[role] = column
    return _Input(values, None)


def _check_whole(values: np.ndarray, column: str) -> None:
    """Refuse non-integer purchase counts."""
    fractional = values != np.floor(values)
    if fractional.any():
        raise DataValidationError(
            f"column {column!r} has {int(fractional.sum())} non-integer values; it counts "
            f"repeat purchases, so it must hold whole numbers"
        )


def _collapse(
    *columns: np.ndarray, weights: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns, in sorted order, and how many times each occurs
    (or, with ``weights``, the sum of the weights of its rows).

    Factorizes each column, then combines the codes pairwise (each product stays
    below n**2, so it cannot overflow int64); a million rows take ~0.1 s, against
    ~1.5 s for ``np.unique(axis=0)``. The distinct rows are then sorted
    lexicographically (first column first), so the likelihood sums run over the
    same rows in the same order whatever the order of the input: a fit is
    bit-identical under any permutation of the customers.
    """
    columns = tuple(column + 0.0 for column in columns)  # -0.0 -> 0.0: one bit pattern
    codes, _ = pd.factorize(columns[0])
    for column in columns[1:]:
        more, distinct = pd.factorize(column)
        codes, _ = pd.factorize(codes.astype(np.int64) * len(distinct) + more)
    counts = np.bincount(codes) if weights is None else np.bincount(codes, weights=weights)
    first = np.empty(len(counts), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    distinct_rows = [column[first] for column in columns]
    order = np.lexsort(distinct_rows[::-1])
    return [column[order] for column in distinct_rows], counts[order]


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``x`` and each row's code into them."""
    codes, values = pd.factorize(x)
    return np.asarray(values, dtype=np.float64), codes


def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> Any:
    """Return a Series on ``index`` (DataFrame input) or the array itself."""
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)


def _on_log_scale(
    natural: Callable[[np.ndarray], tuple[float, np.ndarray]],
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The objective ``natural(params) -> (value, gradient)`` as a function of log-parameters.

    The fits search log-parameters so every parameter stays positive; a point where
    the value or the gradient is not finite is reported as ``inf`` (L-BFGS-B then
    backtracks).
    """

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            value, gradient = natural(params)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros(len(params))
        return value, gradient * params

    return objective


def _fit_bounded(
    negloglik: Callable[[np.ndarray], tuple[float, np.ndarray]],
    starts: list[np.ndarray],
    bounds: np.ndarray,
    *,
    owner: str,
) -> tuple[Any, np.ndarray]:
    """Minimise ``negloglik`` over log-parameters inside ``bounds`` (L-BFGS-B + Newton).

    ``negloglik`` returns the mean negative log-likelihood and its gradient with
    respect to the log-parameters. Each start is tried in turn until one converges
    inside the region; the best converged optimum is then polished by Newton steps
    on the parameters off their bounds (:func:`_newton_polish`), so that where it
    ends depends on the likelihood, not on the optimiser's path. Returns scipy's
    result (``x`` = the log-parameters) and which parameters sit on a bound.
    Raises ConvergenceError when no start converges.
    """
    best: Any = None
    for start in starts:
        if best is not None and not _at_bound(best.x, bounds).any():
            break  # converged inside the region: further starts are a fallback only
        with np.errstate(all="ignore"), _one_blas_thread():
            result = minimize(
                negloglik,
                np.clip(start, bounds[:, 0], bounds[:, 1]),
                jac=True,
                method="L-BFGS-B",
                bounds=[tuple(b) for b in bounds],
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
            )
        if not (np.all(np.isfinite(result.x)) and np.isfinite(result.fun)):
            continue
        if result.success and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise ConvergenceError(
            f"{owner}: the maximum-likelihood fit did not converge from any starting point. "
            f"Check that frequency counts repeat purchases, that recency and T are ages "
            f"(clv_summary), and that the data has enough repeat buyers."
        )
    at_bound = _at_bound(best.x, bounds)
    with np.errstate(all="ignore"), _one_blas_thread():
        _newton_polish(negloglik, best, bounds, ~at_bound)
    return best, at_bound


def _newton_polish(
    negloglik: Callable[[np.ndarray], tuple[float, np.ndarray]],
    result: Any,
    bounds: np.ndarray,
    free: np.ndarray,
    *,
    max_steps: int = 6,
) -> None:
    """Refine a converged L-BFGS-B optimum in place with Newton steps on ``free``.

    L-BFGS-B stops once the decrease per step falls below ``ftol``: where exactly
    depends on its path, which rounding (row order, a rescaled input, the platform's
    libm) nudges, leaving parameters that differ by ~1e-7 between equivalent inputs.
    Newton steps drive the gradient of the free parameters to its rounding floor
    instead. The Hessian (central differences of the analytic gradient) is taken
    once at the L-BFGS-B optimum and reused (a chord method: from ~1e-6 away, each
    step gains about six digits). A step is taken only while the Hessian is
    positive definite, the step stays inside the region and the gradient shrinks;
    otherwise the optimum is left as it is.
    """
    index = np.flatnonzero(free)
    if len(index) == 0:
        return
    x = np.asarray(result.x, dtype=np.float64).copy()
    value, gradient = negloglik(x)
    hessian = _hessian(lambda z: negloglik(z)[1], x, index)
    try:
        lower = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return
    steps = 0
    for _ in range(max_steps):
        step = -np.linalg.solve(lower.T, np.linalg.solve(lower, gradient[index]))
        trial = x.copy()
        trial[index] += step
        if np.any(trial < bounds[:, 0]) or np.any(trial > bounds[:, 1]):
            break
        trial_value, trial_gradient = negloglik(trial)
        if not (
            np.isfinite(trial_value)
            and np.linalg.norm(trial_gradient[index]) < np.linalg.norm(gradient[index])
        ):
            break
        x, value, gradient = trial, trial_value, trial_gradient
        steps += 1
    result.x, result.fun, result.jac = x, value, gradient
    result["newton_steps"] = steps


def _hessian(
    gradient: Callable[[np.ndarray], np.ndarray], point: np.ndarray, index: np.ndarray
) -> np.ndarray:
    """Symmetrised central-difference Hessian of ``gradient`` over the ``index`` block."""
    k = len(index)
    hessian = np.empty((k, k))
    for j, i in enumerate(index):
        step = 1e-5 * max(abs(point[i]), 1.0)
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        hessian[:, j] = (gradient(up)[index] - gradient(down)[index]) / (2.0 * step)
    out: np.ndarray = 0.5 * (hessian + hessian.T)
    return out


def _warn_at_bound(
    owner: str,
    names: tuple[str, ...],
    params: np.ndarray,
    bounds: np.ndarray,
    at_bound: np.ndarray,
    *,
    detail: str = "",
    stacklevel: int = 3,
) -> None:
    """Warn, naming each parameter that stopped on a bound with its own search region.

    ``params`` and ``bounds`` (rows of ``[low, high]``) are on the natural scale, in
    the caller's units.
    """
    if not at_bound.any():
        return
    parts = []
    for i in np.flatnonzero(at_bound):
        low, high = bounds[i]
        upper = abs(np.log(params[i] / high)) < abs(np.log(params[i] / low))
        parts.append(
            f"parameter {names[i]} = {params[i]:.4g} is at the {'upper' if upper else 'lower'} "
            f"end of its search region [{low:.3g}, {high:.3g}]"
        )
    warnings.warn(
        f"{owner}: {'; '.join(parts)}. The likelihood still rises, or is flat, towards "
        f"the bound, so the maximum lies on or beyond it: the value is a limit of the "
        f"search, not an estimate, and its standard error is nan.{detail}",
        BehaviorsegWarning,
        stacklevel=stacklevel,
    )


@cache
def _blas_controller() -> Any:
    """The process's BLAS thread pools, found once (finding them reads /proc)."""
    return ThreadpoolController()


def _one_blas_thread() -> AbstractContextManager[Any]:
    """Run the block with one BLAS thread.

    L-BFGS-B's linear algebra is tiny; OpenBLAS threads gain nothing on it, and on a
    busy machine their spin-waits made the CDNOW fit up to ten times slower.
    """
    limiter: AbstractContextManager[Any] = _blas_controller().limit(limits=1, user_api="blas")
    return limiter


def _at_bound(log_params: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Which log-parameters sit on a bound of the search region."""
    out: np.ndarray = np.isclose(log_params, bounds[:, 0], atol=1e-6) | np.isclose(
        log_params, bounds[:, 1], atol=1e-6
    )
    return out


def _covariance(
    gradient: Callable[[np.ndarray], np.ndarray],
    params: np.ndarray,
    n_total: float,
    free: np.ndarray,
) -> np.ndarray:
    """Asymptotic covariance of the parameters: the inverse Hessian of the total
    negative log-likelihood.

    ``gradient`` returns the gradient of the *mean* negative log-likelihood with
    respect to the natural parameters. The Hessian is taken by central differences
    of the gradient over the ``free`` parameters (those off a bound); the rows and
    columns of parameters on a bound are ``nan``, and so is everything when the
    Hessian is singular.
    """
    k = len(params)
    covariance = np.full((k, k), np.nan)
    index = np.flatnonzero(free)
    if len(index) == 0:
        return covariance
    hessian = np.empty((len(index), len(index)))
    for col, j in enumerate(index):
        step = 1e-5 * max(abs(params[j]), 1e-8)
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] = max(down[j] - step, params[j] * 0.5)
        hessian[:, col] = (gradient(up)[index] - gradient(down)[index]) / (up[j] - down[j])
    hessian = 0.5 * (hessian + hessian.T) * n_total
    with np.errstate(all="ignore"):
        try:
            inverse = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return covariance
    covariance[np.ix_(index, index)] = inverse
    return covariance


def _standard_errors(covariance: np.ndarray) -> np.ndarray:
    """Square roots of the variances; ``nan`` where the curvature is not positive (a
    flat likelihood) or the parameter sits on a bound."""
    with np.errstate(all="ignore"):
        variances = np.diag(covariance)
        errors: np.ndarray = np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
    return errors


def _record_fit(
    model: Any,
    names: tuple[str, ...],
    result: Any,
    *,
    units: np.ndarray,
    bounds: np.ndarray,
    at_bound: np.ndarray,
    n_total: float,
    gradient: Callable[[np.ndarray], np.ndarray],
    log_likelihood: Callable[[np.ndarray], float],
    detail: Callable[[np.ndarray], str] | None = None,
) -> None:
    """Store what every fitted model exposes, and warn about parameters on a bound.

    The fit runs on rescaled data (spend divided by its mean, ages by the mean
    ``T``): ``result.x`` holds the log-parameters on that scale, ``bounds`` the
    search region there, and ``units`` the factor that takes each parameter back to
    the caller's units (1 for the shape parameters). ``gradient`` is the
    natural-parameter gradient on the rescaled data; standard errors scale like
    their parameters. ``log_likelihood`` gives the total log-likelihood of the
    caller's data at the parameters in the caller's units, and ``detail`` any
    model-specific sentence for the bound warning. Sets ``params_``,
    ``log_likelihood_``, ``standard_errors_``, ``covariance_`` (the asymptotic
    covariance of the parameters, in the caller's units) and ``optimizer_result_``.
    """
    scaled = np.exp(result.x)
    params: np.ndarray = scaled * units
    covariance = _covariance(gradient, scaled, n_total, ~at_bound) * np.outer(units, units)
    errors = _standard_errors(covariance)
    model.params_ = pd.Series(params, index=list(names), name="params_")
    model.log_likelihood_ = float(log_likelihood(params))
    model.standard_errors_ = pd.Series(errors, index=list(names), name="std_error")
    model.covariance_ = pd.DataFrame(covariance, index=list(names), columns=list(names))
    model.optimizer_result_ = result
    _warn_at_bound(
        type(model).__name__,
        names,
        params,
        np.exp(bounds) * units[:, None],
        at_bound,
        detail="" if detail is None or not at_bound.any() else detail(params),
        stacklevel=4,
    )


def _summary_table(params: pd.Series, errors: pd.Series) -> pd.DataFrame:
    """Parameter table with standard errors and 95 % Wald intervals (log scale)."""
    # Intervals on the log scale keep the positive parameters positive.
    with np.errstate(all="ignore"):
        half = 1.959963984540054 * errors / params
        table: pd.DataFrame = pd.DataFrame(
            {
                "estimate": params,
                "std_error": errors,
                "ci_low": params * np.exp(-half),
                "ci_high": params * np.exp(half),
            }
        )
    table.index.name = "parameter"
    return table


class _RepeatBuyingModel(_IntervalMixin, BaseEstimator):  # type: ignore[misc]
    """What the non-contractual repeat-buying models share (BG/NBD, MBG/NBD, Pareto/NBD).

    Each model reads the ``clv_summary`` columns (frequency, recency, T) and supplies
    its formulas through five hooks on the natural parameters: ``_terms`` (per-row
    log-likelihood and gradient), ``_starts``, ``_alive``, ``_expected`` (the
    conditional expectation over the next ``t``) and ``_pmf`` (the conditional
    distribution of the number of purchases in the next ``t``). This class does the
    rest once: input checks, collapsing identical rows (with ``sample_weight``), the
    bounded fit on rescaled ages, lifetimes' optional L2 penalty, and the public
    prediction methods. Think twice before adding to it.
    """

    #: Parameter names, as in the model's paper.
    _NAMES: ClassVar[tuple[str, ...]]
    #: Search region of the log-parameters, with times in units of the mean age T.
    _BOUNDS: ClassVar[np.ndarray]
    #: True for the parameters that are time scales (alpha, beta): rescaled with T.
    _TIME_SCALES: ClassVar[tuple[bool, ...]]
    #: lifetimes adds its penalty to the mean negative log-likelihood (BG/NBD, MBG/NBD)
    #: or to the total one (Pareto/NBD).
    _PENALTY_ON_TOTAL: ClassVar[bool] = False
    _INTERVALS = (
        "probability_alive",
        "expected_purchases",
        "expected_purchases_new",
        "probability_no_purchase",
        "probability_of_n_purchases",
    )

    def __init__(
        self,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
        penalizer_coef: float = 0.0,
    ) -> None:
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.penalizer_coef = penalizer_coef

    # -- hooks (natural parameters, arrays of equal length) ------------------------------

    def _terms(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        levels: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _starts(self, alpha0: float) -> list[np.ndarray]:
        """Starting log-parameters (shape, time scale, shape, shape/time scale), tried in
        turn; ``alpha0`` is mean T / mean x in units of the mean T."""
        return [
            np.log([1.0, alpha0, 1.0, 1.0]),
            np.log([0.5, alpha0, 0.5, 2.0]),
            np.log([0.1, 0.1 * alpha0, 0.1, 0.1]),
        ]

    def _alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Any:
        raise NotImplementedError

    def _expected(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray
    ) -> Any:
        raise NotImplementedError

    def _pmf(
        self,
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        t: np.ndarray,
        n: np.ndarray,
    ) -> Any:
        raise NotImplementedError

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

    def _check_penalizer(self) -> float:
        coef = self.penalizer_coef
        if isinstance(coef, bool) or not isinstance(coef, (int, float, np.floating, np.integer)):
            raise TypeError(f"penalizer_coef={coef!r} must be a number >= 0")
        if not (np.isfinite(coef) and coef >= 0):
            raise ValueError(f"penalizer_coef={coef!r} must be a finite number >= 0")
        return float(coef)

    @staticmethod
    def _check_weights(sample_weight: Any, n_rows: int) -> np.ndarray:
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (n_rows,):
            raise ValueError(
                f"sample_weight must hold one weight per row ({n_rows}), got shape {weights.shape}"
            )
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            raise DataValidationError(
                f"sample_weight has {int(bad.sum())} negative or non-finite values; weights "
                f"count customers, so they must be finite and >= 0"
            )
        return weights

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit the parameters by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, 3)
            The ``clv_summary`` table (frequency, recency, T).
        y : None
            Ignored.
        sample_weight : array of shape (n_rows,) or None
            How many customers each row stands for (e.g. the counts of a table
            collapsed to its distinct rows, as in Fader & Hardie's spreadsheets).
            The fit equals the fit of the expanded table. Default: one per row.

        Returns
        -------
        self
            The fitted model.

        Examples
        --------
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> model.params_.index.tolist(), model.n_customers_
        (['r', 'alpha', 'a', 'b'], 2357)
        """
        owner = type(self).__name__
        coef = self._check_penalizer()
        x, t_x, T, _ = self._read(X)
        weights = None if sample_weight is None else self._check_weights(sample_weight, len(x))
        if len(x) == 0:
            raise DataValidationError(f"{owner}.fit needs at least one customer, got 0")
        # Distinct rows in sorted order: the fit does not depend on the row order.
        (ux, ut, uT), counts = _collapse(x, t_x, T, weights=weights)
        keep = counts > 0
        ux, ut, uT, counts = ux[keep], ut[keep], uT[keep], counts[keep]
        if not (ux > 0).any():
            raise DataValidationError(
                f"column {self.frequency_col!r} is 0 for all {len(x)} customers: with no "
                f"repeat buyer the dropout process cannot be estimated"
            )
        w = counts.astype(np.float64)
        n = float(w.sum())
        # Times are fitted in units of the mean age T, so the search region and the
        # optimiser's path do not depend on the summary's time unit: fitting on ages
        # in days rather than weeks gives the same shapes and 7 x the time scales.
        scale = float(w @ uT) / n
        uts, uTs = ut / scale, uT / scale
        levels = _levels(ux)
        time_scales = np.array(self._TIME_SCALES)
        units = np.where(time_scales, scale, 1.0)
        # lifetimes' penalty: coef * sum(params**2) with times in units of the largest T.
        penalty_units = np.where(time_scales, scale / float(uT.max()), 1.0) ** 2
        penalty = coef / n if self._PENALTY_ON_TOTAL else coef

        def natural(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = self._terms(params, ux, uts, uTs, levels)
            value = -float(w @ ll) / n + penalty * float(penalty_units @ params**2)
            gradient: np.ndarray = -(w @ grad) / n + 2.0 * penalty * penalty_units * params
            return value, gradient

        negloglik = _on_log_scale(natural)

        alpha0 = 1.0 / max(float(w @ ux) / n, 1e-3)  # mean T / mean x, in units of mean T
        result, at_bound = _fit_bounded(negloglik, self._starts(alpha0), self._BOUNDS, owner=owner)
        _record_fit(
            self,
            self._NAMES,
            result,
            units=units,
            bounds=self._BOUNDS,
            at_bound=at_bound,
            n_total=n,
            gradient=lambda params: natural(params)[1],
            log_likelihood=lambda params: float(w @ self._terms(params, ux, ut, uT, levels)[0]),
        )
        self.n_customers_ = len(x) if weights is None else (int(n) if n == int(n) else n)
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
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> list(BetaGeoModel().fit(X).summary().columns)
        ['estimate', 'std_error', 'ci_low', 'ci_high']
        """
        check_is_fitted(self, "params_")
        return _summary_table(self.params_, self.standard_errors_)

    # -- predictions ---------------------------------------------------------------------

    def _fitted(self) -> np.ndarray:
        check_is_fitted(self, "params_")
        params: np.ndarray = self.params_.to_numpy()
        return params

    def _vectorised(self, prediction: str, arguments: dict[str, Any]) -> _Prediction | None:
        """P(alive) and the expected purchases under many parameter draws at once (the
        hooks broadcast a draws axis); the distributions of counts use the fallback."""
        if prediction == "expected_purchases_new":
            horizon = np.atleast_1d(np.asarray(arguments["t"], dtype=np.float64))
            horizon = self._check_t(horizon, len(horizon))
            return _Prediction(
                lambda p, t: np.maximum(self._expected(p, 0 * t, 0 * t, 0 * t, t), 0.0),
                (horizon,),
                len(horizon),
            )
        if prediction not in ("probability_alive", "expected_purchases"):
            return None
        x, t_x, T, _ = self._read(arguments["X"])
        if prediction == "probability_alive":
            return _Prediction(
                lambda p, *rows: np.clip(self._alive(p, *rows), 0.0, 1.0), (x, t_x, T), len(x)
            )
        horizon = self._check_t(arguments["t"], len(x))
        return _Prediction(
            lambda p, *rows: np.maximum(self._expected(p, *rows), 0.0),
            (x, t_x, T, horizon),
            len(x),
        )

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
        params = self._fitted()
        x, t_x, T, data = self._read(X)
        ll, _ = self._terms(params, x, t_x, T)
        return _wrap(ll, data.index, "log_likelihood")

    def probability_alive(self, X: Any) -> Any:
        """Probability that each customer is still alive at the end of the window.

        See the model's class notes for its formula and for one-time buyers.

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
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> alive = BetaGeoModel().fit(X).probability_alive(X)
        >>> bool(alive[X["frequency"] == 0].eq(1.0).all() and alive.between(0, 1).all())
        True
        """
        params = self._fitted()
        x, t_x, T, data = self._read(X)
        alive = np.clip(self._alive(params, x, t_x, T), 0.0, 1.0)
        return _wrap(alive, data.index, "probability_alive")

    def probability_no_purchase(self, X: Any, t: Any) -> Any:
        """Probability that each customer makes no purchase in the next ``t`` periods.

        ``probability_of_n_purchases(X, t, 0)``: a customer buys nothing if they have
        dropped out, or if they are alive and their (posterior) purchase process
        yields no event in ``t``. Unlike ``1 - probability_alive`` it is informative
        for one-time buyers too, which makes it the better churn score for a
        question such as "no purchase in the next quarter".

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
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> quiet = model.probability_no_purchase(X, 13)
        >>> bool((quiet >= 1 - model.probability_alive(X)).all())
        True
        """
        params = self._fitted()
        x, t_x, T, data = self._read(X)
        horizon = self._check_t(t, len(x))
        value = np.clip(self._pmf(params, x, t_x, T, horizon, np.zeros(len(x))), 0.0, 1.0)
        return _wrap(value, data.index, "probability_no_purchase")

    def probability_of_n_purchases(self, X: Any, t: Any, n: Any) -> Any:
        """Probability that each customer makes exactly ``n`` purchases in the next ``t``.

        The conditional distribution of the number of purchases in ``(T, T + t]``
        given the customer's history: with probability ``1 - P(alive)`` none, else
        the model's distribution for a customer who starts afresh with the
        posterior purchase and dropout rates. For a new customer (frequency,
        recency and T all 0) it is the model's unconditional ``P(X(t) = n)``.
        Over ``n = 0, 1, 2, ...`` the values sum to 1 and their mean is
        :meth:`expected_purchases`.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, 3)
            frequency, recency, T.
        t : float or array of shape (n_customers,)
            Length of the future period, in the summary's time unit (>= 0).
        n : int or array of shape (n_customers,)
            Number of purchases (whole numbers >= 0).

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
        >>> model = BetaGeoModel().fit(X)
        >>> total = sum(model.probability_of_n_purchases(X, 26, n) for n in range(200))
        >>> bool(np.allclose(total, 1.0))
        True
        """
        params = self._fitted()
        x, t_x, T, data = self._read(X)
        horizon = self._check_t(t, len(x))
        count = np.asarray(n, dtype=np.float64)
        if count.ndim == 0:
            count = np.full(len(x), float(count))
        if count.shape != (len(x),):
            raise ValueError(f"n must be a number or {len(x)} numbers, got shape {count.shape}")
        if not np.all(np.isfinite(count)) or np.any(count < 0) or np.any(count != np.floor(count)):
            raise ValueError("n must hold whole numbers of purchases >= 0")
        value = np.clip(self._pmf(params, x, t_x, T, horizon, count), 0.0, 1.0)
        return _wrap(value, data.index, "probability_of_n_purchases")

    def expected_purchases(self, X: Any, t: Any) -> Any:
        """Expected number of purchases in the next ``t`` periods, given each history.

        The conditional expectation ``E[Y(t) | x, t_x, T]``: the probability of
        being alive times the expected purchases of a live customer whose rates
        follow the posterior.

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
        params = self._fitted()
        x, t_x, T, data = self._read(X)
        horizon = self._check_t(t, len(x))
        expected = np.maximum(self._expected(params, x, t_x, T, horizon), 0.0)
        return _wrap(expected, data.index, "expected_purchases")

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected number of purchases of a new customer in their first ``t`` periods.

        The unconditional ``E[X(t)]``: repeat purchases after the first one, which
        opens the customer's clock (the conditional expectation at frequency,
        recency and T all 0).

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
        params = self._fitted()
        scalar = np.ndim(t) == 0
        horizon = np.atleast_1d(np.asarray(t, dtype=np.float64))
        horizon = self._check_t(horizon, len(horizon))
        zeros = np.zeros_like(horizon)
        out = np.maximum(self._expected(params, zeros, zeros, zeros, horizon), 0.0)
        return float(out[0]) if scalar else out

    def _grid(
        self, T: float, max_frequency: int, recency: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (recency, frequency) grid of a customer of age ``T``, flattened."""
        if not (np.isfinite(T) and T > 0):
            raise ValueError(f"T={T!r} must be a positive age, in the summary's time unit")
        if isinstance(max_frequency, bool) or int(max_frequency) != max_frequency:
            raise ValueError(f"max_frequency={max_frequency!r} must be a whole number >= 0")
        if max_frequency < 0:
            raise ValueError(f"max_frequency={max_frequency!r} must be a whole number >= 0")
        ages = (
            np.arange(int(np.floor(T)) + 1, dtype=np.float64)
            if recency is None
            else np.asarray(recency, dtype=np.float64).ravel()
        )
        if not np.all(np.isfinite(ages)) or np.any(ages < 0) or np.any(ages > T):
            raise ValueError(f"recency values must lie in [0, T={T}]")
        counts = np.arange(int(max_frequency) + 1, dtype=np.float64)
        t_x, x = (grid.ravel() for grid in np.meshgrid(ages, counts, indexing="ij"))
        return ages, counts, x, t_x

    def _matrix(self, values: np.ndarray, ages: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
        table = values.reshape(len(ages), len(counts))
        impossible = (ages[:, None] > 0) != (counts[None, :] > 0)
        table = np.where(impossible, np.nan, table)
        out: pd.DataFrame = pd.DataFrame(
            table,
            index=pd.Index(ages, name="recency"),
            columns=pd.Index(counts.astype(np.int64), name="frequency"),
        )
        return out

    def probability_alive_matrix(
        self, T: float, *, max_frequency: int, recency: Any = None
    ) -> pd.DataFrame:
        """P(alive) over a (recency, frequency) grid, for customers of age ``T``.

        The table behind the papers' P(alive) heat maps: rows are the age at the
        last purchase, columns the number of repeat purchases. Histories that
        cannot happen are ``nan``: a repeat buyer with recency 0, or a one-time
        buyer with recency > 0 (so the frequency-0 column has one value, at
        recency 0).

        Parameters
        ----------
        T : float
            The customers' age at the end of the window (the summary's time unit).
        max_frequency : int
            Largest number of repeat purchases (columns ``0..max_frequency``).
        recency : array or None
            Ages at the last purchase (rows), within [0, T]. Default: 0, 1, ...,
            floor(T).

        Returns
        -------
        DataFrame
            Indexed by ``recency``, one column per ``frequency``.

        Examples
        --------
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> table = BetaGeoModel().fit(X).probability_alive_matrix(52, max_frequency=10)
        >>> table.shape
        (53, 11)
        """
        params = self._fitted()
        ages, counts, x, t_x = self._grid(T, max_frequency, recency)
        alive = np.clip(self._alive(params, x, t_x, np.full(len(x), float(T))), 0.0, 1.0)
        return self._matrix(alive, ages, counts)

    def expected_purchases_matrix(
        self, t: float, T: float, *, max_frequency: int, recency: Any = None
    ) -> pd.DataFrame:
        """Expected purchases in the next ``t`` over a (recency, frequency) grid.

        Same grid and ``nan`` cells as :meth:`probability_alive_matrix`, for
        customers of age ``T``.

        Parameters
        ----------
        t : float
            Length of the future period (>= 0).
        T : float
            The customers' age at the end of the window.
        max_frequency : int
            Largest number of repeat purchases (columns ``0..max_frequency``).
        recency : array or None
            Ages at the last purchase (rows), within [0, T]. Default: 0, 1, ...,
            floor(T).

        Returns
        -------
        DataFrame
            Indexed by ``recency``, one column per ``frequency``.

        Examples
        --------
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> table = BetaGeoModel().fit(X).expected_purchases_matrix(13, 52, max_frequency=10)
        >>> bool(table.iloc[-1, -1] > table.iloc[1, -1])  # recent heavy buyers buy most
        True
        """
        params = self._fitted()
        ages, counts, x, t_x = self._grid(T, max_frequency, recency)
        horizon = self._check_t(t, len(x))
        expected = np.maximum(
            self._expected(params, x, t_x, np.full(len(x), float(T)), horizon), 0.0
        )
        return self._matrix(expected, ages, counts)

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
