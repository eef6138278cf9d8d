"""config/*.yaml hold overrides only: every key is a declared parameter of its node, of the declared type and
range, and differs from the schema default (a default is written once, in the schema)."""

from __future__ import annotations

import importlib

import pytest
import yaml

from hebbian_ros.graph.spec import load_graph
from hebbian_ros.resources import config_dir

SPECS = load_graph(groups=())


def node_schema(spec):
    return importlib.import_module(spec.module).PARAMETERS


def entries():
    for spec in SPECS:
        for path in spec.parameters:
            document = yaml.safe_load(open(path)) or {}
            for name, values in ((spec.name, document.get(spec.name)), ("/**", document.get("/**"))):
                if values is not None:
                    yield spec, path, name, (values or {}).get("ros__parameters") or {}


def test_every_parameter_file_of_the_graph_is_read():
    files = {p.rsplit("/", 1)[-1] for spec in SPECS for p in spec.parameters}
    shipped = {p.name for p in config_dir().glob("*.yaml")} - {"graph.yaml", "ros_gz_bridge.yaml", "sim_time.yaml"}
    assert shipped <= files, shipped - files
    assert {name for _, _, name, _ in entries()} >= {spec.name for spec in SPECS}


@pytest.mark.parametrize("entry", list(entries()), ids=lambda e: f"{e[1].rsplit('/', 1)[-1]}:{e[2]}")
def test_every_key_is_a_declared_parameter_that_overrides_its_default(entry):
    spec, path, name, values = entry
    schema = node_schema(spec)
    for key, value in values.items():
        assert key in schema, f"{path}: {name}.{key} is not a parameter of {spec.executable}"
        assert schema[key].check(value) != schema[key].default, (
            f"{path}: {name}.{key}: {value!r} is the default; defaults live in the schema only"
        )
    schema.resolve(values, node_name=name)  # the whole set is valid together


def test_sim_time_file_sets_only_use_sim_time():
    document = yaml.safe_load((config_dir() / "sim_time.yaml").read_text())
    assert document == {"/**": {"ros__parameters": {"use_sim_time": True}}}
