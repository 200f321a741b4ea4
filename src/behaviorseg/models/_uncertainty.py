"""Intervals for the models' predictions without MCMC: parametric draws of the parameters
from the maximum-likelihood estimate's asymptotic covariance, or a bootstrap over
customers, pushed through the prediction formulas for all draws and customers at once."""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .._frames import frame_kind, to_pandas_frame
from ..exceptions import BehaviorsegWarning, ConvergenceError

__all__: list[str] = []

#: Largest number of values (draws x customers) evaluated at once: ~16 MB per array.
_BLOCK_VALUES = 1 << 21
_METHODS = ("parametric", "bootstrap")


@dataclass(frozen=True)
class _Prediction:
    """A prediction ready for many parameter draws.

    ``formula(params, *rows)`` takes the parameters stacked as ``(k, n_draws, 1)``
    and the per-row inputs (1-D arrays of equal length, sliced into blocks of
    customers), and returns ``(n_draws, n_rows)``. With ``rows`` empty the formula
    takes the parameters only and is evaluated on all rows at once.
    """

    formula: Callable[..., np.ndarray]
    rows: tuple[np.ndarray, ...]
    n_rows: int


def _check_level(level: object) -> float:
    """The interval's level: a number in (0, 1)."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise TypeError(f"level={level!r} must be a number in (0, 1), e.g. 0.95")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={level!r} must lie in (0, 1), e.g. 0.95 for a 95 % interval")
    return float(level)


def _check_n_draws(n_draws: object) -> int:
    """Number of draws: a whole number >= 20 (fewer cannot place a 95 % percentile)."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)):
        raise TypeError(f"n_draws={n_draws!r} must be a whole number >= 20")
    if n_draws < 20:
        raise ValueError(f"n_draws={n_draws!r} must be >= 20; 1000 gives stable 95 % intervals")
    return int(n_draws)


def _parametric_draws(
    params: np.ndarray, covariance: np.ndarray, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_draws`` parameter vectors, log-normal around the estimate.

    The log-parameters are drawn from a normal with the MLE's asymptotic covariance
    on the log scale, ``cov / (theta theta')`` (the fit optimises the
    log-parameters, and the delta method is exact for the Hessian at the optimum),
    so every draw stays positive. Parameters on a bound (``nan`` covariance) are held
    at their estimate; a covariance that is not positive semi-definite (rounding)
    has its negative eigenvalues set to 0.
    """
    k = len(params)
    free = np.isfinite(np.diag(covariance)) & (np.diag(covariance) > 0)
    log_cov = np.zeros((k, k))
    index = np.ix_(free, free)
    log_cov[index] = covariance[index] / np.outer(params[free], params[free])
    values, vectors = np.linalg.eigh(0.5 * (log_cov + log_cov.T))
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    normal = rng.standard_normal((n_draws, k))
    with np.errstate(over="ignore"):  # a nearly flat likelihood: draws may overflow to inf
        out: np.ndarray = params * np.exp(normal @ root.T)
    return out


def _fits_weights(model: Any) -> bool:
    """Whether ``model.fit`` takes ``sample_weight``."""
    return "sample_weight" in inspect.signature(model.fit).parameters


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of a frame or an array, by position."""
    if frame_kind(X) not in (None, "pandas"):
        X, _ = to_pandas_frame(X, name="fit_data")
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows]
    return np.asarray(X)[rows]


