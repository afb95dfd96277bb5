"""Synthetic benchmark suites with exact ground truth, generated from the data layer's specs."""
