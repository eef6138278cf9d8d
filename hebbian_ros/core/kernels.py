"""Fused in-place update kernels for the rate rules: one pass over ``W`` per sample.

The rule modules (:mod:`~.hebb`, :mod:`~.oja`, :mod:`~.competitive`) update ``W`` with several
numpy passes per sample (a row scaling, a temporary outer product, an addition); a dense update
is memory-bound, so each extra pass costs about as much as the arithmetic. The kernels here
read and write every weight once, computing the same rules:

* :func:`hebb_update` — ``W += η y xᵀ``;
* :func:`oja_update` — ``W ← W (1 − η y²) + η y xᵀ`` per row;
* :func:`sanger_update` — ``w_j += η y_j (x − Σ_{k≤j} y_k w_k)`` (the running sum over rows is
  carried along in a vector, so the pass over ``W`` stays single);
* :func:`instar_update` — ``w_j += η y_j (x − w_j)``, touching only rows with ``y_j ≠ 0``;
* :func:`sanger_batch_update` — Sanger on a mini-batch, ``ΔW = η/B (Yᵀ X − LT[Yᵀ Y] W)``, with
  the triangle done block by block so it costs about ``3–4×`` a Hebbian batch instead of
  ``n_out/B`` times.

With numba installed (:data:`HAVE_NUMBA`) the per-sample loops are compiled and split over
threads (rows, or columns for Sanger) once ``W`` is large enough to pay for it; without numba
every function falls back to numpy with the same result up to float rounding. All kernels
work in place on a C-contiguous float32 or float64 ``W``; mini-batch rules average over the batch
like the rule modules. Inputs are trusted unless ``validate=True``.
"""

from __future__ import annotations

import numpy as np

from hebbian_ros.core import validation as check

try:  # optional: compiled kernels when present, numpy otherwise
    import numba as _numba
except ImportError:  # pragma: no cover - exercised on machines without numba
    _numba = None

#: Whether the compiled (numba) kernels are available.
HAVE_NUMBA = _numba is not None
#: Below this many weights one thread is faster than two (the fork/join costs a few µs).
PARALLEL_MIN_WEIGHTS = 1 << 18


def _validated(pre, post, w, *, batch: bool):
    w = check.as_weights("w", w)
    if not w.flags.c_contiguous or not w.flags.writeable:
        raise ValueError("w: expected a writeable C-contiguous matrix (updated in place)")
    pre, post, w = check.as_rule_inputs(pre, post, w, batch=batch)
    if batch and pre.ndim != 2:
        raise ValueError(f"pre: expected a mini-batch (B, n_in), got shape {pre.shape}")
    return pre, post, w


# --- numpy reference paths -----------------------------------------------------------------


def _oja_numpy(w, x, y, eta):
    rate = eta * y
    w *= (1 - rate * y)[:, None]
    w += rate[:, None] * x


def _hebb_numpy(w, x, y, eta):
    w += (eta * y)[:, None] * x


def _sanger_numpy(w, x, y, eta):
    explained = np.cumsum(y[:, None] * w, axis=0)
    np.subtract(x, explained, out=explained)
    explained *= (eta * y)[:, None]
    w += explained


def _instar_numpy(w, x, y, eta):
    rows = np.flatnonzero(y)
    if rows.size:
        rate = (eta * y[rows])[:, None]
        w[rows] += rate * (x - w[rows])


# --- compiled paths ------------------------------------------------------------------------


def _oja_rows(w, x, y, eta, r0, r1):
    for i in range(r0, r1):
        rate = eta * y[i]
        keep = 1 - rate * y[i]
        row = w[i]
        for j in range(row.shape[0]):
            row[j] = row[j] * keep + rate * x[j]


def _hebb_rows(w, x, y, eta, r0, r1):
    for i in range(r0, r1):
        rate = eta * y[i]
        if rate != 0:
            row = w[i]
            for j in range(row.shape[0]):
                row[j] += rate * x[j]


def _sanger_columns(w, x, y, eta, c0, c1, explained):
    for j in range(c0, c1):
        explained[j] = 0
    for i in range(w.shape[0]):
        yi = y[i]
        rate = eta * yi
        row = w[i]
        for j in range(c0, c1):
            explained[j] += yi * row[j]
            row[j] += rate * (x[j] - explained[j])


def _instar_rows(w, x, y, eta):
    for i in range(w.shape[0]):
        rate = eta * y[i]
        if rate != 0:
            row = w[i]
            for j in range(row.shape[0]):
                row[j] += rate * (x[j] - row[j])


