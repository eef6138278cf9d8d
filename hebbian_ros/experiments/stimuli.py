"""Synthetic visual stimuli: coloured shapes on a grey table, for tests, benchmarks and demos without a simulator."""

from __future__ import annotations

import numpy as np

COLOURS = {
    "red": (230, 30, 30),
    "green": (30, 200, 40),
    "blue": (30, 50, 230),
    "yellow": (230, 220, 30),
    "magenta": (210, 40, 200),
    "cyan": (40, 210, 210),
}
SHAPES = ("box", "disc", "bar")
BACKGROUND = (128, 128, 128)


def scene(name: str, size: int = 64, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """An RGB uint8 image of ``name`` = ``"<colour>_<shape>"`` (or ``"blank"``) centred, shifted by ``offset``."""
    image = np.empty((size, size, 3), np.uint8)
    image[:] = BACKGROUND
    if name == "blank":
        return image
    try:
        colour, shape = name.split("_")
        rgb = COLOURS[colour]
    except (ValueError, KeyError):
        raise ValueError(f"stimulus: unknown {name!r} (colours {sorted(COLOURS)}, shapes {SHAPES})") from None
    yy, xx = np.mgrid[:size, :size]
    cy, cx = size / 2 + offset[0], size / 2 + offset[1]
    half = size * 0.22
    if shape == "box":
        mask = (np.abs(yy - cy) < half) & (np.abs(xx - cx) < half)
    elif shape == "disc":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < half**2
    elif shape == "bar":
        mask = (np.abs(yy - cy) < half * 1.6) & (np.abs(xx - cx) < half * 0.4)
    else:
        raise ValueError(f"stimulus: unknown shape {shape!r} (shapes {SHAPES})")
    image[mask] = rgb
    return image
