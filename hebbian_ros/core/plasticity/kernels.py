"""Fused in-place update kernels for the rate rules: one pass over ``W`` per sample (or batch).

The rule modules (:mod:`~.hebb`, :mod:`~.oja`, :mod:`~.competitive`) update ``W`` with several
numpy passes per sample (a row scaling, a temporary outer product, an addition), and a bounds
option (:mod:`~.bounds`) adds one or two more; a dense update is memory-bound, so each extra
pass costs about as much as the arithmetic. The kernels here read and write every weight once,
computing the same rules:

* :func:`hebb_update` — ``W += η y xᵀ``;
* :func:`oja_update` — ``W ← W (1 − η y²) + η y xᵀ`` per row;
* :func:`sanger_update` — ``w_j += η y_j (x − Σ_{k≤j} y_k w_k)`` with the weights before the
  update in the running sum (as :mod:`~.oja`); the sum is carried in a vector over the inputs
  and four rows share each load and store of it, so the inner loop vectorises;
* :func:`instar_update` — ``w_j += η y_j (x − w_j)``, touching only rows with ``y_j ≠ 0``;
* :func:`fused_update` — any of these plus a :class:`~.bounds.Bounds` option applied to each
  row while it is still in cache, for a single sample or a mini-batch;
* :func:`fused_step` — forward pass ``y = clip(W x)`` and update in the same pass: ``y_j``
  depends on row ``j`` only, so each row is read once, used for its output, updated, bounded;
* :func:`sanger_batch_update` — Sanger on a mini-batch, ``ΔW = η/B (Yᵀ X − LT[Yᵀ Y] W)``, with
  the triangle done block by block so it costs about ``2–3×`` a Hebbian batch instead of
  ``n_out/B`` times.

With numba installed (:data:`HAVE_NUMBA`) the per-sample loops are compiled and split over
threads (rows, or columns for Sanger) once ``W`` is large enough to pay for it; without numba
every function falls back to numpy with the same result up to float rounding. Mini-batches are
BLAS matrix products (no numba needed; Sanger on blocks of rows). All kernels
work in place on a C-contiguous float32 or float64 ``W``; mini-batch rules average over the
batch like the rule modules. Inputs are trusted unless ``validate=True``.
"""

from __future__ import annotations

import functools

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.plasticity.bounds import Bounds, BoundsMode, apply_bounds, as_bounds
from hebbian_ros.core.plasticity.oja import _sanger_update as _sanger_rule_update

try:  # optional: compiled kernels when present, numpy otherwise
    import numba as _numba
except ImportError:  # pragma: no cover - exercised on machines without numba
    _numba = None

#: Whether the compiled (numba) kernels are available.
HAVE_NUMBA = _numba is not None
#: Below this many weights (32 MiB of float32, about this CPU's L3) one thread is used: a
#: cache-resident ``W`` streams faster than DRAM from one core already, and on a shared
#: machine a fork/join can wait a whole scheduler slice for a busy core.
PARALLEL_MIN_WEIGHTS = 1 << 23
#: Rules of :func:`fused_update`; :func:`fused_step` takes the first three (``y_j`` from row ``j``).
RULES = ("hebb", "oja", "sanger", "instar")
#: Rows per BLAS block in the mini-batch paths; ``None``: Sanger in blocks of
#: :data:`SANGER_BLOCK` (its in-block triangle grows with the block) unless ``n_out`` is small
#: next to the batch, the other rules as one block (the largest GEMM is the fastest).
BATCH_BLOCK = None
SANGER_BLOCK = 64

_CODES = {name: code for code, name in enumerate(RULES)}  # rule codes of the compiled loops
_HEBB, _OJA = _CODES["hebb"], _CODES["oja"]
_MODES = {BoundsMode.NONE: 0, BoundsMode.CLIP: 1, BoundsMode.L2: 2, BoundsMode.L1: 3}
_NONE, _CLIP, _L2, _L1 = range(4)
_NO_BOUNDS = Bounds()


def _writeable_weights(w):
    w = check.as_weights("w", w)
    if not w.flags.c_contiguous or not w.flags.writeable:
        raise ValueError("w: expected a writeable C-contiguous matrix (updated in place)")
    return w


