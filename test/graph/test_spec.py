import configparser
import importlib
from pathlib import Path

import pytest

from hebbian_ros.graph.spec import MODULES, executable_module, load_graph

REPO = Path(__file__).resolve().parents[2]


def console_scripts():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    entries = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(line.replace(" ", "").split("=") for line in entries)


def test_every_graph_node_is_a_registered_executable_with_a_node_class():
    scripts = console_scripts()
    for spec in load_graph(groups=()):
        assert scripts[spec.executable] == f"{spec.module}:main"
        module = importlib.import_module(spec.module)
        assert callable(module.main) and module.NODE.__name__.endswith("Node")
        for path in spec.parameters:
            assert Path(path).is_file(), path


def test_every_node_executable_resolves_to_its_console_script():
    """The graph runs ``python -m <module>``: the module must be the console script's, wherever it lives."""
    scripts = console_scripts()
    nodes = {name: target for name, target in scripts.items() if name.endswith("_node")}
    assert set(MODULES) <= set(nodes)
    for name, target in nodes.items():
        assert f"{executable_module(name)}:main" == target
        assert hasattr(importlib.import_module(executable_module(name)), "NODE"), name
    assert scripts["monitor_node"] == "hebbian_ros.evaluation.monitor_node:main"


def test_groups_select_nodes():
    loop = {s.name for s in load_graph(groups=("loop",))}
    assert loop == {"sensor", "layer1", "layer2", "memory", "neuromodulator"}
    assert "simulator" in {s.name for s in load_graph(groups=("simulation",))}


def test_ros_arguments_name_the_node_and_apply_parameter_files_in_order():
    spec = next(s for s in load_graph() if s.name == "layer2")
    args = spec.ros_arguments(("/tmp/extra.yaml",))
    assert args[:3] == ["--ros-args", "-r", "__node:=layer2"]
    files = [args[i + 1] for i, a in enumerate(args) if a == "--params-file"]
    assert files[-1] == "/tmp/extra.yaml" and files[0].endswith("config/layers.yaml")


def test_malformed_graph_file_is_refused(tmp_path):
    bad = tmp_path / "graph.yaml"
    bad.write_text("nodes: [sensor]\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        load_graph(bad)
