"""Probabilistic customer-base models fitted by maximum likelihood.

:class:`BetaGeoModel` (BG/NBD) models how often customers buy and when they drop
out; :class:`GammaGammaModel` models how much they spend per transaction. Both take
the :func:`~behaviorseg.summaries.clv_summary` table.
"""

from ._beta_geo import BetaGeoModel
from ._gamma_gamma import GammaGammaModel

__all__ = ["BetaGeoModel", "GammaGammaModel"]
