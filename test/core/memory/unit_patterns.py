"""Patterns at a chosen cosine, for the memory tests."""

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def at_cosine(pattern: np.ndarray, other: np.ndarray, cosine: float) -> np.ndarray:
    """A non-negative pattern ``pattern + t * other`` whose cosine to ``pattern`` is ``cosine`` (bisection on t)."""
    low, high = 0.0, 100.0
    for _ in range(100):
        t = (low + high) / 2
        if float(unit(pattern + t * other) @ unit(pattern)) > cosine:
            low = t
        else:
            high = t
    return pattern + low * other
