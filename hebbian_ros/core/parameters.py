"""Every parameter of the learning loop's nodes, written once: name, default, description, range, read-only.

A :class:`Schema` is one node's table. The nodes declare their ROS parameters from it
(:func:`hebbian_ros.nodes.parameters.declare_all`: typed by the default, ranged, described, read-only
flags), :class:`hebbian_ros.core.loop.Loop` resolves the same ``config/*.yaml`` files against it, and
the core's parameter dataclasses take their defaults from it (``SENSOR.default("tau_adapt")``), so a
default, a range or a description cannot disagree between node, loop and core. The YAML files hold
only what differs from these defaults (``test/graph/test_parameter_files.py`` checks that).

Pure data (and :func:`read_overrides` of a YAML file): nothing here imports ROS, numpy or the rest of the core.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Default of a string parameter that is the node's name (``population``, ``checkpoint_name``).
NODE_NAME = "<node name>"

Value = bool | int | float | str | tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """One ROS parameter: typed by ``default``, inclusive ``[low, high]`` for numbers, ``choices`` for strings."""

    name: str
    default: Value
    description: str
    low: float | None = None
    high: float | None = None
    read_only: bool = False
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.low is not None or self.high is not None) and (
            isinstance(self.default, bool) or not isinstance(self.default, (int, float))
        ):
            raise TypeError(f"{self.name}: a range needs a numeric default")
        if self.choices and self.default not in self.choices and self.default != NODE_NAME:
            raise ValueError(f"{self.name}: default {self.default!r} is not one of {self.choices}")

    def check(self, value: Any) -> Value:
        """``value`` as this parameter's type (an int is a float where a float is due); ``ValueError`` if not."""
        kind = type(self.default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is tuple and isinstance(value, list):
            value = tuple(value)
        if type(value) is not kind or (kind is tuple and not all(isinstance(v, str) for v in value)):
            raise ValueError(f"{self.name}: expected {kind.__name__}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.name}: must be finite, got {value}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"{self.name}: must be within [{self.low}, {self.high}], got {value}")
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.name}: must be one of {', '.join(self.choices)}; got {value!r}")
        return value


class Schema(Mapping[str, Parameter]):
    """One node's parameters, in declaration order; ``a + b`` joins two tables."""

    def __init__(self, *parameters: Parameter) -> None:
        self._table = {p.name: p for p in parameters}
        if len(self._table) != len(parameters):
            raise ValueError("schema: a parameter is listed twice")

    def __getitem__(self, name: str) -> Parameter:
        return self._table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __add__(self, other: Schema) -> Schema:
        return Schema(*self.values(), *other.values())

    def default(self, name: str) -> Value:
        """The default of ``name``."""
        return self._table[name].default

    def resolve(self, overrides: Mapping[str, Any] | None = None, node_name: str = "") -> dict[str, Value]:
        """Every parameter's value: the defaults with ``overrides`` applied and checked (unknown names refused)."""
        unknown = sorted(set(overrides or {}) - set(self._table))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a parameter (known: {', '.join(self._table)})")
        values = {}
        for name, p in self._table.items():
            value = (overrides or {}).get(name, p.default)
            values[name] = node_name if value == NODE_NAME else p.check(value)
        return values


def read_overrides(path: str | os.PathLike, node: str) -> dict[str, Any]:
    """``node``'s ``ros__parameters`` in the ROS parameter file ``path`` (``{}`` if the file does not name it)."""
    import yaml

    document = yaml.safe_load(Path(path).read_text()) or {}
    return dict((document.get(node) or {}).get("ros__parameters") or {})


def _p(name, default, description, low=None, high=None, *, read_only=False, choices=()) -> Parameter:
    return Parameter(name, default, description, low, high, read_only, tuple(choices))


#: sensor_node (camera or touch): :class:`hebbian_ros.core.sensing.retina.Retina`.
SENSOR = Schema(
    _p(
        "modality",
        "camera",
        'Input: "camera" (sensor_msgs/Image) or "touch" (hebbian_ros/Touch).',
        read_only=True,
        choices=("camera", "touch"),
    ),
    _p("population", "sensor", "Name of the published population.", read_only=True),
    _p("rows", 8, "Receptive-field grid rows.", 1, 256, read_only=True),
    _p("cols", 8, "Receptive-field grid columns.", 1, 256, read_only=True),
    _p(
        "channels",
        3,
        "Colour channels per field: 1 (luminance) or 3 (RGB); touch always uses 1.",
        1,
        3,
        read_only=True,
    ),
    _p(
        "contrast",
        True,
        "ON/OFF centre-surround cells (2 per channel) instead of raw intensity: a uniform scene drives nothing.",
        read_only=True,
    ),
    _p("contrast_gain", 2.0, "Contrast gain: 1/gain drives a cell fully.", 1e-3, 1e3),
    _p(
        "weber_contrast",
        True,
        "Contrast relative to the view's mean luminance, (field - mean) / mean, instead of field - mean: the same "
        "for any lighting, so contrast_levels can code lightness without coding the light.",
        read_only=True,
    ),
    _p(
        "contrast_levels",
        4,
        "ON and OFF cells per channel and field, each taking the next 1/contrast_gain of the contrast range: a pale "
        "and a saturated (or a grey and a black) object drive different cells, not the same cells more or less, "
        "which a cosine cannot tell apart (black vs grey 0.983 at the sensor with 1). 4 with weber_contrast was "
        "better than 1 and 2 on every recognition source (bench/RESULTS.md 5o, 5p).",
        1,
        4,
        read_only=True,
    ),
    _p(
        "contrast_tuning",
        "recruitment",
        "How contrast_levels code a contrast's size: recruitment (a stronger contrast drives further cells as well) "
        "or tuned (each cell prefers one size, a triangle over its two neighbours', the last saturating: a stronger "
        "contrast moves to further cells, so a pale and a saturated object of one hue share less).",
        read_only=True,
        choices=("recruitment", "tuned"),
    ),
    _p(
        "colour_coding",
        "opponent",
        'Colour channels: "opponent" (luminance, red-green, blue-yellow) or "rgb".',
        read_only=True,
        choices=("opponent", "rgb"),
    ),
    _p("luminance_weight", 0.5, "Weight of luminance against the opponent axes.", 0.0, 1.0),
    _p(
        "edges",
        True,
        "Camera: oriented edge cells per field besides the colour fields (8 directions per luminance / opponent "
        "plane, complex-cell pooling): the sensor sees shape, not only colour blobs. Touch: never.",
        read_only=True,
    ),
    _p("edge_resolution", 8, "Working pixels per field side for the edge cells.", 2, 64, read_only=True),
    _p(
        "edge_semi_saturation",
        0.05,
        "Edge energy per working pixel below which a field's edge cells stay weak (divisive normalisation).",
        1e-4,
        10.0,
    ),
    _p(
        "edge_weight",
        1.0,
        "Total drive of the edge cells relative to the colour fields' (the edge population is normalised to it).",
        0.0,
        10.0,
    ),
    _p(
        "gaze_shift",
        0.05,
        "Camera: when memory stores a new memory the sensor looks around the stimulus and publishes its views at "
        "the fixation and from moved gazes, which memory keeps as copies (hebbian_ros/core/sensing/gaze.py): "
        "shifted in 8 directions by this fraction of the image's shorter side (0: no shifted views; gaze_shift, "
        "gaze_zoom, gaze_roll and gaze_turn all 0: no views).",
        0.0,
        0.5,
    ),
    _p(
        "gaze_zoom",
        0.08,
        "Camera: gaze views one closer and one farther by this relative distance (0: none).",
        0.0,
        1.0,
    ),
    _p("gaze_roll", 8.0, "Camera: gaze views rolled by this angle each way [deg] (0: none).", 0.0, 90.0),
    _p(
        "gaze_roll_steps",
        1,
        "Camera: rolled gaze views at 1, 2 .. this many times gaze_roll each way (an object lying on a table and "
        "turned about the vertical shows its outline rolled in the image).",
        1,
        8,
    ),
    _p(
        "gaze_turn",
        20.0,
        "Camera: gaze views as if the object had turned about the vertical by this angle each way [deg], seen "
        "from gaze_elevation: the ground plane's image rotated within its foreshortening (0: none). A robot walking "
        "round an object sees it turn (bench/RESULTS.md 5y).",
        0.0,
        90.0,
    ),
    _p(
        "gaze_elevation",
        45.0,
        "Camera: its angle above the horizontal as it looks at an object [deg], for gaze_turn's views.",
        5.0,
        90.0,
    ),
    _p("max_pressure", 5.0, "Touch pressure that drives a field fully [N].", 1e-6, 1e6),
    _p("max_rate", 100.0, "Rate of a fully driven field [Hz].", 1e-3, 1e4),
    _p("sustained_weight", 0.5, "Share of the rate following the current intensity.", 0.0, 10.0),
    _p("transient_weight", 1.0, "Share of the rate following change from the adapted baseline (novelty).", 0.0, 10.0),
    _p("tau_adapt", 0.5, "Baseline adaptation time constant [s].", 1e-3, 1e4),
    _p(
        "tau_recover",
        0.1,
        "Gain recovery time constant after inhibition [s]: habituation lasts while memory's feedback does, so the "
        "next stimulus is sensed at full gain, not through the last one's inhibition.",
        1e-3,
        1e4,
    ),
    _p("gain_floor", 0.02, "Lowest gain inhibition can reach.", 0.0, 0.99),
    _p(
        "selective_inhibition",
        True,
        "Inhibition without a per-unit gain slows each unit in proportion to its current rate (stimulus-specific "
        "habituation), so a new stimulus elsewhere still fires fast.",
    ),
    _p(
        "transport",
        "raw",
        'Camera input: "raw" (sensor_msgs/Image on camera/image_raw) or "compressed" (sensor_msgs/CompressedImage, '
        "JPEG or PNG, on camera/image_raw/compressed: image_transport's naming).",
        read_only=True,
        choices=("raw", "compressed"),
    ),
    _p(
        "max_pixels",
        16_000_000,
        "Largest width x height of a camera image; larger, or a compressed header claiming more, is dropped "
        "before it is decoded.",
        1,
        268_435_456,
        read_only=True,
    ),
    _p(
        "jpeg_field_pixels",
        4,
        "JPEG: decode scaled down in the DCT domain to at least this many pixels per receptive field side, "
        "and at least edge_resolution with edge cells (0: full size).",
        0,
        64,
        read_only=True,
    ),
)

#: feature_layer_node: :func:`hebbian_ros.core.plasticity.layer.layer_from_parameters`.
FEATURE_LAYER = Schema(
    _p("population", NODE_NAME, "Name of the published population (default: the node name).", read_only=True),
    _p("input_topic", "hebbian/sensor/rates", "Rates of the layer below.", read_only=True),
    _p(
        "rule",
        "sanger",
        "Learning rule: hebb, oja, sanger, bcm, competitive, stdp.",
        read_only=True,
        choices=("hebb", "oja", "sanger", "bcm", "competitive", "stdp"),
    ),
    _p(
        "n_in",
        3072,
        "Units in the layer below (the sensor: 8x8 fields x (3 colour channels x ON/OFF x 4 levels + 24 edge) cells).",
        1,
        10_000_000,
        read_only=True,
    ),
    _p("n_out", 256, "Units in this layer (with on_off: 2 x n_out published rates).", 1, 10_000_000, read_only=True),
    _p("learning_rate", 0.00002, "Learning rate at level 1 (eta; a_plus for stdp).", 0.0, 1.0, read_only=True),
    _p("k", 4, "Winners of the competitive rule (k-WTA).", 1, 1_000_000, read_only=True),
    _p("soft", False, "Soft (softmax) instead of hard k-WTA.", read_only=True),
    _p("temperature", 0.1, "Soft-WTA temperature.", 1e-6, 1e3, read_only=True),
    _p("tau_theta", 20.0, "BCM sliding-threshold time constant [updates].", 1.0, 1e9, read_only=True),
    _p("seed", 0, "Seed of the initial weights.", 0, 2**31 - 1, read_only=True),
    _p(
        "bounds",
        "default",
        "Weight bounds: default, none, clip, l2 or l1.",
        read_only=True,
        choices=("default", "none", "clip", "l2", "l1"),
    ),
    _p(
        "input_norm",
        "l2",
        "Input normalisation: l2, scale, divisive or centred (population mean subtracted, then l2).",
        read_only=True,
        choices=("l2", "scale", "divisive", "centred"),
    ),
    _p(
        "activation",
        "auto",
        "Output: relu (rectified rates), on_off (linear units, each published as an ON and an OFF rate: 2 x n_out "
        "rates; oja, sanger and hebb only) or auto (on_off for oja and sanger, whose components are signed; relu "
        "otherwise).",
        read_only=True,
        choices=("auto", "relu", "on_off"),
    ),
    _p("semi_saturation", 0.0, "Semi-saturation of divisive normalisation [Hz].", 0.0, 1e6, read_only=True),
    _p(
        "input_exponent",
        1.0,
        "Compressive input transfer: the input pattern's direction becomes (r / max_rate)^input_exponent, at the "
        "input's own norm, before normalisation (1: as it is). Below 1 the strongest inputs no longer set the "
        "pattern alone; a change of overall gain still only scales it, and weak input stays weak.",
        0.05,
        1.0,
        read_only=True,
    ),
    _p("max_rate", 100.0, "Highest rate in and out [Hz].", 1e-3, 1e4, read_only=True),
    _p(
        "gain_tau",
        0.0,
        "Homeostatic input gain: time constant [learning samples] of each input's running spread and flicker; "
        "spreads are equalised (strong colour cells no longer outweigh edge cells, inputs that never vary are "
        "off) and inputs steady within a look weigh more than those that flicker. 0: no gain.",
        0.0,
        1e9,
        read_only=True,
    ),
    _p(
        "decorrelation_tau",
        0.0,
        "Lateral decorrelation (signed units: oja, sanger, hebb): time constant [learning samples] of the units' "
        "running co-activity, whose anti-Hebbian lateral synapses whiten the units so that what differs between "
        "stimuli is not drowned by what all share; it fades in over as many samples. 0: none.",
        0.0,
        1e12,
        read_only=True,
    ),
    _p(
        "decorrelation_floor",
        0.1,
        "Lateral decorrelation's noise floor, relative to the strongest direction: the weakest directions are "
        "raised at most 1/floor times as much as the strongest.",
        1e-6,
        1.0,
        read_only=True,
    ),
    _p(
        "input_rows",
        0,
        "Fields per column of the input grid (0: the input has no grid), for multiscale initial_weights and for "
        "pooling wiring: with field_pool > 1 or cell_groups, each unit connects to one block of field_pool x "
        "field_pool fields and one group of cells; n_out must then be (input_rows/field_pool) x "
        "(input_cols/field_pool) x groups.",
        0,
        65_536,
        read_only=True,
    ),
    _p("input_cols", 0, "Fields per row of the input grid (see input_rows).", 0, 65_536, read_only=True),
    _p(
        "field_pool",
        1,
        "Pooling wiring: fields per side of a unit's block (divides the grid).",
        1,
        65_536,
        read_only=True,
    ),
    _p(
        "cell_groups",
        "",
        "Pooling wiring: the group id of every cell of an input field, integers separated by spaces (a unit pools "
        "one group); empty: each cell its own group.",
        read_only=True,
    ),
    _p(
        "initial_weights",
        "random",
        "Weights before learning: random (unit-norm rows); multiscale (oja, sanger; needs input_rows and "
        "input_cols: random rows drawn at every scale of the input grid, from one field to the whole grid, so "
        "neighbouring fields' weights are correlated and a shift by part of a field moves a unit's drive little); "
        "or push_pull (unit i = ON rate i minus OFF rate i of an on_off layer below, n_in = 2 x n_out: a copy of "
        "that layer's signed units, so nothing is lost to a random projection before this layer has learned).",
        read_only=True,
        choices=("random", "multiscale", "push_pull"),
    ),
    _p(
        "weights_image_period",
        1.0,
        "Period of the receptive-field image and the weight-row norms [s, node clock]; 0 disables both.",
        0.0,
        3600.0,
        read_only=True,
    ),
)

#: memory_node: :func:`hebbian_ros.core.memory.pattern_memory.memory_params`.
MEMORY = Schema(
    _p("input_topic", "hebbian/layer2/rates", "Rates of the top feature layer.", read_only=True),
    _p("dim", 256, "Rates of the top layer (pattern size).", 1, 1_000_000, read_only=True),
    _p("capacity", 256, "Patterns that fit before the least used is recycled.", 1, 1_000_000, read_only=True),
    _p(
        "familiarity_threshold",
        0.95,
        "Cosine similarity at which a pattern is familiar until adaptive_after memories are stored (with "
        "young_threshold own_views: until 10 own views are seen), or always with threshold_quantile 0.",
        0.01,
        1.0,
    ),
    _p("consolidation_rate", 0.2, "Step of a recognised memory towards the pattern while learning.", 0.0, 1.0),
    _p(
        "min_activity",
        0.25,
        "Mean rate below which nothing is recognised or stored [Hz] (an empty table: 0.1-0.2).",
        0.0,
        1e4,
    ),
    _p(
        "drift_similarity",
        0.7,
        "Within a learning episode, a novel view this similar to the episode's memory is that stimulus drifting: "
        "consolidated into it, not stored anew (>= familiarity_threshold: off).",
        0.01,
        1.0,
    ),
    _p(
        "recognition_hold",
        0.0,
        "A recognition is held while no other memory is recognised, no onset intervenes (onset_similarity) and its "
        "distance 1 - similarity stays within this many times the threshold's 1 - threshold: the feedback it sends "
        "distorts the next frames, which must not undo it (0: off). While held, the reported similarity is the "
        "best since it began.",
        0.0,
        100.0,
    ),
    _p(
        "second_look",
        False,
        "A stimulus memory does not know at its onset gets a second look: memory asks the sensor for its gaze views "
        "of it (shifted, closer and farther, rolled) and a view that recognises a memory makes the stimulus familiar, "
        "as a saccade re-fixates what the first glance caught off-centre. Nothing is stored from them.",
    ),
    _p(
        "episode_views",
        False,
        "A learning episode keeps each side its stimulus showed as copies (a frame none of the memory's entries "
        "holds within copy_distinct_below): the look's frames before memory stored it and, while the episode lasts, "
        "recognised or held frames instead of moving the prototype, as seen live and as first seen (full gain: the "
        "sensor sends them when memory asks). Without it an object turning in view kept only the frame memory stored, "
        "and consolidation dragged the prototype to the last side.",
    ),
    _p(
        "steady_frames",
        0,
        "A novel pattern is stored only once its look has lasted more than this many frames without an onset "
        "(onset_similarity): a look's first frames mix the new stimulus with the sensor's adaptation to the scene "
        "before, an after-image no later look shows again. Recognition is unaffected. 0: from a look's first frame.",
        0,
        1000,
    ),
    _p(
        "onset_similarity",
        0.7,
        "A frame less similar than this to the last one is an onset, a new stimulus: it ends a held recognition "
        "(recognition_hold), and a held memory stays at least this similar to the frame. Frames of one moving look "
        "changed by less (1 % quantile: 0.78 on photos, 0.82 on digits); a look from one coloured shape straight to "
        "the next by more (0.61 at most), from one generated object to the next mostly (median 0.63).",
        0.01,
        1.0,
    ),
    _p(
        "threshold_quantile",
        0.9,
        "Adaptive familiarity threshold: this quantile of the stored memories' similarities to their nearest "
        "memory of another episode, so at most about 1 - quantile of never-seen objects look familiar at first "
        "sight (0.9 called 0-3 % familiar among 300 learned photos, generated objects and digits); before "
        "adaptive_after memories: see young_threshold. 0: the fixed familiarity_threshold.",
        0.0,
        0.9999,
    ),
    _p(
        "young_threshold",
        "fixed",
        "A young memory's threshold (fewer than adaptive_after memories): fixed (familiarity_threshold), floor "
        "(familiarity_threshold, which then stays the least the adaptive threshold may be: a quantile of the "
        "first memories' few samples fell below it and let a same-coloured thing of another shape pass as known) "
        "or own_views (once 10 are seen, the 1 - threshold_quantile quantile of how similar learned stimuli's own "
        "later views were to their memory while learned: follows the representation, where one fixed cosine "
        "let a young memory call different but alike things familiar and never learn them; stricter, about that "
        "share of a known stimulus's views fall below it).",
        read_only=True,
        choices=("fixed", "floor", "own_views"),
    ),
    _p(
        "local_vigilance",
        0.0,
        "How far each memory's own threshold follows its nearest memory of another episode: its distance "
        "1 - cosine to a pattern is scaled by ((1 - median nearest) / (1 - its nearest)) ** this, so one among "
        "look-alikes asks more and an isolated one accepts a farther view; a perfect match stays one (0: one "
        "threshold for all).",
        0.0,
        1.0,
    ),
    _p(
        "adaptive_after",
        10,
        "Memories needed before the adaptive threshold replaces the young one (young_threshold).",
        2,
        1_000_000,
    ),
    _p(
        "inhibition_strength",
        0.65,
        "Strength of the feedback sent per familiar sample (scaled by similarity); with the sensor's tau_recover "
        "it sets how deep habituation goes (at 30 frames/s and 0.1 s: a driven unit's gain settles near 0.13).",
        0.0,
        1.0,
    ),
    _p("inhibition_target", "sensor", "Population to inhibit (empty: all)."),
    _p("max_rate", 100.0, "Rate of a memory unit at similarity 1 [Hz].", 1e-3, 1e4),
    _p(
        "structural",
        False,
        "Structural plasticity: duplicate copies grown at the a-ha, pruning, synapse budget.",
        read_only=True,
    ),
    _p("copies", 8, "Copies a memory may grow besides its prototype.", 1, 10_000, read_only=True),
    _p(
        "synapse_budget",
        0,
        "Bound on stored synapses, (prototypes + copies) x dim; 0: every unit with all its copies.",
        0,
        2**62,
        read_only=True,
    ),
    _p(
        "path_similarity",
        0.7,
        "After an a-ha, a novel sample this similar to the confirmed memory becomes a copy of it.",
        0.0,
        1.0,
        read_only=True,
    ),
    _p(
        "copy_distinct_below",
        0.995,
        "Samples more similar than this to an entry are not copied.",
        0.01,
        1.0,
        read_only=True,
    ),
    _p(
        "copy_noise",
        0.0,
        "Relative noise of perturbed copies filling up the copies at the a-ha; 0: samples only.",
        0.0,
        1.0,
        read_only=True,
    ),
    _p("copy_seed", 0, "Seed of the perturbed copies.", 0, 2**31 - 1, read_only=True),
    _p(
        "unused_lifetime",
        5000,
        "Presentations without a win after which a copy is pruned.",
        1,
        2**62,
        read_only=True,
    ),
    _p("episode_samples", 32, "Learning-mode samples kept as candidate copies.", 1, 100_000, read_only=True),
    _p(
        "max_capacity",
        0,
        "Neurogenesis: most units memory may grow to on GROWTH grants; <= capacity: none.",
        0,
        1_000_000,
        read_only=True,
    ),
    _p(
        "growth_wait",
        10,
        "Novel samples a full memory waits for a grant before recycling.",
        0,
        100_000,
        read_only=True,
    ),
    _p("population", "memory", "Name in hebbian/structure events.", read_only=True),
    _p(
        "match_whitening",
        False,
        "Match through a whitening of the stored entries' covariance, applied to probe and entries alike "
        "(hebbian_ros/core/memory/match_whitening.py): differences between objects count, nothing stored drifts.",
        read_only=True,
    ),
    _p(
        "match_whitening_prior",
        200.0,
        "Shrinkage of match_whitening towards a plain cosine, in stored entries (prior / entries of the trace).",
        0.0,
        1e9,
        read_only=True,
    ),
    _p(
        "match_whitening_scatter",
        "total",
        "What match_whitening whitens away: total (the stored entries' covariance) or views (how each memory's "
        "own entries vary: what changes between views of one object counts less).",
        read_only=True,
        choices=("total", "views"),
    ),
)

#: neuromodulator_node: :class:`hebbian_ros.core.neuromodulation.neuromodulator.NeuromodulatorParams`.
NEUROMODULATOR = Schema(
    _p("enabled", True, "When false, novelty never switches learning on (manual switching still works)."),
    _p("threshold", 0.15, "Accumulated unpropagated activity that starts learning [Hz*s].", 1e-6, 1e9),
    _p("tau_decay", 0.5, "Decay time constant of the accumulation [s].", 1e-3, 1e6),
    _p("confirm_samples", 3, "Consecutive recognitions of a new memory that make an a-ha.", 1, 10_000),
    _p("replays", 5, "Consolidation repeats after an a-ha.", 0, 10_000),
    _p("replay_interval", 0.1, "Time between replays [s].", 1e-3, 60.0),
    _p("learning_level", 1.0, "Plasticity level while learning.", 0.01, 1.0),
    _p("replay_level", 0.5, "Plasticity level of a replay.", 0.01, 1.0),
    _p("max_learning_time", 5.0, "Longest learning episode without an a-ha [s].", 0.01, 3600.0),
    _p("growth_units", 0, "Units granted to a full memory per request (neurogenesis); 0: none.", 0, 1_000_000),
    _p("growth_interval", 1.0, "Shortest time between two growth grants [s].", 0.0, 86400.0),
    _p("tick_rate", 50.0, "Rate of the clock that paces replays [Hz].", 1.0, 1000.0),
)