def _validated(pre, post, w, *, batch: bool, require_batch: bool = False):
    w = _writeable_weights(w)
    pre, post, w = check.as_rule_inputs(pre, post, w, batch=batch or require_batch)
    if require_batch and pre.ndim != 2:
        raise ValueError(f"pre: expected a mini-batch (B, n_in), got shape {pre.shape}")
    return pre, post, w


# --- numpy reference paths (one sample) ----------------------------------------------------


def _oja_numpy(w, x, y, eta):
    rate = eta * y
    w *= (1 - rate * y)[:, None]
    w += rate[:, None] * x


def _hebb_numpy(w, x, y, eta):
    w += (eta * y)[:, None] * x


def _sanger_numpy(w, x, y, eta):
    _sanger_rule_update(x, y, w, eta)  # the rule module's own (blocked prefix sum) arithmetic


def _instar_numpy(w, x, y, eta):
    rows = np.flatnonzero(y)
    if rows.size:
        rate = (eta * y[rows])[:, None]
        w[rows] += rate * (x - w[rows])


_NUMPY = {"hebb": _hebb_numpy, "oja": _oja_numpy, "sanger": _sanger_numpy, "instar": _instar_numpy}


# --- compiled paths (one sample) -----------------------------------------------------------
# Scalars arrive in W's dtype, so float32 stays float32 (a float64 literal would promote the
# whole inner loop). Loops run over ``range(n)`` on contiguous slices: a loop starting at a
# runtime offset keeps numba's negative-index check and does not vectorise.


def _dot(row, x):
    total = row.dtype.type(0)
    for j in range(row.shape[0]):
        total += row[j] * x[j]
    return total


def _clip(value, low, high):
    return min(max(value, low), high)


def _bound_row(row, mode, lo, hi, norm):
    """Bounds of :mod:`~.bounds` on one row (in cache): clip, or rescale to L2/L1 ``norm``."""
    n = row.shape[0]
    if mode == _CLIP:
        for j in range(n):
            row[j] = min(max(row[j], lo), hi)
        return
    total = row.dtype.type(0)
    if mode == _L2:
        for j in range(n):
            total += row[j] * row[j]
    else:
        for j in range(n):
            total += abs(row[j])
    if total < np.inf:
        length = np.sqrt(total) if mode == _L2 else total
        if length > 0:
            scale = norm / length
            for j in range(n):
                row[j] *= scale
        return
    # float overflow of the sum (huge weights): redo it in float64 on scaled values
    biggest = 0.0
    for j in range(n):
        biggest = max(biggest, abs(float(row[j])))
    wide = 0.0
    for j in range(n):
        value = float(row[j]) / biggest
        wide += value * value if mode == _L2 else abs(value)
    wide = biggest * (np.sqrt(wide) if mode == _L2 else wide)
    scale = row.dtype.type(float(norm) / wide)
    for j in range(n):
        row[j] *= scale


def _dot_and_square(row, x):
    """``(w·x, w·w)`` in one read of the row."""
    dot = row.dtype.type(0)
    square = row.dtype.type(0)
    for j in range(row.shape[0]):
        value = row[j]
        dot += value * x[j]
        square += value * value
    return dot, square


def _write(row, x, a, b):
    """``row ← a·row + b·x``."""
    for j in range(row.shape[0]):
        row[j] = row[j] * a + b * x[j]


