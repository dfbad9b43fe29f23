"""Calibration of Oasis-SD against historical data (fit statistics in :mod:`sim.calibrate.metrics`)."""
