"""Small mesh files for the simulator's tests: unit cubes as OBJ (one or several parts) and binary STL."""

import struct

import numpy as np

#: a unit cube's corners and its 12 triangles (1-based, as OBJ counts)
CORNERS = np.array([[x, y, z] for z in (0, 1) for y in (0, 1) for x in (0, 1)], float)
TRIANGLES = [
    (1, 3, 4), (1, 4, 2), (5, 6, 8), (5, 8, 7), (1, 2, 6), (1, 6, 5),
    (2, 4, 8), (2, 8, 6), (4, 3, 7), (4, 7, 8), (3, 1, 5), (3, 5, 7),
]  # fmt: skip


def obj_text(parts: int = 1, gap: float = 3.0) -> str:
    """An OBJ file of ``parts`` unit cubes along x, ``gap`` apart, each its own object (as a convex decomposition is)."""
    lines = []
    for k in range(parts):
        lines.append(f"o part_{k}")
        lines += [f"v {x + k * gap:g} {y:g} {z:g}" for x, y, z in CORNERS]
        lines += [f"f {a + 8 * k} {b + 8 * k} {c + 8 * k}" for a, b, c in TRIANGLES]
    return "\n".join(lines) + "\n"


def stl_bytes(vertices: np.ndarray, triangles) -> bytes:
    body = b"".join(
        struct.pack("<12fH", 0, 0, 0, *vertices[a - 1], *vertices[b - 1], *vertices[c - 1], 0) for a, b, c in triangles
    )
    return b"\0" * 80 + struct.pack("<I", len(triangles)) + body
