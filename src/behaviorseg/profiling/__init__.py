"""From segments to decisions: profiles, discriminating criteria and crossings.

Downstream of the segmenters and the KPIs: pure functions on pandas frames, returning
tidy tables indexed by segment (or by feature).

- :func:`segment_profile`: what the customers of each segment look like against the
  base (means, medians, indexes, standardised differences, level shares).
- :func:`distinguishing_features`: which features separate the segments (ANOVA,
  Kruskal-Wallis, chi², effect sizes, adjusted p-values).
- :func:`cross_segments`: two or more segmentations of the same customers combined
  into one label each, small cells folded by a documented rule.

Special categories of personal data (GDPR art. 9) are refused as segmentation
criteria unless the caller opts in; see :class:`~behaviorseg.exceptions.ProtectedAttributeError`.
"""

from ._criteria import distinguishing_features
from ._crossing import SegmentCrossing, cross_segments
from ._profile import segment_profile

__all__ = [
    "SegmentCrossing",
    "cross_segments",
    "distinguishing_features",
    "segment_profile",
]
