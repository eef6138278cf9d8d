"""Experiment (issue 14, bench/RESULTS.md 5p, 5ze): layer1 developed before the robot learns any object.

A critical period: before memory stores anything, layer1 learns with its own rule (Sanger) at a high,
decaying learning rate from views of generated objects of *another* world (``ManyObjects`` seed
``DEVELOP_SEED``, none of them among the benchmark's objects), then keeps its shipped slow rate. Memories are
stored only after development, so it cannot make them drift.

Usage: ``python bench/recognition.py --pipeline developed_layer1:build[_calibrated|_young_calibrated] [--config DIR]
...``
(the hook receives ``--config``; development runs once per process and is reused for every N and source).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from young_threshold import first_looks, nearest_other, nearest_others

from hebbian_ros.core.loop import LAYER_NODES, Loop, configured
from hebbian_ros.core.plasticity.layer import layer_from_parameters

DEVELOP_SEED = 7  # a world the benchmark never draws from (it uses seed 0)
DEVELOP_OBJECTS = 300
FRAMES_PER_VIEW = 3  # a fresh glance per view: the onset and the first adapted frames
PASSES = 2
PEAK_RATE = 0.05  # Sanger's learning rate at the start of development
HALF_LIFE = 2000  # samples: the rate falls as PEAK_RATE / (1 + samples / HALF_LIFE)
DT = 1 / 30
VERDICT = 5  # as bench/recognition.py
YOUNG_OBJECTS = 30  # as bench/young_threshold.py


def build(config: str | None = None) -> Loop:
    """The shipped loop (or ``config``'s) with layer1's weights developed first."""
    state, _ = _developed(config)
    loop = Loop.from_config(config)
    loop.layers[0].load_state_dict(state)
    return loop


def build_calibrated(config: str | None = None) -> Loop:
    """:func:`build`, and the young memory's fixed threshold calibrated on the development objects.

    The adaptive threshold is a quantile of stored memories' nearest-other similarities; until there are
    enough, the same quantile of the development objects' nearest-other similarities, in the developed
    representation, replaces the shipped cosine (which belongs to the undeveloped one).
    """
    state, threshold = _developed(config)
    loop = Loop.from_config(config, memory={"familiarity_threshold": threshold})
    loop.layers[0].load_state_dict(state)
    return loop


def build_young_calibrated(config: str | None = None) -> Loop:
    """:func:`build`, and the young threshold calibrated as ``bench/young_threshold.py`` calibrates the shipped one.

    The 0.97 quantile of the nearest-other similarity of ``YOUNG_OBJECTS`` objects of the development world, in the
    developed code (:func:`build_calibrated` takes all ``DEVELOP_OBJECTS``, which sit closer together).
    """
    state, _ = _developed(config)
    loop = Loop.from_config(config, memory={"familiarity_threshold": _young_threshold(config)})
    loop.layers[0].load_state_dict(state)
    return loop


@functools.lru_cache(maxsize=4)
def _young_threshold(config: str | None) -> float:
    state, _ = _developed(config)
    loop = Loop.from_config(config)
    loop.layers[0].load_state_dict(state)
    near = nearest_others(loop, YOUNG_OBJECTS, DEVELOP_SEED)
    threshold = float(np.quantile(near, loop.memory.params.threshold_quantile))
    print(f"young threshold ({YOUNG_OBJECTS} objects of world seed {DEVELOP_SEED}, developed code): {threshold:.4f}")
    return threshold


@functools.lru_cache(maxsize=4)
def _developed(config: str | None) -> tuple[dict[str, Any], float]:
    from hebbian_ros.sim.many_objects import ManyObjects

    loop = Loop.from_config(config)
    parameters = configured("layers.yaml", LAYER_NODES[0], config)
    layer = layer_from_parameters({**parameters, "learning_rate": PEAK_RATE})
    retina = loop.retina
    world = ManyObjects(DEVELOP_OBJECTS, seed=DEVELOP_SEED)
    glances = []
    for index in range(DEVELOP_OBJECTS):
        for image in world.views(index, 0).values():
            retina.reset()
            glances.extend(loop.sense(image, DT).ravel().copy() for _ in range(FRAMES_PER_VIEW))
    rng = np.random.default_rng(DEVELOP_SEED)
    samples = 0
    for _ in range(PASSES):
        for i in rng.permutation(len(glances)):
            layer.step_rates(glances[i], retina.max_rate, level=1.0 / (1.0 + samples / HALF_LIFE))
            samples += 1
    state = layer.state_dict()
    loop.layers[0].load_state_dict(state)
    # each object's first glance, at the benchmark's verdict frame
    tops = first_looks(loop, [world.views(index, 0)["same"] for index in range(DEVELOP_OBJECTS)], VERDICT, DT)
    threshold = float(min(np.quantile(nearest_other(tops), loop.memory.params.threshold_quantile), 0.999))
    print(
        f"developed layer1: {samples} samples from {DEVELOP_OBJECTS} objects of world seed {DEVELOP_SEED}; "
        f"their nearest-other similarity quantile {loop.memory.params.threshold_quantile}: {threshold:.4f}"
    )
    return state, threshold