def _split_rows(kernel):
    def run(w, x, y, eta, n_blocks):
        n_out = w.shape[0]
        for block in _numba.prange(n_blocks):
            kernel(w, x, y, eta, block * n_out // n_blocks, (block + 1) * n_out // n_blocks)

    return run


def _sanger_split(w, x, y, eta, n_blocks):
    n_in = w.shape[1]
    explained = np.empty(n_in, dtype=w.dtype)
    for block in _numba.prange(n_blocks):
        _sanger_columns(w, x, y, eta, block * n_in // n_blocks, (block + 1) * n_in // n_blocks, explained)


if HAVE_NUMBA:
    _jit = _numba.njit(cache=True, nogil=True, fastmath=False)
    _oja_rows = _jit(_oja_rows)
    _hebb_rows = _jit(_hebb_rows)
    _sanger_columns = _jit(_sanger_columns)
    _instar_rows = _jit(_instar_rows)
    _pjit = _numba.njit(cache=True, nogil=True, parallel=True)
    _oja_split = _pjit(_split_rows(_oja_rows))
    _hebb_split = _pjit(_split_rows(_hebb_rows))
    _sanger_split = _pjit(_sanger_split)


def _blocks(w: np.ndarray, threads: int | None) -> int:
    if threads is not None:
        return max(1, int(threads))
    if w.size < PARALLEL_MIN_WEIGHTS:
        return 1
    return _numba.get_num_threads()


def _dispatch(name, w, x, y, eta, compiled, threads):
    use = HAVE_NUMBA if compiled is None else compiled
    eta = w.dtype.type(eta)
    x = np.ascontiguousarray(x, dtype=w.dtype)
    y = np.ascontiguousarray(y, dtype=w.dtype)
    if not use:
        {"oja": _oja_numpy, "hebb": _hebb_numpy, "sanger": _sanger_numpy, "instar": _instar_numpy}[name](
            w, x, y, eta
        )
        return w
    n_blocks = _blocks(w, threads)
    if name == "instar":
        _instar_rows(w, x, y, eta)
    elif name == "sanger":
        if n_blocks == 1:
            _sanger_columns(w, x, y, eta, 0, w.shape[1], np.empty(w.shape[1], dtype=w.dtype))
        else:
            _sanger_split(w, x, y, eta, n_blocks)
    elif n_blocks == 1:
        (_oja_rows if name == "oja" else _hebb_rows)(w, x, y, eta, 0, w.shape[0])
    else:
        (_oja_split if name == "oja" else _hebb_split)(w, x, y, eta, n_blocks)
    return w


def _per_sample(name, pre, post, w, eta, compiled, threads, validate):
    if validate:
        pre, post, w = _validated(pre, post, w, batch=False)
        eta = check.non_negative("eta", eta)
        if compiled and not HAVE_NUMBA:
            raise ValueError("compiled: numba is not installed")
        if threads is not None:
            threads = check.as_int("threads", threads, minimum=1)
        if name == "instar":
            check.check_range("post", post, low=0.0, high=1.0)
    return _dispatch(name, w, pre, post, eta, compiled, threads)


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


def sanger_batch_update(pre, post, w, eta, *, block: int = 64, validate=False) -> np.ndarray:
    """In place: Sanger's rule averaged over a mini-batch, ``W += η/B (Yᵀ X − LT[Yᵀ Y] W)``.

    Rows are processed in blocks of ``block``: for rows ``J`` the lower triangle splits into the
    part inside the block, ``LT[Y_Jᵀ Y_J] W_J``, and ``Y_Jᵀ (Σ_{k before J} Y_k W_k)``, whose running
    sum ``(B, n_in)`` is carried from block to block (built from the weights before the update).
    Costs ``≈ (3B + block)·n_out·n_in`` multiply-adds instead of ``(B + n_out)·n_out·n_in``.

    :param pre: inputs ``(B, n_in)``.
    :param post: linear outputs ``(B, n_out)``.
    :param w: weights ``(n_out, n_in)``, C-contiguous float32/float64, updated in place.
    :param eta: learning rate ``>= 0``.
    :param block: rows per block (``>= 1``).
    :param validate: ``True`` checks every argument first.
    :returns: ``w``.
    """
    if validate:
        pre, post, w = _validated(pre, post, w, batch=True)
        eta = check.non_negative("eta", eta)
        block = check.as_int("block", block, minimum=1)
    pre = np.asarray(pre, dtype=w.dtype)
    post = np.asarray(post, dtype=w.dtype)
    scaled = post * w.dtype.type(eta / pre.shape[0])
    explained = np.zeros_like(pre)  # Σ over earlier rows of y_k w_k, per sample (old weights)
    for r0 in range(0, w.shape[0], block):
        r1 = min(r0 + block, w.shape[0])
        rows = w[r0:r1]
        y_block = post[:, r0:r1]
        old_rows = rows.copy()
        delta = scaled[:, r0:r1].T @ (pre - explained)
        delta -= np.tril(scaled[:, r0:r1].T @ y_block) @ old_rows
        explained += y_block @ old_rows
        rows += delta
    return w
