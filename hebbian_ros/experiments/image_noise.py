"""Corrupted camera images for robustness measurements: Gaussian noise, salt-and-pepper, occlusion.

Each function takes an RGB ``uint8`` image ``(H, W, 3)``, a level and a random generator and returns a
new ``uint8`` image; the input is never modified. :func:`corrupt` dispatches on a kind name.
"""

from __future__ import annotations

import numpy as np

from hebbian_ros.core import validation as check

KINDS = ("gaussian", "salt_pepper", "occlusion")


def _image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or not image.size:
        raise ValueError(f"image: expected (H, W, 3) uint8, got shape {image.shape} of {image.dtype}")
    return image


def gaussian(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add N(0, sigma) per pixel and channel; ``sigma`` in units of the full range (1 = 255)."""
    image = _image(image)
    sigma = check.in_interval("sigma", sigma, 0.0, 10.0)
    noisy = image.astype(np.float32) + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma * 255)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def salt_pepper(image: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Set a ``fraction`` of the pixels to black or white (half each)."""
    image = _image(image)
    fraction = check.in_interval("fraction", fraction, 0.0, 1.0)
    draw = rng.random(image.shape[:2])
    noisy = image.copy()
    noisy[draw < fraction / 2] = 0
    noisy[(draw >= fraction / 2) & (draw < fraction)] = 255
    return noisy


def occlusion(image: np.ndarray, area: float, rng: np.random.Generator) -> np.ndarray:
    """Hide a random square covering ``area`` of the image behind the background colour.

    The background is the median colour of the image border (the table), so the occluder hides
    part of what is in view without adding a new object. The square lies anywhere in the image.
    """
    image = _image(image)
    area = check.in_interval("area", area, 0.0, 1.0)
    height, width = image.shape[:2]
    side_y, side_x = int(round(height * np.sqrt(area))), int(round(width * np.sqrt(area)))
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    noisy = image.copy()
    if side_y and side_x:
        top = int(rng.integers(0, height - side_y + 1))
        left = int(rng.integers(0, width - side_x + 1))
        noisy[top : top + side_y, left : left + side_x] = np.median(border, axis=0).astype(np.uint8)
    return noisy


def corrupt(image: np.ndarray, kind: str, level: float, rng: np.random.Generator) -> np.ndarray:
    """``kind`` (one of :data:`KINDS`, or ``"none"``) at ``level`` applied to ``image``."""
    if kind == "none":
        return _image(image).copy()
    kind = check.as_choice("kind", kind, KINDS)
    return {"gaussian": gaussian, "salt_pepper": salt_pepper, "occlusion": occlusion}[kind](image, level, rng)