def _write_four_read_four(r0, r1, r2, r3, x, a, b, f0, f1, f2, f3, squares):
    """``r_k ← a_k r_k + b_k x`` for four rows while reading ``f_k·x`` (and ``f_k·f_k`` if
    ``squares``) of the next four.

    Writing rows (in cache) while the next ones stream in from memory overlaps the two passes
    a row needs when its scalars depend on its own dot products; ``x`` is loaded once for all
    eight rows.
    """
    zero = x.dtype.type(0)
    d0, d1, d2, d3 = zero, zero, zero, zero
    s0, s1, s2, s3 = zero, zero, zero, zero
    a0, a1, a2, a3 = a[0], a[1], a[2], a[3]
    b0, b1, b2, b3 = b[0], b[1], b[2], b[3]
    for j in range(x.shape[0]):
        xj = x[j]
        v0, v1, v2, v3 = f0[j], f1[j], f2[j], f3[j]
        d0 += v0 * xj
        d1 += v1 * xj
        d2 += v2 * xj
        d3 += v3 * xj
        if squares:  # loop-invariant: compiled as two loops
            s0 += v0 * v0
            s1 += v1 * v1
            s2 += v2 * v2
            s3 += v3 * v3
        r0[j] = r0[j] * a0 + b0 * xj
        r1[j] = r1[j] * a1 + b1 * xj
        r2[j] = r2[j] * a2 + b2 * xj
        r3[j] = r3[j] * a3 + b3 * xj
    return d0, d1, d2, d3, s0, s1, s2, s3


def _row_status(rate, a, b, mode, dot, square, x_square, norm, only_active):
    """``(status, scale)`` of one row about to become ``a·w + b·x``: status 0 leaves it as it
    is, 1 writes ``scale·(a·w + b·x)`` (the L2-normalised row: its norm follows from ``w·w``,
    ``w·x``, ``x·x``), 2 writes ``a·w + b·x`` and normalises from the new values (the norm
    sum cancels badly or overflows)."""
    if rate == 0 and (only_active or mode == _NONE):
        return 0, 1.0
    if mode != _L2:
        return 1, 1.0
    a64, b64 = float(a), float(b)
    cross = 2.0 * a64 * b64 * float(dot)
    new_square = a64 * a64 * float(square) + cross + b64 * b64 * x_square
    spread = a64 * a64 * float(square) + abs(cross) + b64 * b64 * x_square
    if 1e-30 < new_square < np.inf and new_square > 0.25 * spread:
        return 1, float(norm) / np.sqrt(new_square)
    return 2, 1.0


def _rate_rows(w, x, y, r0, r1, rule, forward, low, high, eta, mode, lo, hi, norm, only_active):
    """Hebb / Oja / instar on rows ``r0..r1``, each read from memory once: (forward), update, bounds.

    Every rule is ``w_j ← a w_j + b x`` with per-row scalars (``a = 1``, ``1 − η y_j²``,
    ``1 − η y_j``; ``b = η y_j``). For L2 bounds the new norm follows from ``w·w``, ``w·x`` and
    ``x·x``, so the row is written once, already rescaled (see :func:`_row_status`). When the
    scalars need the rows' own dot products (forward pass, L2), they come four rows ahead:
    rows ``j..j+3`` are written while ``j+4..j+7`` are read. A row whose rate ``η y_j`` is 0 is
    left as it is when there are no bounds (the update is exactly a no-op) or when
    ``only_active`` (it already satisfies them).
    """
    kind = w.dtype.type
    one = kind(1)
    x_square = 0.0
    if mode == _L2:
        for j in range(x.shape[0]):
            x_square += float(x[j]) * float(x[j])
    if not (forward or mode == _L2):  # scalars known up front: one plain pass per row
        for i in range(r0, r1):
            row = w[i]
            rate = eta * y[i]
            a = one if rule == _HEBB else (one - rate * y[i] if rule == _OJA else one - rate)
            if rate == 0 and (only_active or mode == _NONE):
                continue
            _write(row, x, a, rate)
            if mode != _NONE:
                _bound_row(row, mode, lo, hi, norm)
        return
    dots = np.empty(4, dtype=w.dtype)
    squares = np.empty(4, dtype=w.dtype)
    a_s = np.empty(4, dtype=w.dtype)
    b_s = np.empty(4, dtype=w.dtype)
    status = np.empty(4, dtype=np.int64)
    for k in range(min(4, r1 - r0)):
        dots[k], squares[k] = _dot_and_square(w[r0 + k], x)
    for g0 in range(r0, r1, 4):
        g1 = min(g0 + 4, r1)
        all_written = g1 - g0 == 4
        for k in range(g1 - g0):
            i = g0 + k
            if forward:
                yi = _clip(dots[k], low, high)
                y[i] = yi
            else:
                yi = y[i]
            rate = eta * yi
            a = one if rule == _HEBB else (one - rate * yi if rule == _OJA else one - rate)
            status[k], scale = _row_status(rate, a, rate, mode, dots[k], squares[k], x_square, norm, only_active)
            a_s[k], b_s[k] = (kind(float(a) * scale), kind(float(rate) * scale)) if status[k] == 1 else (a, rate)
            all_written = all_written and status[k] == 1
        if all_written and g1 + 4 <= r1:
            dots[0], dots[1], dots[2], dots[3], squares[0], squares[1], squares[2], squares[3] = _write_four_read_four(
                w[g0], w[g0 + 1], w[g0 + 2], w[g0 + 3], x, a_s, b_s, w[g1], w[g1 + 1], w[g1 + 2], w[g1 + 3], mode == _L2
            )
            if mode == _CLIP or mode == _L1:
                for i in range(g0, g1):
                    _bound_row(w[i], mode, lo, hi, norm)
            continue
        for k in range(g1 - g0):
            if status[k] != 0:
                _write(w[g0 + k], x, a_s[k], b_s[k])
                if status[k] == 2 or mode == _CLIP or mode == _L1:
                    _bound_row(w[g0 + k], mode, lo, hi, norm)
        for k in range(min(4, r1 - g1)):
            dots[k], squares[k] = _dot_and_square(w[g1 + k], x)


