"""Exceptions and warnings raised by behaviorseg.

Every error names the column (or parameter), the problem and the fix. The classes
subclass the built-in exception a caller would naturally catch, so ``except
ValueError`` keeps working.

Examples
--------
>>> from behaviorseg.exceptions import SchemaError
>>> try:
...     raise SchemaError("column 'amount' is missing; pass amount_col=...")
... except KeyError as err:
...     print(err)
column 'amount' is missing; pass amount_col=...
"""

from __future__ import annotations

__all__ = [
    "BehaviorsegError",
    "BehaviorsegWarning",
    "ColumnsByPositionWarning",
    "ConvergenceError",
    "DataValidationError",
    "ProtectedAttributeError",
    "RowsExcludedWarning",
    "SchemaError",
]


class BehaviorsegError(Exception):
    """Base class of every exception raised on purpose by behaviorseg.

    Examples
    --------
    >>> from behaviorseg.exceptions import BehaviorsegError, SchemaError
    >>> issubclass(SchemaError, BehaviorsegError)
    True
    """


class SchemaError(BehaviorsegError, KeyError, ValueError):
    """A column is missing, has the wrong type, or mixes time zones.

    Subclasses both :class:`KeyError` (a missing column) and :class:`ValueError`
    (a mistyped one), so either ``except`` catches it.

    Examples
    --------
    >>> from behaviorseg.exceptions import SchemaError
    >>> str(SchemaError("column 'x' is missing"))
    "column 'x' is missing"
    """

    def __str__(self) -> str:
        # KeyError quotes its argument; a schema message reads better as plain text.
        return str(self.args[0]) if self.args else ""


class DataValidationError(BehaviorsegError, ValueError):
    """The values of a column break a rule: NaN, negative, out of range, empty input.

    Examples
    --------
    >>> from behaviorseg.exceptions import DataValidationError
    >>> issubclass(DataValidationError, ValueError)
    True
    """


class ConvergenceError(BehaviorsegError, RuntimeError):
    """A maximum-likelihood fit did not converge; the message says what to try.

    Examples
    --------
    >>> from behaviorseg.exceptions import ConvergenceError
    >>> issubclass(ConvergenceError, RuntimeError)
    True
    """


class ProtectedAttributeError(BehaviorsegError, ValueError):
    """A special category of personal data was about to become a segmentation criterion.

    Raised where a column is used to *separate* customers (the features of
    :func:`~behaviorseg.profiling.distinguishing_features`, the segmentations
    crossed by :func:`~behaviorseg.profiling.cross_segments`) when its name looks
    like one of the special categories of the GDPR, art. 9(1) (racial or ethnic
    origin, religious or philosophical beliefs, political opinions, trade-union
    membership, health, sex life or sexual orientation, genetic or biometric
    data), or when the caller declared it so. The message names the column and
    the rule; ``allow_protected=True`` opts in explicitly, e.g. for a fairness
    audit.

    Examples
    --------
    >>> from behaviorseg.exceptions import ProtectedAttributeError
    >>> issubclass(ProtectedAttributeError, ValueError)
    True
    """


class BehaviorsegWarning(UserWarning):
    """Base class of the warnings behaviorseg emits.

    Examples
    --------
    >>> from behaviorseg.exceptions import BehaviorsegWarning
    >>> issubclass(BehaviorsegWarning, UserWarning)
    True
    """


class ColumnsByPositionWarning(BehaviorsegWarning):
    """An unnamed array wider than a segmenter's roles: columns were read by position.

    A segmenter reads a DataFrame by column name. A plain array has no names, so its
    leading columns are read in the documented role order and the others are ignored,
    as extra DataFrame columns are; the warning names the positions read and ignored.
    In a :class:`~sklearn.pipeline.Pipeline`, call ``set_output(transform="pandas")``
    so the previous step hands over named columns.

    Examples
    --------
    >>> from behaviorseg.exceptions import BehaviorsegWarning, ColumnsByPositionWarning
    >>> issubclass(ColumnsByPositionWarning, BehaviorsegWarning)
    True
    """


class RowsExcludedWarning(BehaviorsegWarning):
    """Rows (or customers) were left out by a documented rule; the message counts them.

    Examples
    --------
    >>> import warnings
    >>> from behaviorseg.exceptions import RowsExcludedWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("2 rows dropped", RowsExcludedWarning)
    >>> caught[0].category.__name__
    'RowsExcludedWarning'
    """
