"""Mesh files an SDF ``<mesh>`` may name: where a URI points, and the vertices, as MuJoCo will load them.

MuJoCo loads Wavefront OBJ and STL meshes (it also has its own MSH), so those are what the embedded simulator
accepts; a Collada (``.dae``) or glTF mesh, which Gazebo also loads, is refused with a clear error rather than
shown as nothing. A URI is resolved the way Gazebo resolves it, except that nothing is fetched:

* ``file:///abs/path.obj`` or ``/abs/path.obj``: that file;
* ``model://name/meshes/part.stl``: ``name/meshes/part.stl`` under a folder of ``GZ_SIM_RESOURCE_PATH``,
  ``IGN_GAZEBO_RESOURCE_PATH`` or ``SDF_PATH`` (colon-separated), the first that holds it;
* a relative path: relative to the folder of the world file;
* ``http://`` / ``https://`` (Gazebo Fuel): refused, since nothing may be downloaded at run time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "MESH_SUFFIXES",
    "RESOURCE_PATH_VARIABLES",
    "MeshError",
    "resolve_mesh_uri",
    "mesh_vertices",
    "merged_obj",
]

#: mesh formats MuJoCo loads (and so the embedded simulator)
MESH_SUFFIXES = (".obj", ".stl")
#: environment variables whose folders a ``model://`` URI is looked up in, in this order
RESOURCE_PATH_VARIABLES = ("GZ_SIM_RESOURCE_PATH", "IGN_GAZEBO_RESOURCE_PATH", "SDF_PATH")


class MeshError(ValueError):
    """A mesh URI that does not resolve to a loadable file, or a file that holds no usable vertices."""


def resolve_mesh_uri(uri: str, world_file: str | None = None) -> Path:
    """The absolute path of the mesh file ``uri`` names (see the module docstring).

    :param world_file: the SDF file the URI was read from (relative paths are relative to its folder).
    :raises MeshError: the URI is remote, cannot be found, or names a format MuJoCo cannot load.
    """
    uri = uri.strip()
    if not uri:
        raise MeshError("mesh without <uri>")
    if uri.startswith(("http://", "https://")):
        raise MeshError(f"mesh {uri!r}: remote meshes (Gazebo Fuel) are not fetched; download the model beforehand")
    if Path(uri).suffix.lower() not in MESH_SUFFIXES:
        raise MeshError(f"mesh {uri!r}: the embedded simulator loads {' and '.join(MESH_SUFFIXES)} meshes only")
    if uri.startswith("model://"):
        rest = uri[len("model://") :]
        folders = [f for var in RESOURCE_PATH_VARIABLES for f in os.environ.get(var, "").split(os.pathsep) if f]
        found = [Path(f) / rest for f in folders if (Path(f) / rest).is_file()]
        if not found:
            raise MeshError(
                f"mesh {uri!r}: not found under {' / '.join(RESOURCE_PATH_VARIABLES)} ({folders or 'unset'})"
            )
        path = found[0]
    else:
        path = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
        if not path.is_absolute():
            if world_file is None:
                raise MeshError(f"mesh {uri!r}: a relative path needs the world's file (parse_sdf, not a string)")
            path = Path(world_file).parent / path
    if not path.is_file():
        raise MeshError(f"mesh {uri!r}: no file {path}")
    return path.resolve()


@lru_cache(maxsize=4096)
def mesh_vertices(path: str | Path) -> np.ndarray:
    """The vertices of an OBJ or STL (ASCII or binary) mesh file, ``(n, 3)`` float64, in the file's units.

    :raises MeshError: no vertices, or a vertex that is not finite (MuJoCo refuses such a mesh too).
    """
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() == ".obj":
        rows = [line.split()[1:4] for line in data.decode("utf-8", "replace").splitlines() if line.startswith("v ")]
        vertices = np.array(rows, float) if rows else np.empty((0, 3))
    elif data[:5].lower() == b"solid" and b"facet" in data[:1024]:
        rows = [
            line.split()[1:4]
            for line in data.decode("ascii", "replace").splitlines()
            if line.strip().startswith("vertex")
        ]
        vertices = np.array(rows, float) if rows else np.empty((0, 3))
    else:  # binary STL: 80-byte header, triangle count, 50 bytes per triangle (normal, 3 vertices, attribute)
        count = int(np.frombuffer(data, np.uint32, 1, 80)[0]) if len(data) >= 84 else 0
        if len(data) < 84 + 50 * count:
            raise MeshError(f"{path}: binary STL shorter than its {count} triangles")
        triangles = np.frombuffer(data, np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]), count, 84)
        vertices = triangles["v"].reshape(-1, 3).astype(float)
    if len(vertices) == 0:
        raise MeshError(f"{path}: no vertices")
    if not np.isfinite(vertices).all():
        raise MeshError(f"{path}: a vertex coordinate is not finite")
    vertices.setflags(write=False)
    return vertices


def merged_obj(path: str | Path) -> bytes | None:
    """An OBJ file of several objects or groups as one (their ``o`` / ``g`` lines dropped); ``None`` for any other file.

    MuJoCo reads the faces of an OBJ file's first object only, so a model made of parts (a convex decomposition,
    say) would show one part; Gazebo shows them all. Vertex indices are global in OBJ, so dropping the lines keeps
    every face as it was.
    """
    path = Path(path)
    if path.suffix.lower() != ".obj":
        return None
    lines = path.read_bytes().splitlines(keepends=True)
    parts = sum(1 for line in lines if line.startswith((b"o ", b"g ")))
    if parts <= 1:
        return None
    return b"".join(line for line in lines if not line.startswith((b"o ", b"g ")))
