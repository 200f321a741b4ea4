"""Segmenters whose columns are named by role, each role optional (``<role>_col=None``)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._base import BaseSegmenter

__all__: list[str] = []  # private module


class OptionalRoleSegmenter(BaseSegmenter):
    """A segmenter reading one column per role from ``<role>_col`` parameters.

    Subclasses list their roles in ``_roles`` (array order) and name the summary
    that builds their table in ``_summary``; a role whose parameter is ``None`` is
    not read, and the segment it feeds is left out by the subclass.
    """

    _roles: ClassVar[tuple[str, ...]] = ()
    _summary: ClassVar[str] = ""

    def _role_columns(self) -> dict[str, str]:
        """The columns read, by role, in array order (roles set to None left out)."""
        named = {role: getattr(self, f"{role}_col") for role in self._roles}
        return {role: col for role, col in named.items() if col is not None}

    def _input_columns(self) -> list[str]:
        return list(self._role_columns().values())

    def _checked_roles(self, X: np.ndarray) -> dict[str, str]:
        """The role columns, after checking that ``X`` has one column per role."""
        roles = self._role_columns()
        if X.shape[1] < len(roles):
            raise ValueError(
                f"{type(self).__name__} reads {len(roles)} feature(s) {list(roles.values())}, "
                f"got {X.shape[1]} feature(s); build the table with "
                f"behaviorseg.summaries.{self._summary} or set the unused *_col to None"
            )
        return roles