def _bootstrap_draws(
    model: Any,
    fit_data: Any,
    fit_weight: Any,
    n_draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Parameters refitted on ``n_draws`` resamples of the customers of ``fit_data``.

    A resample draws as many customers as the data holds, with replacement: a
    multinomial count per row (rows weighted by ``fit_weight``, e.g. a collapsed
    table's counts), passed to ``fit`` as ``sample_weight`` (rows repeated for a
    model whose ``fit`` takes no weights). Each refit starts from the model's own
    starting values; a refit that fails is dropped, with a warning counting them.
    """
    n_rows = len(fit_data)
    weights = (
        np.ones(n_rows)
        if fit_weight is None
        else np.asarray(
            fit_weight.to_numpy() if isinstance(fit_weight, pd.Series) else fit_weight,
            dtype=np.float64,
        )
    )
    if weights.shape != (n_rows,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(
            f"fit_weight must hold {n_rows} finite weights >= 0 (one per row of fit_data)"
        )
    total = round(float(weights.sum()))
    counts = rng.multinomial(total, weights / weights.sum(), size=n_draws).astype(np.float64)
    weighted = _fits_weights(model)
    out, failed = [], 0
    for count in counts:  # one refit per resample: a loop over draws, not customers
        replicate = clone(model)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BehaviorsegWarning)
                if weighted:
                    replicate.fit(fit_data, sample_weight=count)
                else:
                    replicate.fit(
                        _take_rows(fit_data, np.repeat(np.arange(n_rows), count.astype(int)))
                    )
        except (ConvergenceError, ValueError):
            failed += 1
            continue
        out.append(replicate.params_.to_numpy())
    if failed:
        warnings.warn(
            f"{failed} of {n_draws} bootstrap refits failed and were dropped; the interval "
            f"rests on the other {n_draws - failed}",
            BehaviorsegWarning,
            stacklevel=4,
        )
    if len(out) < 20:
        raise ConvergenceError(
            f"only {len(out)} of {n_draws} bootstrap refits converged; use method='parametric'"
        )
    return np.array(out)


def _distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of the first row of each distinct combination of ``columns``, and each
    row's code into them.

    Customers with the same inputs get the same draws, so the draws are computed once
    per distinct row (in CDNOW, the 1,411 one-time buyers have 84 distinct ages).
    Factorizes the columns pairwise, as ``_collapse`` does.
    """
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        more, distinct = pd.factorize(column + 0.0)  # -0.0 -> 0.0
        codes, _ = pd.factorize(codes * max(len(distinct), 1) + more)
    first = np.empty(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first, codes


def _on_rows(prediction: _Prediction, first: np.ndarray) -> _Prediction:
    """The prediction restricted to the rows ``first``."""
    if not prediction.rows:
        return prediction
    return _Prediction(
        prediction.formula, tuple(column[first] for column in prediction.rows), len(first)
    )


def _row_blocks(n_rows: int, n_draws: int, *predictions: _Prediction) -> Iterator[slice]:
    """Blocks of customers that hold at most ~2 million values (draws x customers) each,
    so that memory stays bounded whatever the number of customers; one block when a
    prediction is evaluated on all rows at once."""
    whole = any(not prediction.rows for prediction in predictions)
    size = n_rows if whole else max(1, _BLOCK_VALUES // n_draws)
    for start in range(0, n_rows, max(size, 1)):
        yield slice(start, min(start + size, n_rows))


def _evaluate(prediction: _Prediction, draws: np.ndarray, rows: slice) -> np.ndarray:
    """The prediction under every draw (rows of ``draws``) for the customers ``rows``:
    an array of shape ``(n_draws, n_customers in rows)``."""
    stacked = draws.T[:, :, None]  # (k, n_draws, 1): unpacks into broadcasting columns
    if prediction.rows:
        values = prediction.formula(stacked, *(column[rows] for column in prediction.rows))
    else:
        values = prediction.formula(stacked)[:, rows]
    out: np.ndarray = np.broadcast_to(values, (len(draws), rows.stop - rows.start))
    return out


def _percentiles(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval over the draws (axis 0)."""
    tail = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        low, high = np.quantile(values, [tail, 1.0 - tail], axis=0)
    # Interpolating between two infinite draws gives nan (inf - inf): it is inf.
    infinite = ~np.isnan(values).any(axis=0)
    return np.where(np.isnan(low) & infinite, np.inf, low), np.where(
        np.isnan(high) & infinite, np.inf, high
    )


def _fallback(model: Any, prediction: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A prediction for any method: the public method itself, once per draw.

    Used for predictions whose formula does not broadcast over a draws axis (sums
    over a customer's opportunities, quadratures per customer); a loop over the
    draws, each vectorised over the customers.
    """
    names = list(model.params_.index)

    def formula(stacked: np.ndarray) -> np.ndarray:
        replica = copy.copy(model)
        out = []
        for column in stacked[:, :, 0].T:  # one call per draw
            replica.params_ = pd.Series(column, index=names, name="params_")
            out.append(np.asarray(getattr(replica, prediction)(*args, **kwargs), dtype=np.float64))
        return np.array(out).reshape(len(out), -1)

    return formula


class _IntervalMixin:
    """Adds ``parameter_draws`` and ``interval`` to a fitted maximum-likelihood model.

    A model lists the predictions that get intervals in ``_INTERVALS`` and may
    supply a vectorised :class:`_Prediction` for some of them (``_vectorised``,
    given the prediction's arguments by name); the others are evaluated by calling
    the public method once per draw.
    """

    #: Predictions that accept an interval (public method names).
    _INTERVALS: ClassVar[tuple[str, ...]] = ()
    params_: pd.Series
    covariance_: pd.DataFrame

    def _vectorised(self, prediction: str, arguments: dict[str, Any]) -> _Prediction | None:
        return None

    def _prediction(
        self, prediction: str, args: tuple[Any, ...], kwargs: dict[str, Any], n_rows: int
    ) -> _Prediction:
        """The vectorised form of ``prediction`` if the model has one, else the fallback."""
        bound = inspect.signature(getattr(self, prediction)).bind(*args, **kwargs)
        bound.apply_defaults()
        found = self._vectorised(prediction, dict(bound.arguments))
        if found is not None:
            return found
        return _Prediction(_fallback(self, prediction, args, kwargs), (), n_rows)

    def parameter_draws(
        self,
        n_draws: int = 1000,
        *,
        method: str = "parametric",
        fit_data: Any = None,
        fit_weight: Any = None,
        random_state: int | np.random.Generator | None = None,
    ) -> pd.DataFrame:
        """Draws of the parameters that reflect their estimation uncertainty.

        ``method="parametric"``: the log-parameters drawn from a normal centred on
        the maximum-likelihood estimate with its asymptotic covariance (the inverse
        Hessian, ``covariance_``), so that every draw is positive. A parameter that
        stopped on a bound of its search region has no covariance and is held at
        its estimate. ``method="bootstrap"``: the model refitted on resamples of
        the customers of ``fit_data`` (the data it was fitted on), one fit per draw:
        slower (a fit per draw), with no normal approximation.

        Parameters
        ----------
        n_draws : int, default=1000
            Number of parameter vectors (>= 20).
        method : {"parametric", "bootstrap"}, default="parametric"
            How to draw them.
        fit_data : DataFrame or array, optional
            Bootstrap only, required: the data the model was fitted on.
        fit_weight : array, optional
            Bootstrap only: the ``sample_weight`` the model was fitted with (rows
            that stand for several customers are resampled as that many).
        random_state : int, numpy Generator or None
            Seed; an int gives the same draws every time.

        Returns
        -------
        DataFrame
            One row per draw, one column per parameter (named as ``params_``).

        Examples
        --------
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> draws = BetaGeoModel().fit(X).parameter_draws(500, random_state=0)
        >>> draws.shape, bool((draws > 0).all().all())
        ((500, 4), True)
        """
        check_is_fitted(self, "params_")
        count = _check_n_draws(n_draws)
        if method not in _METHODS:
            raise ValueError(f"method={method!r} must be one of {', '.join(map(repr, _METHODS))}")
        rng = np.random.default_rng(random_state)
        params = self.params_.to_numpy()
        if method == "parametric":
            if fit_data is not None or fit_weight is not None:
                raise ValueError(
                    "fit_data and fit_weight are for method='bootstrap'; the parametric "
                    "draws need only the fitted model"
                )
            values = _parametric_draws(params, self.covariance_.to_numpy(), count, rng)
        else:
            if fit_data is None:
                raise ValueError(
                    "method='bootstrap' needs fit_data=, the data the model was fitted on "
                    "(the model does not keep it), and fit_weight= if it was fitted with "
                    "sample_weight"
                )
            values = _bootstrap_draws(self, fit_data, fit_weight, count, rng)
        out: pd.DataFrame = pd.DataFrame(values, columns=self.params_.index)
        out.index.name = "draw"
        return out

    def interval(
        self,
        prediction: str,
        *args: Any,
        level: float = 0.95,
        n_draws: int = 1000,
        method: str = "parametric",
        fit_data: Any = None,
        fit_weight: Any = None,
        random_state: int | np.random.Generator | None = None,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """A prediction with an interval that reflects the uncertainty of the parameters.

        The named prediction method is evaluated at the estimate and under each of
        ``n_draws`` parameter draws (:meth:`parameter_draws`); ``low`` and ``high``
        are the equal-tailed percentiles of the draws, per row. The interval is
        for the *expected* value the model predicts (how sure we are of the
        model's number, given the data it was fitted on), not for what a customer
        will do: a customer's actual purchases vary far more than their
        expectation.

        Parameters
        ----------
        prediction : str
            Name of the prediction method, e.g. ``"probability_alive"``,
            ``"expected_purchases"``; the model's ``_INTERVALS`` lists them.
        *args, **kwargs
            Passed to the prediction method (``X``, ``t``, ``discount_rate=`` …).
        level : float, default=0.95
            Coverage of the interval, in (0, 1).
        n_draws : int, default=1000
            Number of parameter draws (>= 20).
        method : {"parametric", "bootstrap"}, default="parametric"
            See :meth:`parameter_draws`.
        fit_data, fit_weight : optional
            Bootstrap only: the data (and weights) the model was fitted on.
        random_state : int, numpy Generator or None
            Seed of the draws.

        Returns
        -------
        DataFrame
            ``estimate`` (the prediction method's own output), ``low``, ``high``;
            indexed like ``X`` for a frame (a RangeIndex for an array), or by the
            values of ``t`` for a prediction of ``t`` alone.

        Examples
        --------
        >>> import behaviorseg as bs
        >>> from behaviorseg.models import BetaGeoModel
        >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
        >>> model = BetaGeoModel().fit(X)
        >>> table = model.interval("expected_purchases", X, 52, random_state=0)
        >>> list(table.columns)
        ['estimate', 'low', 'high']
        >>> bool(((table["low"] <= table["estimate"]) & (table["estimate"] <= table["high"])).all())
        True
        """
        if prediction not in self._INTERVALS:
            raise ValueError(
                f"{type(self).__name__} has intervals for "
                f"{', '.join(map(repr, self._INTERVALS))}; got prediction={prediction!r}"
            )
        share = _check_level(level)
        estimate = getattr(self, prediction)(*args, **kwargs)
        draws = self.parameter_draws(
            n_draws,
            method=method,
            fit_data=fit_data,
            fit_weight=fit_weight,
            random_state=random_state,
        ).to_numpy()
        point = np.atleast_1d(np.asarray(estimate, dtype=np.float64))
        formula = self._prediction(prediction, args, kwargs, len(point))
        first, codes = (
            _distinct_rows(*formula.rows) if formula.rows else (np.arange(len(point)), None)
        )
        formula = _on_rows(formula, first)
        low, high = np.empty(len(first)), np.empty(len(first))
        for rows in _row_blocks(len(first), len(draws), formula):
            low[rows], high[rows] = _percentiles(_evaluate(formula, draws, rows), share)
        if codes is not None:
            low, high = low[codes], high[codes]
        if isinstance(estimate, pd.Series):
            index = estimate.index
        elif "X" not in inspect.signature(getattr(self, prediction)).parameters:
            # A prediction of ``t`` alone (a new customer, a cohort's survival curve).
            t = args[0] if args else kwargs["t"]
            index = pd.Index(np.atleast_1d(np.asarray(t, dtype=np.float64)), name="t")
        else:
            index = pd.RangeIndex(len(point))
        out: pd.DataFrame = pd.DataFrame({"estimate": point, "low": low, "high": high}, index=index)
        return out
