"""Probabilistic customer-base models fitted by maximum likelihood."""

__all__: list[str] = []
