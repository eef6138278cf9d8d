"""The node graph as data: which nodes, which executables, which parameter files (config/graph.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hebbian_ros.resources import config_dir

PACKAGE = "hebbian_ros"
#: Executables whose code is not ``hebbian_ros.nodes.<executable>`` (the observers live in ``evaluation/``);
#: the same as their console scripts in setup.cfg (test/graph/test_spec.py checks every one).
MODULES = {"monitor_node": f"{PACKAGE}.evaluation.monitor_node"}


def executable_module(executable: str) -> str:
    """The Python module of a node executable: the one with its node class, ``NODE`` and ``main``."""
    return MODULES.get(executable, f"{PACKAGE}.nodes.{executable}")


__all__ = ["NodeSpec", "config_dir", "executable_module", "load_graph", "MODULES", "PACKAGE"]


@dataclass(frozen=True)
class NodeSpec:
    """One node of the graph.

    :param name: node name (also its key in the parameter files).
    :param executable: console script; its code is :func:`executable_module` (``hebbian_ros.nodes.<executable>``
        for the nodes of the loop).
    :param parameters: parameter files, absolute paths, applied in order.
    :param namespace: ROS namespace ('' = the graph's).
    :param remappings: topic remappings ``from -> to``.
    :param groups: named groups the node belongs to (e.g. ``loop``, ``simulation``).
    """

    name: str
    executable: str
    parameters: tuple[str, ...] = ()
    namespace: str = ""
    remappings: tuple[tuple[str, str], ...] = ()
    groups: tuple[str, ...] = field(default_factory=tuple)

    @property
    def module(self) -> str:
        """Python module holding the node class and its ``main``."""
        return executable_module(self.executable)

    def ros_arguments(self, extra_parameter_files: tuple[str, ...] = ()) -> list[str]:
        """Command-line ROS arguments that give the node its name, namespace, parameters and remaps."""
        args = ["--ros-args", "-r", f"__node:={self.name}"]
        if self.namespace:
            args += ["-r", f"__ns:={self.namespace}"]
        for source, target in self.remappings:
            args += ["-r", f"{source}:={target}"]
        for path in self.parameters + tuple(extra_parameter_files):
            args += ["--params-file", path]
        return args


def load_graph(path: Path | None = None, groups: tuple[str, ...] = ("loop",)) -> list[NodeSpec]:
    """Nodes of the graph file that belong to any of ``groups`` (all nodes if ``groups`` is empty)."""
    path = Path(path) if path else config_dir() / "graph.yaml"
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), dict):
        raise ValueError(f'{path}: expected a mapping "nodes: {{name: {{executable: ...}}}}"')
    specs = []
    for name, entry in document["nodes"].items():
        node_groups = tuple(entry.get("groups", ("loop",)))
        if groups and not set(groups) & set(node_groups):
            continue
        specs.append(
            NodeSpec(
                name=name,
                executable=entry["executable"],
                parameters=tuple(str((path.parent / p).resolve()) for p in entry.get("parameters", ())),
                namespace=entry.get("namespace", ""),
                remappings=tuple((k, v) for k, v in (entry.get("remappings") or {}).items()),
                groups=node_groups,
            )
        )
    return specs