def _sanger_four(a, b, c, d, x, e, y0, y1, y2, y3, eta, ahead, f, g, h, k):
    """Sanger on four consecutive rows (slices) ``a..d``; ``e`` carries the running sum. With
    ``ahead`` it also returns ``x`` dot the next four rows ``f..k`` (the forward pass), read in the
    same sweep; without, ``f..k`` are not read and the dots are 0.

    The four rows share each load and store of ``e``; per column the updates are the
    sequential ones, so the result equals a row-by-row loop bit for bit.
    """
    q0, q1, q2, q3 = eta * y0, eta * y1, eta * y2, eta * y3
    zero = a.dtype.type(0)
    t0, t1, t2, t3 = zero, zero, zero, zero
    for j in range(a.shape[0]):
        xj = x[j]
        if ahead:  # loop-invariant: compiled as two loops
            t0 += f[j] * xj
            t1 += g[j] * xj
            t2 += h[j] * xj
            t3 += k[j] * xj
        s = e[j]
        v = a[j]
        s += y0 * v
        a[j] = v + q0 * (xj - s)
        v = b[j]
        s += y1 * v
        b[j] = v + q1 * (xj - s)
        v = c[j]
        s += y2 * v
        c[j] = v + q2 * (xj - s)
        v = d[j]
        s += y3 * v
        d[j] = v + q3 * (xj - s)
        e[j] = s
    return t0, t1, t2, t3


