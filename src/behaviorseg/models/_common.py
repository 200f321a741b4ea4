"""Private machinery shared by the probabilistic models: input reading, the bounded
maximum-likelihood driver and standard errors from the Hessian."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

# threadpoolctl comes with scikit-learn (one of its own requirements): no new dependency.
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped,unused-ignore]

from .._validation import check_columns, check_numeric
from ..exceptions import BehaviorsegWarning, ConvergenceError, DataValidationError, SchemaError

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
    positional order. Values must be finite and non-negative.
    """
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
        return _Input(values, X.index)
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


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns, in sorted order, and how many times each occurs.

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
    weights = np.bincount(codes)
    first = np.empty(len(weights), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    distinct_rows = [column[first] for column in columns]
    order = np.lexsort(distinct_rows[::-1])
    return [column[order] for column in distinct_rows], weights[order]


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``x`` and each row's code into them."""
    codes, values = pd.factorize(x)
    return np.asarray(values, dtype=np.float64), codes


def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> Any:
    """Return a Series on ``index`` (DataFrame input) or the array itself."""
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)


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


def _standard_errors(
    gradient: Callable[[np.ndarray], np.ndarray],
    params: np.ndarray,
    n_total: float,
    free: np.ndarray,
) -> np.ndarray:
    """Standard errors from the inverse Hessian of the total negative log-likelihood.

    ``gradient`` returns the gradient of the *mean* negative log-likelihood with
    respect to the natural parameters. The Hessian is taken by central differences
    of the gradient over the ``free`` parameters (those off a bound); parameters on
    a bound, or whose curvature is not positive (a flat likelihood), get ``nan``.
    """
    k = len(params)
    errors = np.full(k, np.nan)
    index = np.flatnonzero(free)
    if len(index) == 0:
        return errors
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
            covariance = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return errors
        variances = np.diag(covariance)
    errors[index] = np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
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
    ``log_likelihood_``, ``standard_errors_`` and ``optimizer_result_``.
    """
    scaled = np.exp(result.x)
    params: np.ndarray = scaled * units
    errors = _standard_errors(gradient, scaled, n_total, ~at_bound) * units
    model.params_ = pd.Series(params, index=list(names), name="params_")
    model.log_likelihood_ = float(log_likelihood(params))
    model.standard_errors_ = pd.Series(errors, index=list(names), name="std_error")
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
