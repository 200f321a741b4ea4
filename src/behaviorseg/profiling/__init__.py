"""From segments to decisions: profiles, discriminating criteria and crossings.

Special categories of personal data (GDPR art. 9) are refused as segmentation
criteria unless the caller opts in; see :class:`~behaviorseg.exceptions.ProtectedAttributeError`.
"""

__all__: list[str] = []