def _sanger_rows(w, x, y, explained, c0, c1, forward, low, high, eta, mode, lo, hi, norm, only_active):
    """Sanger over all rows, columns ``c0..c1``, four rows at a time, one pass over ``W``.

    ``explained`` carries ``Σ_{k<j} y_k w_k`` (old weights). With ``forward`` the outputs of
    the next four rows are computed while the current four are updated (``y_j`` needs row
    ``j`` before its update only). Forward pass and row-wise bounds need whole rows
    (``c0 = 0, c1 = n_in``).
    """
    explained[c0:c1] = 0
    e = explained[c0:c1]
    xs = x[c0:c1]
    n_out = w.shape[0]
    full = n_out - n_out % 4  # rows in complete groups of four
    if forward:
        for k in range(min(4, n_out)):
            y[k] = _clip(_dot(w[k], x), low, high)
    for r0 in range(0, full, 4):
        a, b, c, d = w[r0, c0:c1], w[r0 + 1, c0:c1], w[r0 + 2, c0:c1], w[r0 + 3, c0:c1]
        y0, y1, y2, y3 = y[r0], y[r0 + 1], y[r0 + 2], y[r0 + 3]
        ahead = forward and r0 + 8 <= n_out
        if ahead:
            n0, n1, n2, n3 = w[r0 + 4], w[r0 + 5], w[r0 + 6], w[r0 + 7]
        else:
            n0, n1, n2, n3 = a, b, c, d  # not read
        t0, t1, t2, t3 = _sanger_four(a, b, c, d, xs, e, y0, y1, y2, y3, eta, ahead, n0, n1, n2, n3)
        if ahead:
            y[r0 + 4], y[r0 + 5] = _clip(t0, low, high), _clip(t1, low, high)
            y[r0 + 6], y[r0 + 7] = _clip(t2, low, high), _clip(t3, low, high)
        elif forward:
            for k in range(r0 + 4, min(r0 + 8, n_out)):
                y[k] = _clip(_dot(w[k], x), low, high)
        if mode != _NONE:  # bounds while the four rows are in cache
            for r in range(r0, r0 + 4):
                if not (only_active and y[r] == 0):
                    _bound_row(w[r, c0:c1], mode, lo, hi, norm)
    for r in range(full, n_out):
        row = w[r, c0:c1]
        yr = y[r]
        q = eta * yr
        for j in range(row.shape[0]):
            v = row[j]
            e[j] += yr * v
            row[j] = v + q * (xs[j] - e[j])
        if mode != _NONE and not (only_active and yr == 0):
            _bound_row(row, mode, lo, hi, norm)


def _rate_split(w, x, y, rule, forward, low, high, eta, mode, lo, hi, norm, only_active, n_blocks):
    n_out = w.shape[0]
    for block in _numba.prange(n_blocks):
        _rate_rows(
            w,
            x,
            y,
            block * n_out // n_blocks,
            (block + 1) * n_out // n_blocks,
            rule,
            forward,
            low,
            high,
            eta,
            mode,
            lo,
            hi,
            norm,
            only_active,
        )


def _sanger_split(w, x, y, explained, eta, mode, lo, hi, n_blocks):
    """Column blocks in parallel (no forward pass, element-wise bounds only)."""
    n_in = w.shape[1]
    for block in _numba.prange(n_blocks):
        c0, c1 = block * n_in // n_blocks, (block + 1) * n_in // n_blocks
        _sanger_rows(w, x, y, explained, c0, c1, False, eta, eta, eta, mode, lo, hi, eta, False)


if HAVE_NUMBA:
    _FAST = {"reassoc", "contract"}  # lets LLVM vectorise the sums; no NaN/inf assumptions
    _jit = _numba.njit(cache=True, nogil=True, fastmath=_FAST)
    _dot = _jit(_dot)
    _dot_and_square = _jit(_dot_and_square)
    _write = _jit(_write)
    _write_four_read_four = _jit(_write_four_read_four)
    _row_status = _jit(_row_status)
    _clip = _jit(_clip)
    _bound_row = _jit(_bound_row)
    _rate_rows = _jit(_rate_rows)
    _sanger_four = _jit(_sanger_four)
    _sanger_rows = _jit(_sanger_rows)
    _pjit = _numba.njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
    _rate_split = _pjit(_rate_split)
    _sanger_split = _pjit(_sanger_split)


def _blocks(w: np.ndarray, threads: int | None) -> int:
    if threads is not None:
        return max(1, int(threads))
    if w.size < PARALLEL_MIN_WEIGHTS:
        return 1
    return _numba.get_num_threads()


@functools.lru_cache(maxsize=64)
def _bound_scalars(bounds: Bounds, dtype: np.dtype):
    """``(mode code, w_min, w_max, norm)`` in ``dtype`` for the compiled loops (cached per call site)."""
    kind = dtype.type
    return _MODES[bounds.mode], kind(bounds.w_min), kind(bounds.w_max), kind(bounds.norm)


