"""Oasis-SD: system-dynamics simulator of arid oasis economies (Tianshan North Slope first)."""
__version__ = "0.1.0"
