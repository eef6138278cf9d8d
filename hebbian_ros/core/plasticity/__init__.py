"""Local plasticity rules and the layer that runs them.

Every rule is a frozen parameter dataclass plus a pure ``*_step`` function that returns new weights
(and new state) without touching its inputs; ``out=w`` switches to an in-place update for hot loops.
Weights have shape ``(n_out, n_in)`` and ``y = W x``. :mod:`~.kernels` holds the fused in-place
updates (numba-compiled, with a numpy fallback selected by ``compiled=False``).
"""