def _compiled_sample(rule, w, x, y, eta, bounds, forward, low, high, only_active, threads):
    kind = w.dtype.type
    mode, lo, hi, norm = _bound_scalars(bounds, w.dtype)
    eta, low, high = kind(eta), kind(low), kind(high)
    n_blocks = _blocks(w, threads)
    if rule == "sanger":
        explained = np.empty(w.shape[1], dtype=w.dtype)
        if n_blocks > 1 and not forward and mode in (_NONE, _CLIP):
            _sanger_split(w, x, y, explained, eta, mode, lo, hi, n_blocks)
        else:
            _sanger_rows(w, x, y, explained, 0, w.shape[1], forward, low, high, eta, mode, lo, hi, norm, only_active)
    elif n_blocks == 1 or (rule == "instar" and not forward):
        _rate_rows(w, x, y, 0, w.shape[0], _CODES[rule], forward, low, high, eta, mode, lo, hi, norm, only_active)
    else:
        _rate_split(w, x, y, _CODES[rule], forward, low, high, eta, mode, lo, hi, norm, only_active, n_blocks)


# --- mini-batches: BLAS on blocks of rows --------------------------------------------------


def _batch(rule, x, y, w, eta, bounds, forward, low, high, block):
    """Mini-batch update (mean over samples), row block by row block, bounds per block.

    Hebb, Oja and instar are one GEMM each (as one block by default: the largest GEMM is the
    fastest). Sanger carries the residual ``R = X − Σ_{k before block} Y_k W_k`` (old
    weights), so row ``j`` of a block gets ``η/B (Y_jᵀ R − Σ_{k in block, k≤j} (Y_jᵀ Y_k) w_k)``
    and the triangle costs ``block·n_out·n_in`` instead of ``n_out²·n_in / 2``.
    """
    n_out, batch = w.shape[0], x.shape[0]
    if block is None:  # Sanger: blocks cost ≈ (2B + block) multiply-adds per weight, one block B + n_out
        block = SANGER_BLOCK if rule == "sanger" and n_out > 2 * batch + SANGER_BLOCK else n_out
    rate = w.dtype.type(eta / batch)
    if forward:  # every row's output from the weights before the update: one GEMM for all blocks
        y = np.clip(x @ w.T, low, high)
    if rule == "sanger":
        residual = x.copy()
        product = np.empty_like(x)
    for r0 in range(0, n_out, block):
        r1 = min(r0 + block, n_out)
        rows = w[r0:r1]
        post = y[:, r0:r1]
        scaled = post * rate
        if rule == "sanger":
            delta = scaled.T @ residual
            delta -= np.tril(scaled.T @ post) @ rows
            if r1 < n_out:
                residual -= np.matmul(post, rows, out=product)
            rows += delta
        else:
            hebb = scaled.T @ x
            if rule == "oja":
                rows *= (1 - rate * np.einsum("bi,bi->i", post, post))[:, None]
            elif rule == "instar":
                rows *= (1 - rate * post.sum(axis=0))[:, None]
            rows += hebb
        if bounds.mode is not BoundsMode.NONE:
            apply_bounds(rows, bounds, out=rows, validate=False)
    return y


def _run(rule, pre, post, w, eta, bounds, forward, low, high, only_active, compiled, threads, block):
    use = HAVE_NUMBA if compiled is None else compiled
    x = np.ascontiguousarray(pre, dtype=w.dtype)
    if x.ndim == 2:
        y = None if forward else np.ascontiguousarray(post, dtype=w.dtype)
        return _batch(rule, x, y, w, eta, bounds, forward, low, high, block or BATCH_BLOCK)
    if forward:
        post = np.empty(w.shape[0], dtype=w.dtype)
    y = np.ascontiguousarray(post, dtype=w.dtype)
    if use:
        _compiled_sample(rule, w, x, y, eta, bounds, forward, low, high, only_active, threads)
        return y
    if forward:
        np.clip(w @ x, low, high, out=y)
    eta = w.dtype.type(eta)
    _NUMPY[rule](w, x, y, eta)
    if bounds.mode is not BoundsMode.NONE:
        if only_active:
            rows = np.flatnonzero(eta * y)
            if rows.size:  # a silent sample (every ``η y_j = 0``) leaves W exactly as it is
                w[rows] = apply_bounds(w[rows], bounds, validate=False)
        else:
            apply_bounds(w, bounds, out=w, validate=False)
    return y


