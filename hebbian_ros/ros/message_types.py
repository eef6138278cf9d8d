"""ROS message type names and the generated classes they name, for code that learns a topic's type at run time
(the recorder and player, the simulator waiting for the graph's first answers)."""

from __future__ import annotations

import importlib
import re


def normalize_type(type_name: str, package: str | None = None) -> str:
    """``pkg/Type``, ``pkg/msg/Type`` or (inside ``package``) ``Type`` -> ``pkg/msg/Type``."""
    parts = type_name.strip().split("/")
    if len(parts) == 1 and package:
        parts = [package, parts[0]]
    if len(parts) == 2:
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or parts[1] != "msg" or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) for p in parts):
        raise ValueError(f'type_name: {type_name!r} is not a message type like "pkg/msg/Type"')
    return "/".join(parts)


def message_class(type_name: str):
    """The generated Python class of ``pkg/msg/Type``."""
    package, _, name = normalize_type(type_name).split("/")
    return getattr(importlib.import_module(f"{package}.msg"), name)
