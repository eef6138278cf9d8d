"""Retinotopic connectivity: which inputs a layer's unit may connect to.

A fully connected layer mixes every input into every unit; a projection to fewer units then loses some
of the differences between patterns (measured: both Sanger layers of the earlier pipeline separated
learned from never-seen objects slightly worse than their input). Cortex is wired topographically
instead: a unit receives from one patch of the layer below, and a complex cell pools simple cells of
one orientation over both contrast polarities (Hubel & Wiesel 1962). :class:`Pooling` describes that
wiring for input laid out as a grid of fields, each with the same cells (the sensor's rates:
``rows x cols x cells``):

* ``field_pool``: a unit sees a ``field_pool x field_pool`` block of fields (stride ``field_pool``);
* ``cell_groups``: a unit sees the cells of one group within each of those fields (the group id of
  every cell of a field; by default each cell is its own group).

The layer has one unit per block and group, ordered ``(block row, block column, group)``, so its output
is again a grid of fields that the next layer can pool. What a unit does with its inputs is learned
(e.g. Oja's rule finds the block's principal component; for inputs that rise and fall together that is
close to their sum, the pooling itself); the mask only says which synapses exist.

:func:`multiscale_weights` keeps every synapse but draws a fully connected layer's starting weights with
that structure: each unit's weights are random at every scale of the grid, from single fields to the
whole grid (a pyramid of blocks of 1, 2, 4, ... fields per side), so the weights of neighbouring fields
are correlated. A unit then integrates regions of several sizes, like receptive fields that overlap and
grow up the hierarchy, and a pattern shifted by part of a field moves its drive only a little. Plain
random rows weigh each field independently: a random projection of the sensor's rates (1920 then) to 256 units
separated learned from never-seen objects slightly worse than the rates themselves (bench/RESULTS.md 5h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hebbian_ros.core import validation as check


def multiscale_weights(rng: np.random.Generator, n_out: int, rows: int, cols: int, n_in: int) -> np.ndarray:
    """Unit-norm random rows over a ``rows x cols`` grid of fields, drawn at every scale of the grid.

    For block sides ``1, 2, 4, ...`` up to the whole grid, each unit draws one standard normal weight per
    block and cell, scaled by ``1 / side`` (a block's weight spread over its ``side²`` fields keeps the
    scale's share of the row's norm); the sum over scales is normalised per row.

    :param n_in: ``rows x cols x cells``, laid out ``(row, column, cell)`` as the sensor's rates.
    :returns: float64 ``(n_out, n_in)``.
    :raises ValueError: if the grid does not divide ``n_in``.
    """
    n_out = check.as_int("n_out", n_out, minimum=1)
    rows, cols = check.as_int("input_rows", rows, minimum=1), check.as_int("input_cols", cols, minimum=1)
    n_in = check.as_int("n_in", n_in, minimum=1)
    if n_in % (rows * cols):
        raise ValueError(f"n_in: {n_in} inputs are not {rows} x {cols} fields of equal cells")
    cells = n_in // (rows * cols)
    weights = np.zeros((n_out, rows, cols, cells))
    side = 1
    while True:
        blocks = rng.standard_normal((n_out, -(-rows // side), -(-cols // side), cells)) / side
        weights += blocks[:, (np.arange(rows) // side)[:, None], (np.arange(cols) // side)[None, :], :]
        if side >= max(rows, cols):
            break
        side *= 2
    weights = weights.reshape(n_out, n_in)
    return weights / np.linalg.norm(weights, axis=1, keepdims=True)


def parse_groups(text: str) -> tuple[int, ...]:
    """Group ids from a parameter string: integers separated by spaces or commas (``""``: none)."""
    try:
        return tuple(int(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"cell_groups: expected integers separated by spaces or commas, got {text!r}") from None


@dataclass(frozen=True)
class Pooling:
    """Topographic wiring of a layer over input ``rows x cols`` fields (see the module docstring).

    :param rows: fields per column of the input grid.
    :param cols: fields per row of the input grid.
    :param field_pool: fields per side of a unit's block; must divide ``rows`` and ``cols``.
    :param cell_groups: group id (``0 .. groups-1``, each used) of every cell of a field; ``()`` for one
        group per cell.
    """

    rows: int
    cols: int
    field_pool: int = 1
    cell_groups: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("rows", "cols", "field_pool"):
            object.__setattr__(self, name, check.as_int(name, getattr(self, name), minimum=1))
        pool = self.field_pool
        if self.rows % pool or self.cols % pool:
            raise ValueError(f"field_pool: {pool} does not divide the {self.rows}x{self.cols} input grid")
        groups = tuple(int(g) for g in self.cell_groups)
        if groups and sorted(set(groups)) != list(range(max(groups) + 1)):
            raise ValueError(f"cell_groups: ids must be 0 .. n-1, each used at least once; got {groups}")
        object.__setattr__(self, "cell_groups", groups)

    def cells(self, n_in: int) -> int:
        """Cells per input field; ``ValueError`` if ``n_in`` does not fill the grid (or the group list)."""
        fields = self.rows * self.cols
        if n_in % fields:
            raise ValueError(f"n_in: {n_in} inputs do not fill a {self.rows}x{self.cols} grid of equal fields")
        cells = n_in // fields
        if self.cell_groups and len(self.cell_groups) != cells:
            raise ValueError(f"cell_groups: {len(self.cell_groups)} ids for {cells} cells per input field")
        return cells

    def groups(self, n_in: int) -> int:
        """Groups per field (units per block)."""
        cells = self.cells(n_in)
        return max(self.cell_groups) + 1 if self.cell_groups else cells

    def output_grid(self, n_in: int) -> tuple[int, int, int]:
        """``(rows, cols, cells)`` of the layer's output grid."""
        return (self.rows // self.field_pool, self.cols // self.field_pool, self.groups(n_in))

    def n_out(self, n_in: int) -> int:
        """Units of the layer: one per block and group."""
        rows, cols, groups = self.output_grid(n_in)
        return rows * cols * groups

    def mask(self, n_in: int) -> np.ndarray:
        """``(n_out, n_in)`` bool: which synapses exist."""
        cells = self.cells(n_in)
        group = np.asarray(self.cell_groups or range(cells))
        r, c, k = np.meshgrid(np.arange(self.rows), np.arange(self.cols), np.arange(cells), indexing="ij")
        _, out_cols, groups = self.output_grid(n_in)
        unit = ((r // self.field_pool) * out_cols + c // self.field_pool) * groups + group[k]
        mask = np.zeros((self.n_out(n_in), n_in), bool)
        mask[unit.ravel(), np.arange(n_in)] = True
        return mask
