"""ROS-free numerical core of hebbian_ros: gradient-free plasticity rules in numpy.

Every rule is a frozen parameter dataclass plus a pure ``*_step`` function that returns new
weights (and new state) without touching its inputs; ``out=w`` switches to an in-place update
for hot loops. Weights have shape ``(n_out, n_in)`` and ``y = W x``.

Modules: :mod:`~.validation` (shared input checks), :mod:`~.bounds` (clip / row
normalisation), :mod:`~.hebb` (plain, unbounded Hebb), :mod:`~.oja` (Oja, Sanger GHA),
:mod:`~.bcm` (sliding threshold), :mod:`~.competitive` (WTA + instar), :mod:`~.stdp`
(pair-based STDP), :mod:`~.encoding` (rate and Poisson coding), :mod:`~.layer` (a gated,
checkpointable layer that uses any of the rules). Nothing here imports ROS.
"""

from hebbian_ros.core.bcm import BCMParams, BCMState, bcm_init_state, bcm_step
from hebbian_ros.core.bounds import (
    Bounds,
    BoundsMode,
    apply_bounds,
    as_bounds,
    clip_weights,
    normalize_rows_l1,
    normalize_rows_l2,
)
from hebbian_ros.core.competitive import (
    CompetitiveParams,
    compete,
    competitive_step,
    k_winners_take_all,
    soft_winner_take_all,
)
from hebbian_ros.core.encoding import poisson_spikes, rate_code
from hebbian_ros.core.hebb import HebbParams, hebb_step
from hebbian_ros.core.layer import RULES, Layer
from hebbian_ros.core.oja import OjaParams, SangerParams, oja_step, sanger_step
from hebbian_ros.core.stdp import STDPParams, STDPState, stdp_init_state, stdp_step

__all__ = [
    "BCMParams",
    "BCMState",
    "Bounds",
    "BoundsMode",
    "CompetitiveParams",
    "HebbParams",
    "Layer",
    "OjaParams",
    "RULES",
    "STDPParams",
    "STDPState",
    "SangerParams",
    "apply_bounds",
    "as_bounds",
    "bcm_init_state",
    "bcm_step",
    "clip_weights",
    "compete",
    "competitive_step",
    "hebb_step",
    "k_winners_take_all",
    "normalize_rows_l1",
    "normalize_rows_l2",
    "oja_step",
    "poisson_spikes",
    "rate_code",
    "sanger_step",
    "soft_winner_take_all",
    "stdp_init_state",
    "stdp_step",
]
