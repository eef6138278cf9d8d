"""Corrupted images for robustness measurements: each kind changes what it says and nothing else."""

import numpy as np
import pytest

from hebbian_ros.experiments.image_noise import corrupt
from hebbian_ros.experiments.stimuli import BACKGROUND, scene


def test_levels_scale_the_corruption_and_the_input_is_untouched():
    image = scene("red_box")
    before = image.copy()
    rng = np.random.default_rng(0)
    for kind in ("gaussian", "salt_pepper", "occlusion"):
        changed = [float(np.mean(corrupt(image, kind, level, rng) != image)) for level in (0.0, 0.1, 0.3)]
        assert changed[0] == 0.0 and changed[0] < changed[1] < changed[2], (kind, changed)
    assert np.array_equal(image, before)
    assert np.array_equal(corrupt(image, "none", 0.5, rng), image)


def test_salt_pepper_sets_the_fraction_to_black_or_white():
    noisy = corrupt(scene("blank"), "salt_pepper", 0.2, np.random.default_rng(1))
    extreme = np.all(noisy == 0, axis=2) | np.all(noisy == 255, axis=2)
    assert abs(extreme.mean() - 0.2) < 0.03


def test_occlusion_hides_behind_the_background_colour():
    noisy = corrupt(scene("red_box"), "occlusion", 0.25, np.random.default_rng(2))
    changed = np.any(noisy != scene("red_box"), axis=2)
    assert np.all(noisy[changed] == BACKGROUND)


@pytest.mark.parametrize(
    "args, problem",
    [
        ((np.zeros((4, 4)), "gaussian", 0.1), "image"),
        ((scene("blank"), "blur", 0.1), "kind"),
        ((scene("blank"), "occlusion", 2.0), "area"),
    ],
)
def test_bad_arguments_are_refused(args, problem):
    with pytest.raises(ValueError, match=problem):
        corrupt(*args, np.random.default_rng(0))