def _checked_options(rule, eta, bounds, compiled, threads, block, rules=RULES):
    rule = check.as_choice("rule", rule, rules)
    eta = check.non_negative("eta", eta)
    if compiled and not HAVE_NUMBA:
        raise ValueError("compiled: numba is not installed")
    if threads is not None:
        threads = check.as_int("threads", threads, minimum=1)
    if block is not None:
        block = check.as_int("block", block, minimum=1)
    return rule, eta, as_bounds(bounds), threads, block


_OPTIONS_DOC = """
    :param eta: learning rate ``>= 0``.
    :param bounds: ``None``, a mode name or a :class:`~.bounds.Bounds`, applied to every
        updated row in the same pass (as :func:`~.bounds.apply_bounds` after the update).
    :param only_active: per sample: leave rows with ``η y_j = 0`` untouched, bounds included
        (only when they already satisfy ``bounds``); ``False`` bounds every row.
    :param compiled: ``None`` uses numba when installed, ``False`` forces numpy.
    :param threads: compiled path: row (or column) blocks run in parallel; ``None`` picks one
        block for small ``W`` and numba's thread count otherwise.
    :param block: mini-batch: rows per BLAS block (default :data:`BATCH_BLOCK`).
    :param validate: ``True`` checks every argument first (``ValueError`` naming it).
    """


def fused_update(
    rule, pre, post, w, eta, *, bounds=None, only_active=False, compiled=None, threads=None, block=None, validate=False
) -> np.ndarray:
    """In place: one update of ``rule`` (``"hebb"``, ``"oja"``, ``"sanger"``, ``"instar"``), then
    ``bounds``, streaming ``W`` once; a mini-batch averages over its samples.

    :param pre: input ``x`` ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param post: activity ``y`` ``(n_out,)`` or ``(B, n_out)`` (instar: in ``[0, 1]``).
    :param w: weights ``(n_out, n_in)``, C-contiguous float32/float64, updated in place.
    :returns: ``w``.
    """
    if validate:
        rule, eta, bounds, threads, block = _checked_options(rule, eta, bounds, compiled, threads, block)
        pre, post, w = _validated(pre, post, w, batch=True)
        if rule == "instar":
            check.check_range("post", post, low=0.0, high=1.0)
    _run(rule, pre, post, w, eta, as_bounds(bounds), False, 0, 0, only_active, compiled, threads, block)
    return w


def fused_step(
    rule,
    pre,
    w,
    eta,
    *,
    low=-1.0,
    high=1.0,
    bounds=None,
    only_active=False,
    compiled=None,
    threads=None,
    block=None,
    validate=False,
) -> np.ndarray:
    """In place: ``y = clip(W x, low, high)`` and the update of ``rule`` (``"hebb"``, ``"oja"``
    or ``"sanger"``) with that ``y``, then ``bounds``, reading each row of ``W`` once.

    ``y_j`` depends on row ``j`` only (Sanger: on rows up to ``j``, before their update), so the
    forward pass rides along with the update instead of streaming ``W`` a second time.

    :param pre: input ``x`` ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param w: weights ``(n_out, n_in)``, C-contiguous float32/float64, updated in place.
    :param low: lower clip of the activity (e.g. ``0`` rectified, ``−1`` linear).
    :param high: upper clip of the activity.
    :returns: ``y`` ``(n_out,)`` or ``(B, n_out)`` as computed from the weights before the update.
    """
    if validate:
        rule, eta, bounds, threads, block = _checked_options(rule, eta, bounds, compiled, threads, block, RULES[:3])
        w = _writeable_weights(w)
        pre = check.as_activity("pre", pre, w.shape[1], dtype=w.dtype)
        low, high = check.as_real("low", low), check.as_real("high", high)
        if high < low:
            raise ValueError(f"high: must be >= low={low:g}, got {high:g}")
    return _run(rule, pre, None, w, eta, as_bounds(bounds), True, low, high, only_active, compiled, threads, block)


fused_update.__doc__ += _OPTIONS_DOC
fused_step.__doc__ += _OPTIONS_DOC


