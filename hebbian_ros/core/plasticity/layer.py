"""A layer of rate units that learns with a Hebbian rule, under a plasticity gate.

The layer owns a weight matrix ``W`` ``(n_out, n_in)`` and ties together a forward pass, one of
the rules of :mod:`hebbian_ros.core` chosen by name, a bounds option and a gate ``level`` in
``[0, 1]`` that scales the learning rate (``0`` switches plasticity off entirely).

Units. Inputs and outputs are firing rates in Hz, limited to ``max_rate_hz``. Inside, the
layer works on normalised activity:

* input ``x`` (non-negative Hz) becomes ``x̂ = x / ‖x‖`` (``input_norm="l2"``, the default:
  learning sees the pattern, not its overall intensity, which also keeps Oja/Sanger stable) or
  ``x̂ = x / max_rate_hz`` (``input_norm="scale"``) or ``x̂ = x / (‖x‖ + σ)``
  (``input_norm="divisive"``: divisive normalisation with semi-saturation ``σ =
  semi_saturation_hz``, Carandini & Heeger 2012 — strong inputs are normalised like ``"l2"``,
  weak ones stay weak, so near-silence does not turn into a full-size pattern); an all-zero
  input stays zero;
* with ``input_exponent`` ``p < 1`` the pattern's direction is first compressed: each rate becomes
  ``(x/max_rate_hz)^p``, and the result is scaled back to ``‖x‖`` (a compressive synaptic transfer under
  divisive gain control). The few strongest inputs no longer set the direction alone, and a change of the
  input's overall gain (lighting, habituation) still only scales the pattern (power normalisation, as for image
  descriptors: Perronnin et al. 2010, Arandjelović & Zisserman 2012). The strength stays the input's own: weak
  contrast everywhere (an empty table) stays as weak as before under ``"divisive"``, instead of being lifted to
  an object's strength;
* with ``gain_tau > 0`` each normalised input ``i`` is then weighted by a homeostatic gain
  ``g_i ∝ 1 / (s_i + s̄) · s_i / (f_i + 0.1 f̄)``, and the pattern scaled back to its norm before
  the gain. ``s_i`` is the input's running standard deviation over the samples the layer learned
  from, ``f_i`` the standard deviation of its change from one learned-from sample to the next (its
  flicker within a look), time constant ``gain_tau`` samples; bars are population means. The first
  factor equalises the spreads (the few inputs that swing most, strong colour cells, stop
  outweighing the many that vary less); the second favours inputs that hold steady while one
  stimulus is in view over those that flicker with jitter and noise (temporal coherence, Földiák
  1991), and switches off inputs that never vary. Each gain follows from the input's own history
  (intrinsic plasticity; the bars are population signals like divisive normalisation's) and
  changes only while the layer learns;
* the unit activity ``ŷ = activation(W x̂)`` saturates at ``±1`` (``0..1`` when rectified);
  for ``"competitive"`` it is the winner-take-all outcome of ``W x̂`` (exactly ``k`` winners
  at 1 among the units with positive drive, or soft-WTA shares);
* with ``decorrelation`` (signed units only) the drive ``W x̂`` passes through lateral anti-Hebbian
  decorrelation (:mod:`~.decorrelation`) before it saturates: the units are whitened, so directions in which
  stimuli differ are no longer drowned by the mean and the few strongest components. The rule itself still
  learns from the drive ``W x̂``;
* the output rate is ``y = ŷ · max_rate_hz``, and :meth:`Layer.learn` maps ``y`` back the same
  way, so ``learn(x, forward(x))`` trains on exactly what the layer computed.

Oja and Sanger default to a linear (signed) activation, since principal components have
mixed signs; every other rule is rectified. For ``"stdp"`` the layer is spiking: each
:meth:`Layer.learn` call is one STDP time step of ``params.dt_ms`` in which input and output
rates are turned into Poisson spikes with the layer's own random generator.

Speed. Hebb, Oja, Sanger and competitive learning run on the fused kernels of
:mod:`hebbian_ros.core.plasticity.kernels`: per sample, :meth:`Layer.step` computes each unit's output
from its row of ``W``, updates the row and applies the bounds while it is in cache, so ``W`` is
streamed once (numba when installed, numpy otherwise; ``compiled`` chooses); a mini-batch is
a few BLAS matrix products (Sanger's on blocks of rows). The results equal the rule modules' up
to float rounding.
Once the bounds have been applied to every row, a per-sample update leaves the rows of silent
units (``y_j = 0``) untouched instead of re-normalising them.

Every call validates all of its arguments before changing anything, so a call that raises
:class:`ValueError` leaves weights, rule state, random generator and counter bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import FEATURE_LAYER
from hebbian_ros.core.plasticity import kernels
from hebbian_ros.core.plasticity.bcm import BCMParams, BCMState, bcm_init_state, bcm_step
from hebbian_ros.core.plasticity.bounds import (
    Bounds,
    BoundsMode,
    apply_bounds,
    as_bounds,
    normalize_rows_l2,
    row_l2_norms,
)
from hebbian_ros.core.plasticity.competitive import CompetitiveParams, compete
from hebbian_ros.core.plasticity.connectivity import Pooling, multiscale_weights, parse_groups
from hebbian_ros.core.plasticity.decorrelation import Decorrelation, DecorrelationParams
from hebbian_ros.core.plasticity.encoding import poisson_spikes
from hebbian_ros.core.plasticity.hebb import HebbParams
from hebbian_ros.core.plasticity.oja import OjaParams, SangerParams
from hebbian_ros.core.plasticity.stdp import STDPParams, STDPState, stdp_init_state, stdp_step

RULES = ("hebb", "oja", "sanger", "bcm", "competitive", "stdp")
ACTIVATIONS = ("linear", "relu", "on_off")
INPUT_NORMS = ("l2", "scale", "divisive", "centred")
INITIAL_WEIGHTS = ("random", "push_pull", "multiscale")
#: Upper limit for ``max_rate_hz``; keeps every internal quantity far from float32 overflow.
MAX_RATE_LIMIT_HZ = 1e6
#: Homeostatic gain: an input's flicker is floored at this share of the mean flicker (a steady input is not
#: weighted without limit).
FLICKER_FLOOR = 0.1

PARAMS_TYPES: dict[str, type] = {
    "hebb": HebbParams,
    "oja": OjaParams,
    "sanger": SangerParams,
    "bcm": BCMParams,
    "competitive": CompetitiveParams,
    "stdp": STDPParams,
}
#: Bounds used when ``bounds=None``: Hebb needs one to stay finite, competitive learning
#: compares dot products and so wants unit-length rows; the others bound themselves.
DEFAULT_BOUNDS = {"hebb": "l2", "competitive": "l2"}
#: Rules learned with :mod:`~.kernels` (layer rule -> kernel rule); the rest use the rule modules.
_KERNEL_RULES = {"hebb": "hebb", "oja": "oja", "sanger": "sanger", "competitive": "instar"}
#: Row norms within this relative distance of the target count as bounded (float32 rounding
#: of a normalisation stays below 1e-6).
_BOUNDED_RTOL = 1e-5
#: Rules whose output ``y_j`` depends on row ``j`` alone, so forward pass and update fuse.
_FUSED_STEP_RULES = ("hebb", "oja", "sanger")
# 64-bit limbs of the PCG64 generator state, so it round-trips through plain arrays.
_LIMB = (1 << 64) - 1


def _as_params(rule: str, params: Any) -> Any:
    expected = PARAMS_TYPES[rule]
    if params is None:
        return expected()
    if isinstance(params, Mapping):
        try:
            return expected(**params)
        except TypeError as error:
            raise ValueError(f"params: invalid fields for {expected.__name__} ({error})") from None
    if not isinstance(params, expected):
        raise ValueError(f"params: expected {expected.__name__} for rule {rule!r}, got {type(params).__name__}")
    return params


def _encode_rng(rng: np.random.Generator) -> np.ndarray:
    state = rng.bit_generator.state
    inner = state["state"]
    return np.array(
        [
            inner["state"] & _LIMB,
            inner["state"] >> 64,
            inner["inc"] & _LIMB,
            inner["inc"] >> 64,
            state["has_uint32"],
            state["uinteger"],
        ],
        dtype=np.uint64,
    )


def _decode_rng(value: Any) -> np.random.Generator:
    limbs = check.as_array("rng_state", value, kinds="iu")
    if limbs.shape != (6,) or (limbs.dtype.kind == "i" and (limbs < 0).any()):
        raise ValueError(f"rng_state: expected 6 non-negative integers, got shape {limbs.shape}")
    limbs = [int(v) for v in limbs]
    bit_generator = np.random.PCG64()
    try:
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": limbs[0] | limbs[1] << 64, "inc": limbs[2] | limbs[3] << 64},
            "has_uint32": limbs[4],
            "uinteger": limbs[5],
        }
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"rng_state: not a valid PCG64 state ({error})") from None
    return np.random.Generator(bit_generator)


class Layer:
    """Rate units ``y = activation(W x)`` with Hebbian plasticity; see the module docstring.

    :param n_in: number of inputs.
    :param n_out: number of units.
    :param rule: ``"hebb"``, ``"oja"``, ``"sanger"``, ``"bcm"``, ``"competitive"`` or ``"stdp"``.
    :param params: the rule's parameter dataclass, a mapping of its fields, or ``None`` for the
        defaults.
    :param seed: seeds the initial weights and (for STDP) the Poisson spikes.
    :param bounds: ``"none"``, ``"clip"``, ``"l2"``, ``"l1"`` or a :class:`Bounds`, applied after
        every update; ``None`` picks ``"l2"`` for hebb and competitive, ``"none"`` otherwise.
    :param activation: ``"linear"``, ``"relu"`` or ``"on_off"`` (linear units, each output as an ON
        rate and an OFF rate, ``2 n_out`` non-negative rates: signed components such as Sanger's travel as
        firing rates); ``None`` picks linear for oja/sanger and relu otherwise (competitive and stdp must
        be rectified).
    :param input_norm: ``"l2"`` (default), ``"scale"``, ``"divisive"`` or ``"centred"`` (the population
        mean subtracted, then l2: lateral inhibition, so the rules see the pattern's deviations, not the
        direction every non-negative pattern shares), see the module docstring.
    :param semi_saturation_hz: ``σ`` of ``"divisive"`` [Hz], ``>= 0``.
    :param input_exponent: ``p`` in ``(0, 1]`` of the compressive input transfer (module docstring); ``1``
        (default) passes the rates as they are.
    :param max_rate_hz: highest input and output rate; for STDP ``max_rate_hz·dt`` must be
        ``<= 1``.
    :param compiled: ``None`` runs the numba kernels when numba is installed, ``False`` the
        numpy ones (same results up to float rounding), ``True`` requires numba.
    :param gain_tau: time constant [learning samples] of the homeostatic input gain, see the module
        docstring; ``0`` (default) leaves the inputs unweighted.
    :param pooling: topographic wiring (:class:`~.connectivity.Pooling`): each unit connects to one block
        of input fields and one group of cells, ``n_out`` must be its unit count; the synapses outside
        stay absent (zero) through learning. Initial weights are equal within each unit's inputs
        (unit-norm row): the fixed point of Oja's rule for inputs that vary together. ``None``: fully
        connected, random initial weights.
    :param initial_weights: ``"random"`` (unit-norm rows) or ``"push_pull"``: unit ``i`` starts as the
        ON rate ``i`` minus the OFF rate ``i`` of an ``on_off`` layer below (``n_in = 2 n_out``), a copy of
        that layer's signed units. A random projection loses part of what separates patterns before the
        layer has learned anything (bench/RESULTS.md 5e); a topographic copy loses nothing, and learning
        (slow, under a one-shot memory) refines it from there. ``"multiscale"`` (oja and sanger): unit-norm
        random rows drawn at every scale of the input grid ``input_grid``
        (:func:`~.connectivity.multiscale_weights`), so neighbouring fields' weights are correlated.
    :param input_grid: ``(rows, cols)`` fields of the input (``n_in = rows x cols x cells``), for
        ``"multiscale"`` weights; ``None``: the input has no grid.
    :param decorrelation: :class:`~.decorrelation.DecorrelationParams` of lateral decorrelation of the
        units (rules hebb, oja, sanger with a signed activation), learned while the layer learns; ``None``:
        none. :meth:`learn` then takes the rule's output from ``x`` (the drive ``W x̂``), since ``y`` is the
        decorrelated output.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rule: str = "sanger",
        params: Any = None,
        seed: int = 0,
        bounds: Bounds | BoundsMode | str | None = None,
        *,
        activation: str | None = None,
        input_norm: str = "l2",
        semi_saturation_hz: float = 0.0,
        input_exponent: float = 1.0,
        max_rate_hz: float = 100.0,
        compiled: bool | None = None,
        pooling: Pooling | None = None,
        gain_tau: float = 0.0,
        initial_weights: str = "random",
        input_grid: tuple[int, int] | None = None,
        decorrelation: DecorrelationParams | None = None,
    ) -> None:
        self._n_in = check.as_int("n_in", n_in, minimum=1)
        self._n_out = check.as_int("n_out", n_out, minimum=1)
        self._mask = None
        if pooling is not None:
            check.check_instance("pooling", pooling, Pooling)
            if pooling.n_out(self._n_in) != self._n_out:
                raise ValueError(
                    f"n_out: pooling {pooling.output_grid(self._n_in)} has {pooling.n_out(self._n_in)} units, "
                    f"got n_out={self._n_out}"
                )
            self._mask = pooling.mask(self._n_in).astype(np.float32)
        self._pooling = pooling
        self._rule = check.as_choice("rule", rule, RULES)
        self._params = _as_params(self._rule, params)
        self._bounds = as_bounds(DEFAULT_BOUNDS.get(self._rule, "none") if bounds is None else bounds)
        default_activation = "linear" if self._rule in ("oja", "sanger") else "relu"
        self._activation = check.as_choice(
            "activation", default_activation if activation is None else activation, ACTIVATIONS
        )
        if self._activation == "on_off" and self._rule not in ("oja", "sanger", "hebb"):
            raise ValueError(f"activation: 'on_off' carries signed outputs; rule {self._rule!r} has none")
        self._low = 0.0 if self._activation == "relu" else -1.0  # on_off: linear inside, split on the way out
        if self._rule in ("competitive", "stdp") and self._activation != "relu":
            raise ValueError(f"activation: rule {self._rule!r} needs 'relu', got {self._activation!r}")
        self._input_norm = check.as_choice("input_norm", input_norm, INPUT_NORMS)
        self._sigma = np.float32(check.non_negative("semi_saturation_hz", semi_saturation_hz))
        self._exponent = float(check.in_interval("input_exponent", input_exponent, 0.0, 1.0, low_open=True))
        self._gain_tau = float(check.non_negative("gain_tau", gain_tau))
        self._spread = _Spread(self._n_in, self._gain_tau) if self._gain_tau > 0 else None
        self._max_rate = check.in_interval("max_rate_hz", max_rate_hz, 0.0, MAX_RATE_LIMIT_HZ, low_open=True)
        if self._rule == "stdp" and self._max_rate * self._params.dt_ms / 1000 > 1:
            raise ValueError(
                f"max_rate_hz: {self._max_rate:g} Hz gives more than one spike per step of "
                f"dt_ms={self._params.dt_ms:g}; lower max_rate_hz or dt_ms"
            )
        if self._rule == "competitive" and not self._params.soft and self._params.k > self._n_out:
            raise ValueError(f"params: k={self._params.k} winners exceed n_out={self._n_out}")
        seed = check.as_int("seed", seed, minimum=0)
        if compiled is not None and not isinstance(compiled, (bool, np.bool_)):
            raise ValueError(f"compiled: expected None or a bool, got {type(compiled).__name__}")
        if compiled and not kernels.HAVE_NUMBA:
            raise ValueError("compiled: numba is not installed")
        self._compiled = kernels.HAVE_NUMBA if compiled is None else bool(compiled)

        self._init = check.as_choice("initial_weights", initial_weights, INITIAL_WEIGHTS)
        if self._init == "push_pull" and (self._n_in != 2 * self._n_out or pooling is not None):
            raise ValueError(
                f"initial_weights: 'push_pull' pairs input i (ON) with input i + n_out (OFF): needs n_in = 2 x n_out "
                f"and no pooling wiring, got n_in={self._n_in}, n_out={self._n_out}"
            )
        self._grid = None
        if input_grid is not None:
            if not isinstance(input_grid, (tuple, list)) or len(input_grid) != 2:
                raise ValueError(f"input_grid: expected (rows, cols), got {input_grid!r}")
            self._grid = tuple(check.as_int("input_grid", v, minimum=1) for v in input_grid)
        if self._init == "multiscale":
            if self._grid is None or pooling is not None or self._rule not in ("oja", "sanger"):
                raise ValueError(
                    "initial_weights: 'multiscale' draws signed weights (rule oja or sanger) over the input grid: "
                    f"needs input_grid (rows, cols) and no pooling wiring, got rule {self._rule!r}, "
                    f"input_grid {input_grid}, pooling {pooling}"
                )
        self._decorrelation = None
        if decorrelation is not None:
            check.check_instance("decorrelation", decorrelation, DecorrelationParams)
            if self._rule not in ("hebb", "oja", "sanger") or self._activation == "relu":
                raise ValueError(
                    f"decorrelation: whitens signed units (rules hebb, oja, sanger, activation linear or on_off), "
                    f"got rule {self._rule!r} with activation {self._activation!r}"
                )
            self._decorrelation = Decorrelation(self._n_out, decorrelation)
        self._rng = np.random.default_rng(seed)
        self._w = self._initial_weights()
        self._state = self._initial_state()
        self._n_updates = 0
        self._gated = (1.0, self._params)
        self._bounded = self._weights_bounded()  # every row of W satisfies the bounds

    # --- read-only views -----------------------------------------------------------------

    @property
    def n_in(self) -> int:
        """Number of inputs."""
        return self._n_in

    @property
    def n_out(self) -> int:
        """Number of units."""
        return self._n_out

    @property
    def n_rates(self) -> int:
        """Rates the layer outputs: one per unit, two (ON, OFF) per unit with ``activation="on_off"``."""
        return 2 * self._n_out if self._activation == "on_off" else self._n_out

    @property
    def rule(self) -> str:
        """Name of the learning rule."""
        return self._rule

    @property
    def params(self) -> Any:
        """The rule's parameters (frozen dataclass)."""
        return self._params

    @property
    def bounds(self) -> Bounds:
        """Bounds applied after every update."""
        return self._bounds

    @property
    def activation(self) -> str:
        """``"linear"`` or ``"relu"``."""
        return self._activation

    @property
    def pooling(self) -> Pooling | None:
        """Topographic wiring, or ``None`` (fully connected)."""
        return self._pooling

    @property
    def max_rate_hz(self) -> float:
        """Highest input/output rate; the unit of normalised activity."""
        return self._max_rate

    @property
    def n_updates(self) -> int:
        """Number of :meth:`learn`/:meth:`step` calls that changed the weights (a batch is one)."""
        return self._n_updates

    @property
    def weights(self) -> np.ndarray:
        """``W`` ``(n_out, n_in)`` as a read-only view; it follows later updates, so copy it to keep."""
        view = self._w.view()
        view.flags.writeable = False
        return view

    # --- forward / learn -------------------------------------------------------------------

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output rates in Hz for input rates ``x`` ``(n_in,)`` or ``(B, n_in)``; no learning."""
        return self._forward(self._check_input(x, learning=False))

    def learn(self, x: np.ndarray, y: np.ndarray, level: float = 1.0) -> None:
        """Update the weights from input rates ``x`` and output rates ``y`` (Hz).

        :param x: ``(n_in,)`` or ``(B, n_in)`` non-negative rates; STDP takes single steps only.
        :param y: ``(n_out,)`` or ``(B, n_out)`` rates as returned by :meth:`forward`.
        :param level: plasticity gate in ``[0, 1]`` scaling the learning rate; at ``0`` nothing
            is computed and nothing changes.
        """
        level = check.in_interval("level", level, 0.0, 1.0)
        x = self._check_input(x, learning=True)
        if self._activation == "on_off":
            y = check.as_activity("y", y, 2 * self._n_out, low=0.0, high=self._max_rate, what="rate")
            y = y[..., : self._n_out] - y[..., self._n_out :]
        else:
            low = self._low * self._max_rate
            y = check.as_activity("y", y, self._n_out, low=low, high=self._max_rate, what="rate")
        check.check_same_batch("y", y, "x", x)
        if level > 0 and self._decorrelation is not None:  # the rule learns from the drive, not the whitened y
            drive = np.clip(self._normalised_input(x) @ self._w.T, self._low, 1.0)
            self._decorrelation.update(drive)
            y = drive * np.float32(self._max_rate)
        if level > 0:
            self._learn(x, y, level)
        elif self._spread is not None:
            self._spread.interrupt()

    def step(self, x: np.ndarray, level: float = 1.0) -> np.ndarray:
        """:meth:`forward` then :meth:`learn` on the same input; returns the output rates (Hz).

        Hebb, Oja and Sanger do both in one pass over ``W`` (see the module docstring).
        """
        level = check.in_interval("level", level, 0.0, 1.0)
        x = self._check_input(x, learning=True)
        if level > 0 and self._rule in _FUSED_STEP_RULES:
            activity = kernels.fused_step(
                self._rule,
                self._normalised_input(x),
                self._w,
                self._gated_params(level).eta,
                low=self._low,
                high=1.0,
                **self._kernel_options(x),
            )
            self._keep_wiring(rebound=True)
            self._bounded = True
            self._n_updates += 1
            self._track_spread(x)
            if self._decorrelation is not None:
                output = self._decorrelated(activity)
                self._decorrelation.update(activity)
                return self._rates(output)
            return self._rates(activity)
        y = self._forward(x)
        if level > 0:
            signed = y[..., : self._n_out] - y[..., self._n_out :] if self._activation == "on_off" else y
            self._learn(x, signed, level)
        elif self._spread is not None:
            self._spread.interrupt()
        return y

    def step_rates(self, rates: np.ndarray, input_max_rate: float, level: float = 1.0) -> np.ndarray:
        """:meth:`step` on the rates [Hz] of a population whose full drive is ``input_max_rate`` [Hz].

        The one place where rates from below are rescaled to this layer's ``max_rate_hz`` (clipped at
        full drive), for the feature layer node and :class:`hebbian_ros.core.loop.Loop` alike.
        """
        if not (math.isfinite(input_max_rate) and input_max_rate > 0):
            raise ValueError(f"input_max_rate: must be finite and > 0, got {input_max_rate}")
        x = np.minimum(rates / input_max_rate, 1.0) * np.float32(self._max_rate)
        return self.step(x, level)

    # --- checkpoints -----------------------------------------------------------------------

    def warm_up(self) -> None:
        """Run one learning step and restore everything, so the kernels are compiled now.

        With numba the first call of a kernel compiles it (seconds cold, a fraction of one from its
        on-disk cache); a node calls this before it subscribes, so no sample waits for the compiler.
        Weights, rule state, random generator and counter are bit-identical afterwards.
        """
        saved = self.state_dict()
        try:
            self.step(np.full(self._n_in, self._max_rate / 2, dtype=np.float32), 1.0)
        finally:
            self.load_state_dict(saved)

    def state_dict(self) -> dict[str, Any]:
        """Everything that changes while learning, as numpy arrays and plain scalars.

        Keys: ``rule``, ``n_in``, ``n_out``, ``weights``, ``n_updates``, ``rng_state``, with a
        homeostatic gain its statistics (``gain_count``, ``gain_mean``, ``gain_var``, ``gain_changes``,
        ``gain_fluct``, ``gain_last``, ``gain_following``), with decorrelation its statistics
        (:attr:`~.decorrelation.Decorrelation.KEYS`) and, per rule, ``theta`` (bcm) or
        ``pre_trace``/``post_trace`` (stdp). Arrays are copies; the
        dict can be stored with ``numpy.savez`` and read back without pickle.
        """
        state: dict[str, Any] = {
            "rule": self._rule,
            "n_in": self._n_in,
            "n_out": self._n_out,
            "weights": self._w.copy(),
            "n_updates": self._n_updates,
            "rng_state": _encode_rng(self._rng),
        }
        if self._spread is not None:
            state.update(self._spread.state_dict())
        if self._decorrelation is not None:
            state.update(self._decorrelation.state_dict())
        if isinstance(self._state, BCMState):
            state["theta"] = self._state.theta.copy()
        elif isinstance(self._state, STDPState):
            state["pre_trace"] = self._state.pre_trace.copy()
            state["post_trace"] = self._state.post_trace.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict` of a layer with the same rule and size.

        Scalars may come back as 0-d arrays (as from ``numpy.load``). Everything is checked
        before anything is replaced. A state without any ``gain_*`` key (saved with the gain off) loads
        into a layer with the gain on: the weights are kept, the gain's statistics start afresh; likewise a
        state without any ``decorrelation_*`` key into a layer with decorrelation.
        """
        if not isinstance(state, Mapping):
            raise ValueError(f"state: expected a mapping, got {type(state).__name__}")
        required = ["rule", "n_in", "n_out", "weights", "n_updates", "rng_state"]
        required += {"bcm": ["theta"], "stdp": ["pre_trace", "post_trace"]}.get(self._rule, [])
        # A checkpoint from before the gain was switched on has none of its statistics: the weights load and the
        # gain starts afresh (fading in again); one with some of them is damaged.
        fresh_gain = self._spread is not None and not any(key in state for key in _Spread.KEYS)
        required += list(_Spread.KEYS) if self._spread is not None and not fresh_gain else []
        fresh_decorrelation = self._decorrelation is not None and not any(key in state for key in Decorrelation.KEYS)
        required += list(Decorrelation.KEYS) if self._decorrelation is not None and not fresh_decorrelation else []
        missing = [key for key in required if key not in state]
        if missing:
            raise ValueError(f"state: missing keys {', '.join(missing)}")
        rule = state["rule"]
        rule = str(rule.item()) if isinstance(rule, np.ndarray) and rule.ndim == 0 else rule
        if rule != self._rule:
            raise ValueError(f"rule: state is for rule {rule!r}, this layer uses {self._rule!r}")
        for key, size in (("n_in", self._n_in), ("n_out", self._n_out)):
            if check.as_int(key, state[key]) != size:
                raise ValueError(f"{key}: state has {int(state[key])}, this layer has {size}")
        weights = check.as_real_array("weights", state["weights"], np.float32)
        if weights.shape != self._w.shape:
            raise ValueError(f"weights: expected shape {self._w.shape}, got {weights.shape}")
        if self._mask is not None and np.any(weights[self._mask == 0]):
            raise ValueError("weights: synapses outside the layer's pooling wiring are not zero")
        n_updates = check.as_int("n_updates", state["n_updates"], minimum=0)
        spread = None
        if self._spread is not None:
            spread = (
                _Spread(self._n_in, self._gain_tau)
                if fresh_gain
                else _Spread.from_state(state, self._n_in, self._gain_tau)
            )
        decorrelation = None
        if self._decorrelation is not None:
            params = self._decorrelation.params
            decorrelation = (
                Decorrelation(self._n_out, params)
                if fresh_decorrelation
                else Decorrelation.from_state(state, self._n_out, params)
            )
        rng = _decode_rng(state["rng_state"])
        rule_state = self._state
        if self._rule == "bcm":
            rule_state = BCMState(self._vector(state, "theta", self._n_out))
        elif self._rule == "stdp":
            rule_state = STDPState(
                self._vector(state, "pre_trace", self._n_in),
                self._vector(state, "post_trace", self._n_out),
            )
        np.copyto(self._w, weights)
        self._bounded = self._weights_bounded()
        self._n_updates = n_updates
        self._rng = rng
        self._state = rule_state
        self._spread = spread
        self._decorrelation = decorrelation

    # --- internals -------------------------------------------------------------------------

    @staticmethod
    def _vector(state: Mapping[str, Any], key: str, size: int) -> np.ndarray:
        return check.as_activity(key, state[key], size, batch=False, low=0.0).copy()

    def _check_input(self, x: Any, *, learning: bool) -> np.ndarray:
        x = check.as_activity("x", x, self._n_in, low=0.0, high=self._max_rate, what="rate")
        if learning and self._rule == "stdp" and x.ndim == 2:
            raise ValueError(f"x: rule 'stdp' learns one time step at a time, got a batch of shape {x.shape}")
        return x

    def _initial_weights(self) -> np.ndarray:
        shape = (self._n_out, self._n_in)
        rng = self._rng
        if self._mask is not None:
            return np.ascontiguousarray(normalize_rows_l2(self._mask.astype(np.float64)), dtype=np.float32)
        if self._init == "push_pull":  # unit i = (ON_i - OFF_i) / sqrt 2: the layer below's signed unit i, unit norm
            weights = np.zeros(shape, np.float32)
            units = np.arange(self._n_out)
            weights[units, units] = np.float32(1 / np.sqrt(2))
            weights[units, units + self._n_out] = np.float32(-1 / np.sqrt(2))
            return weights
        if self._init == "multiscale":
            weights = multiscale_weights(rng, self._n_out, self._grid[0], self._grid[1], self._n_in)
        elif self._rule in ("oja", "sanger"):
            weights = normalize_rows_l2(rng.standard_normal(shape))
        elif self._rule == "stdp":
            low, high = self._params.w_min, self._params.w_max
            span = high - low
            weights = rng.uniform(low + 0.25 * span, low + 0.75 * span, shape)
        elif self._rule == "bcm":
            weights = normalize_rows_l2(rng.uniform(0.0, 1.0, shape), 0.5)
            np.clip(weights, self._params.w_min, self._params.w_max, out=weights)
        else:
            weights = normalize_rows_l2(rng.uniform(0.0, 1.0, shape))
        return np.ascontiguousarray(weights, dtype=np.float32)

    def _initial_state(self) -> BCMState | STDPState | None:
        if self._rule == "bcm":
            return bcm_init_state(self._n_out)
        if self._rule == "stdp":
            return stdp_init_state(self._n_in, self._n_out)
        return None

    def _normalised_input(self, x: np.ndarray) -> np.ndarray:
        x_hat = self._base_input(x)
        if self._spread is None or self._spread.count == 0:
            return x_hat
        weighted = x_hat * self._spread.gain
        old = np.sqrt(np.einsum("...i,...i->...", x_hat, x_hat))
        new = np.sqrt(np.einsum("...i,...i->...", weighted, weighted))
        scale = np.where(new > 0, old / np.where(new > 0, new, 1), 0)
        return (weighted * np.asarray(scale, dtype=np.float32)[..., None]).astype(np.float32, copy=False)

    def _track_spread(self, x: np.ndarray) -> None:
        """Fold the learned-from input ``x`` into each input's running spread (homeostatic gain)."""
        if self._spread is not None:
            self._spread.update(self._base_input(x))

    def _base_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` compressed by ``input_exponent`` and normalised by ``input_norm``, before the homeostatic gain."""
        if self._exponent != 1.0:
            x = self._compressed(x)
        if self._input_norm == "centred":  # lateral inhibition removes the population mean, then l2
            x = x - x.mean(axis=-1, keepdims=True, dtype=np.float32)
            norms = np.sqrt(np.einsum("...i,...i->...", x, x))[..., None]
            return (x / np.where(norms > 0, norms, 1)).astype(np.float32, copy=False)
        if self._input_norm == "scale":
            return x / np.float32(self._max_rate)
        if x.ndim == 1:  # one sample: a scalar norm, a few µs cheaper than the batched form
            norm = math.sqrt(float(np.dot(x, x))) + float(self._sigma if self._input_norm == "divisive" else 0)
            return x / np.float32(norm) if norm > 0 else x.copy()
        norms = np.sqrt(np.einsum("...i,...i->...", x, x))
        if self._input_norm == "divisive":
            norms = norms + self._sigma
        return x / np.where(norms > 0, norms, 1)[..., None]

    def _compressed(self, x: np.ndarray) -> np.ndarray:
        """``x``'s direction compressed by ``input_exponent``, at ``x``'s own norm (module docstring)."""
        x = np.maximum(x, 0).astype(np.float32, copy=False)
        power = np.power(x / np.float32(self._max_rate), np.float32(self._exponent))
        norm = np.sqrt(np.einsum("...i,...i->...", x, x))
        power_norm = np.sqrt(np.einsum("...i,...i->...", power, power))
        scale = norm / np.where(power_norm > 0, power_norm, 1)
        return (power * np.asarray(scale, dtype=np.float32)[..., None]).astype(np.float32, copy=False)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        x_hat = self._normalised_input(x)
        drive = x_hat @ self._w.T
        if self._rule == "competitive":
            activity = compete(drive, self._params, validate=False)
            if self._params.soft:
                activity *= (x_hat.max(axis=-1) > 0)[..., None]
            else:
                activity *= drive > 0
        else:
            np.clip(drive, self._low, 1.0, out=drive)
            activity = self._decorrelated(drive) if self._decorrelation is not None else drive
        return self._rates(activity)

    def _decorrelated(self, drive: np.ndarray) -> np.ndarray:
        """The saturated drive after lateral decorrelation, saturated again at ``low..1``."""
        return np.clip(self._decorrelation.apply(drive), self._low, 1.0)

    def _rates(self, activity: np.ndarray) -> np.ndarray:
        """Output rates [Hz] of unit activity; ``on_off`` splits each signed unit into an ON and an OFF rate."""
        if self._activation == "on_off":
            activity = np.concatenate([np.maximum(activity, 0), np.maximum(-activity, 0)], axis=-1)
        return (activity * np.float32(self._max_rate)).astype(np.float32, copy=False)

    def _gated_params(self, level: float) -> Any:
        if level != self._gated[0]:
            self._gated = (level, self._params.scaled(level))
        return self._gated[1]

    def _weights_bounded(self) -> bool:
        """Whether every row of ``W`` satisfies the bounds (to float rounding; zero rows do).

        A pure function of the weights, so a layer restored from a checkpoint skips the same
        silent rows as the one that saved it (resume stays bit-identical).
        """
        bounds, w = self._bounds, self._w
        if bounds.mode is BoundsMode.NONE:
            return True
        if bounds.mode is BoundsMode.CLIP:
            return bool(w.min() >= bounds.w_min and w.max() <= bounds.w_max)
        norms = row_l2_norms(w) if bounds.mode is BoundsMode.L2 else np.abs(w).sum(axis=1, dtype=np.float64)
        return bool(np.all((norms == 0) | (np.abs(norms - bounds.norm) <= _BOUNDED_RTOL * bounds.norm)))

    def _kernel_options(self, x: np.ndarray) -> dict[str, Any]:
        """Bounds and numba choice for :mod:`~.kernels`; silent rows are skipped once bounded."""
        return {
            "bounds": self._bounds,
            "only_active": self._bounded and x.ndim == 1,
            "compiled": self._compiled,
        }

    def _learn(self, x: np.ndarray, y: np.ndarray, level: float) -> None:
        """Apply one validated update in place; nothing in here can fail half-way."""
        params = self._gated_params(level)
        w = self._w
        if self._rule in _KERNEL_RULES:
            y_hat = y / np.float32(self._max_rate)
            if self._rule == "competitive" and params.leak:
                y_hat = y_hat + np.float32(params.leak) * (1 - y_hat)
            kernels.fused_update(
                _KERNEL_RULES[self._rule], self._normalised_input(x), y_hat, w, params.eta, **self._kernel_options(x)
            )
            self._keep_wiring(rebound=True)
            self._bounded = True
            self._n_updates += 1
            self._track_spread(x)
            return
        if self._rule == "stdp":
            dt_s = params.dt_ms / 1000
            pre_spikes = poisson_spikes(x, dt_s, self._rng, validate=False)
            post_spikes = poisson_spikes(y, dt_s, self._rng, validate=False)
            _, self._state = stdp_step(pre_spikes, post_spikes, w, self._state, params, out=w, validate=False)
        else:
            x_hat = self._normalised_input(x)
            y_hat = y / np.float32(self._max_rate)
            _, self._state = bcm_step(x_hat, y_hat, w, self._state, params, out=w, validate=False)
        self._keep_wiring()
        if self._bounds.mode is not BoundsMode.NONE:
            apply_bounds(w, self._bounds, out=w, validate=False)
        self._n_updates += 1
        self._track_spread(x)

    def _keep_wiring(self, rebound: bool = False) -> None:
        """Synapses the wiring does not have stay zero (the rules' updates would grow them).

        ``rebound``: the bounds were applied before the mask (inside a kernel), so apply them again.
        """
        if self._mask is not None:
            np.multiply(self._w, self._mask, out=self._w)
            if rebound and self._bounds.mode is not BoundsMode.NONE:
                apply_bounds(self._w, self._bounds, out=self._w, validate=False)

    def __repr__(self) -> str:
        return (
            f"Layer(n_in={self._n_in}, n_out={self._n_out}, rule={self._rule!r}, "
            f"params={self._params!r}, bounds={self._bounds.mode.value!r}, "
            f"n_updates={self._n_updates})"
        )


class _Spread:
    """Running statistics of each normalised input, and the homeostatic gain they give.

    ``var``: the input's variance over learned-from samples (how much it differs between stimuli);
    ``fluct``: half the mean square of its change between consecutive learned-from samples (how much it
    flickers within one look: jitter, noise). The rate of both is ``1/n`` for the first ``tau`` samples (their
    exact means), ``1/tau`` after. A sample that does not follow a learned-from one (after a call with
    plasticity off) starts a new sequence: no change is taken across the gap.
    """

    KEYS = ("gain_count", "gain_mean", "gain_var", "gain_changes", "gain_fluct", "gain_last", "gain_following")

    def __init__(self, n_in: int, tau: float) -> None:
        self.tau = tau
        self.count = 0
        self.changes = 0
        self.mean = np.zeros(n_in)
        self.var = np.zeros(n_in)
        self.fluct = np.zeros(n_in)
        self.last = np.zeros(n_in)
        self.following = False  # the next sample follows a learned-from one
        self.gain = np.ones(n_in, dtype=np.float32)

    def update(self, x_hat: np.ndarray) -> None:
        for row in np.atleast_2d(x_hat):
            self.count += 1
            rate = max(1.0 / self.count, 1.0 / self.tau)
            delta = row - self.mean
            self.mean += rate * delta
            self.var = (1 - rate) * (self.var + rate * delta * delta)
            if self.following:
                self.changes += 1
                change = row - self.last
                self.fluct += max(1.0 / self.changes, 1.0 / self.tau) * (0.5 * change * change - self.fluct)
            self.last = np.array(row, dtype=np.float64)
            self.following = True
        self._refresh()

    def interrupt(self) -> None:
        """A sample went by without learning: the next learned-from one starts a new sequence."""
        self.following = False

    def _refresh(self) -> None:
        spread, flicker = np.sqrt(self.var), np.sqrt(self.fluct)
        mean_spread, mean_flicker = spread.mean(), flicker.mean()
        if mean_spread <= 0:
            self.gain = np.ones_like(self.gain)
            return
        gain = 1.0 / (spread + mean_spread)  # spreads equalised
        if mean_flicker > 0:  # steady within a look counts more; an input that never varies not at all
            gain *= spread / (flicker + FLICKER_FLOOR * mean_flicker)
        fade = self.count / (self.count + self.tau)  # the gain comes in over ~tau samples: early memories stay valid
        self.gain = (1 + fade * (gain / gain.mean() - 1)).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {
            "gain_count": self.count,
            "gain_mean": self.mean.copy(),
            "gain_var": self.var.copy(),
            "gain_changes": self.changes,
            "gain_fluct": self.fluct.copy(),
            "gain_last": self.last.copy(),
            "gain_following": self.following,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], n_in: int, tau: float) -> _Spread:
        spread = cls(n_in, tau)
        spread.count = check.as_int("gain_count", state["gain_count"], minimum=0)
        spread.changes = check.as_int("gain_changes", state["gain_changes"], minimum=0)
        following = state["gain_following"]
        following = following.item() if isinstance(following, np.ndarray) and following.ndim == 0 else following
        if not isinstance(following, (bool, np.bool_)):
            raise ValueError(f"gain_following: expected a bool, got {following!r}")
        spread.following = bool(following)
        for key in ("gain_mean", "gain_var", "gain_fluct", "gain_last"):
            low = 0.0 if key in ("gain_var", "gain_fluct") else None
            value = check.as_real_array(key, state[key], np.float64, low=low)
            if value.shape != (n_in,):
                raise ValueError(f"{key}: expected shape ({n_in},), got {value.shape}")
            setattr(spread, key[5:], value.copy())
        spread._refresh()
        return spread


def rule_params(rule: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``rule``'s parameter dataclass from feature_layer_node's flat parameters."""
    learning_rate = parameters["learning_rate"]
    if rule == "stdp":
        return {"a_plus": learning_rate, "a_minus": 1.05 * learning_rate}
    if rule == "competitive":
        return {
            "eta": learning_rate,
            "k": parameters["k"],
            "soft": parameters["soft"],
            "temperature": parameters["temperature"],
        }
    if rule == "bcm":
        return {"eta": learning_rate, "tau_theta": parameters["tau_theta"]}
    return {"eta": learning_rate}


def layer_from_parameters(parameters: Mapping[str, Any] | None = None, *, compiled: bool | None = None) -> Layer:
    """The :class:`Layer` of feature_layer_node's flat parameters (:data:`~hebbian_ros.core.parameters.FEATURE_LAYER`).

    ``parameters`` may hold any subset (the rest are the schema's defaults); an unknown name raises
    ``ValueError``. Node and :class:`hebbian_ros.core.loop.Loop` build their layers with this.
    """
    p = FEATURE_LAYER.resolve(parameters)
    return Layer(
        p["n_in"],
        p["n_out"],
        p["rule"],
        rule_params(p["rule"], p),
        seed=p["seed"],
        bounds=None if p["bounds"] == "default" else p["bounds"],
        activation=("on_off" if p["rule"] in ("oja", "sanger") else "relu")
        if p["activation"] == "auto"
        else p["activation"],
        input_norm=p["input_norm"],
        semi_saturation_hz=p["semi_saturation"],
        input_exponent=p["input_exponent"],
        max_rate_hz=p["max_rate"],
        compiled=compiled,
        gain_tau=p["gain_tau"],
        initial_weights=p["initial_weights"],
        input_grid=(p["input_rows"], p["input_cols"]) if p["input_rows"] else None,
        decorrelation=DecorrelationParams(p["decorrelation_tau"], p["decorrelation_floor"])
        if p["decorrelation_tau"] > 0
        else None,
        pooling=Pooling(p["input_rows"], p["input_cols"], p["field_pool"], parse_groups(p["cell_groups"]))
        if p["input_rows"] and (p["field_pool"] > 1 or p["cell_groups"].strip())
        else None,
    )
