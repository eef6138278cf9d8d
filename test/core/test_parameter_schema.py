"""One source per parameter: the core's parameter dataclasses take their defaults from the schema, and the
schema refuses what a node would refuse (unknown names, wrong types, values outside the range)."""

from __future__ import annotations

import math

import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, memory_params
from hebbian_ros.core.neuromodulation.neuromodulator import NeuromodulatorParams
from hebbian_ros.core.parameters import FEATURE_LAYER, MEMORY, NEUROMODULATOR, SENSOR, Parameter, Schema
from hebbian_ros.core.plasticity.layer import RULES, layer_from_parameters
from hebbian_ros.core.sensing.gaze import GazeParams
from hebbian_ros.core.sensing.habituation import HabituationParams
from hebbian_ros.core.sensing.retina import RetinaParams
from hebbian_ros.core.structure.neurogenesis import GrowthParams, NeurogenesisParams
from hebbian_ros.core.structure.structural import StructuralParams

# core dataclass field -> (schema, flat parameter)
CORE_DEFAULTS = {
    HabituationParams: {f: (SENSOR, f) for f in HabituationParams.__dataclass_fields__},
    RetinaParams: {f: (SENSOR, f) for f in RetinaParams.__dataclass_fields__ if f not in ("habituation", "gaze")},
    GazeParams: {f: (SENSOR, f"gaze_{f}") for f in GazeParams.__dataclass_fields__},
    NeuromodulatorParams: {f: (NEUROMODULATOR, f) for f in NeuromodulatorParams.__dataclass_fields__},
    StructuralParams: {
        "copies": (MEMORY, "copies"),
        "synapse_budget": (MEMORY, "synapse_budget"),
        "path_similarity": (MEMORY, "path_similarity"),
        "distinct_below": (MEMORY, "copy_distinct_below"),
        "noise": (MEMORY, "copy_noise"),
        "unused_lifetime": (MEMORY, "unused_lifetime"),
        "episode_samples": (MEMORY, "episode_samples"),
        "seed": (MEMORY, "copy_seed"),
    },
    GrowthParams: {"units": (NEUROMODULATOR, "growth_units"), "interval": (NEUROMODULATOR, "growth_interval")},
}


@pytest.mark.parametrize("params_type", CORE_DEFAULTS, ids=lambda t: t.__name__)
def test_core_dataclass_defaults_are_the_schema_defaults(params_type):
    instance = params_type()
    for field, (schema, name) in CORE_DEFAULTS[params_type].items():
        assert getattr(instance, field) == schema.default(name), f"{params_type.__name__}.{field} vs {name}"


def test_memory_defaults_are_the_schema_defaults():
    bare = MemoryParams(dim=MEMORY.default("dim"))
    assert bare == memory_params()  # no structural plasticity, no neurogenesis by default
    for name in ("capacity", "familiarity_threshold", "consolidation_rate", "min_activity", "drift_similarity"):
        assert getattr(bare, name) == MEMORY.default(name), name
    assert NeurogenesisParams(max_capacity=1).wait_samples == MEMORY.default("growth_wait")


def test_a_layer_from_the_defaults_is_the_schema_default_layer():
    layer = layer_from_parameters()
    assert (layer.n_in, layer.n_out, layer.rule) == (3072, 256, FEATURE_LAYER.default("rule"))
    assert layer.n_in == math.prod(RetinaParams().shape), "the default layer does not read the default sensor"
    assert layer.max_rate_hz == FEATURE_LAYER.default("max_rate") and layer.params.eta == 0.00002
    assert FEATURE_LAYER["rule"].choices == RULES


def test_every_parameter_is_described_and_its_default_is_in_its_range():
    for schema in (SENSOR, FEATURE_LAYER, MEMORY, NEUROMODULATOR):
        for name, p in schema.items():
            assert p.description.strip().endswith((".", ")")), name
            if p.low is not None:
                assert p.low <= p.default <= p.high, name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"familiarity": 0.9}, "familiarity: not a parameter"),
        ({"dim": 6.5}, "dim: expected int"),
        ({"dim": True}, "dim: expected int"),
        ({"structural": 1}, "structural: expected bool"),
        ({"min_activity": math.nan}, "min_activity: must be finite"),
        ({"familiarity_threshold": 1.5}, "familiarity_threshold: must be within"),
        ({"inhibition_target": 3}, "inhibition_target: expected str"),
    ],
)
def test_resolve_refuses_what_a_node_refuses(overrides, message):
    with pytest.raises(ValueError, match=message):
        MEMORY.resolve(overrides)


def test_resolve_fills_defaults_takes_ints_for_floats_and_checks_choices():
    values = SENSOR.resolve({"contrast_gain": 3})
    assert values["contrast_gain"] == 3.0 and isinstance(values["contrast_gain"], float)
    assert values["rows"] == SENSOR.default("rows")
    with pytest.raises(ValueError, match="colour_coding: must be one of opponent, rgb"):
        SENSOR.resolve({"colour_coding": "hsv"})
    with pytest.raises(ValueError, match="rule: must be one of"):
        layer_from_parameters({"rule": "backprop"})


def test_a_schema_lists_each_parameter_once_and_ranges_need_numbers():
    with pytest.raises(ValueError, match="twice"):
        Schema(Parameter("a", 1, "A."), Parameter("a", 2, "A."))
    with pytest.raises(TypeError, match="numeric default"):
        Parameter("a", "x", "A.", 0, 1)
    assert list(SENSOR + Schema(Parameter("extra", 1, "E."))) == [*SENSOR, "extra"]