def _per_sample(name, pre, post, w, eta, compiled, threads, validate):
    if validate:
        pre, post, w = _validated(pre, post, w, batch=False)
        _, eta, _, threads, _ = _checked_options(name, eta, None, compiled, threads, None)
        if name == "instar":
            check.check_range("post", post, low=0.0, high=1.0)
    _run(name, pre, post, w, eta, _NO_BOUNDS, False, 0, 0, False, compiled, threads, None)
    return w


_PER_SAMPLE_DOC = """

    :param pre: input ``x`` ``(n_in,)``.
    :param post: output ``y`` ``(n_out,)``.
    :param w: weights ``(n_out, n_in)``, C-contiguous float32/float64, updated in place.
    :param eta: learning rate ``>= 0``.
    :param compiled: ``None`` uses numba when installed, ``False`` forces numpy.
    :param threads: compiled path: row (or column) blocks run in parallel; ``None`` picks one
        block for small ``W`` and numba's thread count otherwise.
    :param validate: ``True`` checks every argument first (``ValueError`` naming it).
    :returns: ``w``.
    """


def oja_update(pre, post, w, eta, *, compiled=None, threads=None, validate=False) -> np.ndarray:
    """In place: ``W ← W (1 − η y²) + η y xᵀ`` (Oja's rule), one pass over ``W``."""
    return _per_sample("oja", pre, post, w, eta, compiled, threads, validate)


def hebb_update(pre, post, w, eta, *, compiled=None, threads=None, validate=False) -> np.ndarray:
    """In place: ``W += η y xᵀ`` (plain Hebb, a rank-1 update), one pass over ``W``."""
    return _per_sample("hebb", pre, post, w, eta, compiled, threads, validate)


def sanger_update(pre, post, w, eta, *, compiled=None, threads=None, validate=False) -> np.ndarray:
    """In place: ``w_j += η y_j (x − Σ_{k≤j} y_k w_k)`` (Sanger's GHA), one pass over ``W``."""
    return _per_sample("sanger", pre, post, w, eta, compiled, threads, validate)


def instar_update(pre, post, w, eta, *, compiled=None, threads=None, validate=False) -> np.ndarray:
    """In place: ``w_j += η y_j (x − w_j)`` (instar), only rows with ``y_j ≠ 0`` are touched."""
    return _per_sample("instar", pre, post, w, eta, compiled, threads, validate)


for _function in (oja_update, hebb_update, sanger_update, instar_update):
    _function.__doc__ += _PER_SAMPLE_DOC


def sanger_batch_update(pre, post, w, eta, *, block: int = SANGER_BLOCK, validate=False) -> np.ndarray:
    """In place: Sanger's rule averaged over a mini-batch, ``W += η/B (Yᵀ X − LT[Yᵀ Y] W)``.

    Rows are processed in blocks of ``block``: for rows ``J`` the lower triangle splits into the
    part inside the block, ``LT[Y_Jᵀ Y_J] W_J``, and ``Y_Jᵀ (Σ_{k before J} Y_k W_k)``, whose running
    sum ``(B, n_in)`` is carried from block to block (built from the weights before the update,
    kept as the residual ``X − Σ``).
    Costs ``≈ (2B + block)·n_out·n_in`` multiply-adds instead of ``(B + n_out/2)·n_out·n_in``.

    :param pre: inputs ``(B, n_in)``.
    :param post: linear outputs ``(B, n_out)``.
    :param w: weights ``(n_out, n_in)``, C-contiguous float32/float64, updated in place.
    :param eta: learning rate ``>= 0``.
    :param block: rows per block (``>= 1``).
    :param validate: ``True`` checks every argument first.
    :returns: ``w``.
    """
    if validate:
        pre, post, w = _validated(pre, post, w, batch=True, require_batch=True)
        eta = check.non_negative("eta", eta)
        block = check.as_int("block", block, minimum=1)
    x = np.ascontiguousarray(pre, dtype=w.dtype)
    _batch("sanger", x, np.ascontiguousarray(post, dtype=w.dtype), w, eta, _NO_BOUNDS, False, 0, 0, block)
    return w
