"""The sensor's per-frame composition, once: image or taxels -> receptive fields -> (colour opponent) -> ON/OFF -> rates.

:class:`Retina` owns the sensor's state (habituation baseline and gain, the last rates and drive, the
stimulus kept for replay) and does everything the sensor does with it: :meth:`Retina.see` a camera
image, :meth:`Retina.touch` a taxel grid, :meth:`Retina.inhibit` on feedback from memory (selectively:
in proportion to each unit's current rate), :meth:`Retina.keep_for_replay` on an a-ha,
:meth:`Retina.replay` the kept stimulus and :meth:`Retina.look_around` a newly stored one (its views from
moved gazes: :mod:`hebbian_ros.core.sensing.gaze`). ``sensor_node`` decodes messages, calls it and publishes;
:class:`hebbian_ros.core.loop.Loop` and the benchmarks call the same object, so the three cannot differ.

Per frame the chain runs unchecked (``validate=False`` below): a decoded image and clipped taxels are
valid by construction, each stage's output is the next one's valid input, and the parameters were
checked when :class:`RetinaParams` was built. ``see(..., validate=True)`` checks a caller's image first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import SENSOR
from hebbian_ros.core.sensing.edges import edge_units, oriented_edges
from hebbian_ros.core.sensing.gaze import GazeParams, gaze_views
from hebbian_ros.core.sensing.habituation import (
    HabituationParams,
    HabituationState,
    inhibit,
    inhibition_factor,
    initial_state,
    sense,
)
from hebbian_ros.core.sensing.receptive_fields import colour_opponent, on_off_contrast, pool_grid

_HABITUATION_FIELDS = tuple(HabituationParams.__dataclass_fields__)
_GAZE_NAMES = tuple(f"gaze_{name}" for name in GazeParams.__dataclass_fields__)
#: mean luminance below which weber_contrast divides by this instead (a dark view's noise is not amplified)
WEBER_FLOOR = 0.05


def check_pressure(pressure: np.ndarray) -> np.ndarray:
    """``pressure`` as a float32 (rows, cols) grid of finite pressures >= 0 [N]; ``ValueError`` if it is not."""
    pressure = np.asarray(pressure, dtype=np.float32)
    if pressure.ndim != 2 or pressure.size == 0:
        raise ValueError(f"pressure: expected a non-empty (rows, cols) grid, got shape {pressure.shape}")
    if not np.all(np.isfinite(pressure)) or pressure.min() < 0:
        raise ValueError("pressure: values must be finite and >= 0")
    return pressure


@dataclass(frozen=True)
class RetinaParams:
    """Parameters of :class:`Retina` (descriptions and ranges: :data:`hebbian_ros.core.parameters.SENSOR`).

    ``channels`` is the fields' colour depth (1 or 3; touch: 1); ``colour_coding`` applies to 3 channels.
    """

    rows: int = SENSOR.default("rows")
    cols: int = SENSOR.default("cols")
    channels: int = SENSOR.default("channels")
    colour_coding: str = SENSOR.default("colour_coding")
    contrast: bool = SENSOR.default("contrast")
    contrast_gain: float = SENSOR.default("contrast_gain")
    weber_contrast: bool = SENSOR.default("weber_contrast")
    contrast_levels: int = SENSOR.default("contrast_levels")
    contrast_tuning: str = SENSOR.default("contrast_tuning")
    luminance_weight: float = SENSOR.default("luminance_weight")
    edges: bool = SENSOR.default("edges")
    edge_resolution: int = SENSOR.default("edge_resolution")
    edge_semi_saturation: float = SENSOR.default("edge_semi_saturation")
    edge_weight: float = SENSOR.default("edge_weight")
    max_pressure: float = SENSOR.default("max_pressure")
    selective_inhibition: bool = SENSOR.default("selective_inhibition")
    habituation: HabituationParams = field(default_factory=HabituationParams)
    gaze: GazeParams = field(default_factory=GazeParams)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", check.as_int("rows", self.rows, minimum=1))
        object.__setattr__(self, "cols", check.as_int("cols", self.cols, minimum=1))
        if check.as_int("channels", self.channels) not in (1, 3):
            raise ValueError(f"channels: must be 1 or 3, got {self.channels}")
        object.__setattr__(self, "contrast_levels", check.as_int("contrast_levels", self.contrast_levels))
        for name in (
            "colour_coding",
            "contrast_gain",
            "contrast_levels",
            "contrast_tuning",
            "luminance_weight",
            "max_pressure",
            "edge_resolution",
        ):
            SENSOR[name].check(getattr(self, name))
        SENSOR["edge_semi_saturation"].check(self.edge_semi_saturation)
        SENSOR["edge_weight"].check(self.edge_weight)
        for name in ("contrast", "weber_contrast", "selective_inhibition", "edges"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name}: expected a bool, got {getattr(self, name)!r}")
        check.check_instance("habituation", self.habituation, HabituationParams)
        check.check_instance("gaze", self.gaze, GazeParams)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any] | None = None) -> RetinaParams:
        """From sensor_node's flat parameters (any subset; the rest are the schema's defaults)."""
        p = SENSOR.resolve(parameters)
        return cls(
            rows=p["rows"],
            cols=p["cols"],
            channels=1 if p["modality"] == "touch" else p["channels"],
            colour_coding=p["colour_coding"],
            contrast=p["contrast"],
            contrast_gain=p["contrast_gain"],
            weber_contrast=p["weber_contrast"],
            contrast_levels=p["contrast_levels"],
            contrast_tuning=p["contrast_tuning"],
            luminance_weight=p["luminance_weight"],
            edges=p["edges"] and p["modality"] == "camera",
            edge_resolution=p["edge_resolution"],
            edge_semi_saturation=p["edge_semi_saturation"],
            edge_weight=p["edge_weight"],
            max_pressure=p["max_pressure"],
            selective_inhibition=p["selective_inhibition"],
            habituation=HabituationParams(**{name: p[name] for name in _HABITUATION_FIELDS}),
            gaze=GazeParams(
                p["gaze_shift"],
                p["gaze_zoom"],
                p["gaze_roll"],
                p["gaze_roll_steps"],
                p["gaze_turn"],
                p["gaze_elevation"],
            )
            if p["modality"] == "camera"
            else GazeParams(0.0, 0.0, 0.0, turn=0.0),
        )

    def updated(self, changes: Mapping[str, Any]) -> RetinaParams:
        """A copy with sensor parameters ``changes`` (flat names; others ignored), validated."""
        habituation = {k: v for k, v in changes.items() if k in _HABITUATION_FIELDS}
        gaze = {k[len("gaze_") :]: v for k, v in changes.items() if k in _GAZE_NAMES}
        own = {k: v for k, v in changes.items() if k in self.__dataclass_fields__ and k not in ("habituation", "gaze")}
        if habituation:
            own["habituation"] = HabituationParams(**{**self.habituation.__dict__, **habituation})
        if gaze:
            own["gaze"] = GazeParams(**{**self.gaze.__dict__, **gaze})
        return RetinaParams(**{**self.__dict__, **own})

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of the population: rows, cols, units per field (channels, x 2 x contrast_levels with ON/OFF contrast,
        + edge cells)."""
        return (
            self.rows,
            self.cols,
            self.channels * (2 * self.contrast_levels if self.contrast else 1) + self.edge_units,
        )

    @property
    def edge_units(self) -> int:
        """Edge cells per field (0 without edges)."""
        return edge_units(self.channels) if self.edges else 0


#: Share of the strongest rate above which a unit counts as driven by the stimulus (fully inhibited).
DRIVEN_SHARE = 0.5


def selective_gain(rates: np.ndarray) -> np.ndarray:
    """Per-unit share of an inhibition for stimulus-specific habituation, ``(units,)`` in [0, 1].

    Units the current stimulus drives (at least ``DRIVEN_SHARE`` of the strongest rate) take all of it,
    weaker ones in proportion, silent ones none: a new stimulus on other units still fires fast, and
    the habituated stimulus keeps its pattern (its driven units slow down together, so what memory
    sees stays recognisable while it fades).
    """
    top = float(rates.max())
    if top <= 0:
        return np.zeros(rates.size, np.float32)
    return np.minimum(rates.ravel() / np.float32(DRIVEN_SHARE * top), np.float32(1.0))


#: feedback messages kept to take effect on later frames when several arrive between two (about 0.27 s at 30 Hz)
FEEDBACK_BACKLOG = 8
#: frames whose drive the retina keeps to sense them again as first seen (:meth:`Retina.as_first_seen`): memory asks for
#: up to 64 of a look's frames (``episode_views``), and a node's sensor may have seen a few more by the time it asks
RECENT_FRAMES = 72


class Retina:
    """Receptive fields with habituation, inhibition and replay: the sensor's state and per-frame chain."""

    def __init__(self, params: RetinaParams | None = None) -> None:
        params = RetinaParams() if params is None else params
        check.check_instance("params", params, RetinaParams)
        self.params = params
        self.reset()
        self.kept: np.ndarray | None = None  #: drive kept for replay at the last a-ha

    @property
    def params(self) -> RetinaParams:
        """The parameters; a new value must keep :attr:`RetinaParams.shape` (the state is kept)."""
        return self._params

    @params.setter
    def params(self, params: RetinaParams) -> None:
        if hasattr(self, "_params") and params.shape != self._params.shape:
            raise ValueError(f"params: shape {params.shape} differs from the retina's {self._params.shape}")
        self._params = params
        self._opponent = params.channels == 3 and params.colour_coding == "opponent"

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of the population's rates."""
        return self._params.shape

    @property
    def max_rate(self) -> float:
        """Rate of a fully driven unit [Hz]."""
        return self._params.habituation.max_rate

    def reset(self) -> None:
        """Forget habituation and inhibition (a fresh look); the stimulus kept for replay stays."""
        self.state: HabituationState = initial_state(self.shape)
        self.rates = np.zeros(self.shape, np.float32)  #: rates of the last frame [Hz]
        self.drive: np.ndarray | None = None  #: receptive-field drive (0..1) of the last frame
        self.image: np.ndarray | None = None  #: the last camera image (by reference), for gaze views
        self._fed_back = False  # a feedback message was applied since the last frame
        self._backlog: deque = deque(maxlen=FEEDBACK_BACKLOG)  # further ones, one per frame from the next on
        self._recent: deque = deque(maxlen=RECENT_FRAMES)  # the last frames' (tag, drive), for :meth:`as_first_seen`

    def see(self, image: np.ndarray, dt: float, *, validate: bool = True, tag: object = None) -> np.ndarray:
        """Rates [Hz] for one camera frame (H, W) or (H, W, 1 or 3) in [0, 1], ``dt`` seconds after the last.

        ``validate=False`` is for images valid by construction (float32 from ``decode_image``). ``tag`` names the
        frame (a node's stamp) for :meth:`tagged_as_first_seen`.
        """
        if validate:
            dt = check.non_negative("dt", dt)
        rates = self._sense(*self._fields(image, validate), dt, tag)
        self.image = np.asarray(image, np.float32)  # no copy of a decoded frame
        return rates

    def _fields(self, image: np.ndarray, validate: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Receptive-field intensities and edge cells (``None`` without edges) of a camera image."""
        p = self._params
        edges = None
        if p.edges:
            edges = oriented_edges(
                image, p.rows, p.cols, p.channels, p.edge_resolution, p.edge_semi_saturation, validate=validate
            )
        return pool_grid(image, p.rows, p.cols, p.channels, validate=validate), edges

    def touch(self, pressure: np.ndarray, dt: float, *, validate: bool = True, tag: object = None) -> np.ndarray:
        """Rates [Hz] for one (rows, cols) taxel grid of pressures [N], ``dt`` seconds after the last.

        ``validate=False`` is for a grid that passed :func:`check_pressure`; ``tag`` as for :meth:`see`.
        """
        if validate:
            pressure, dt = check_pressure(pressure), check.non_negative("dt", dt)
        p = self._params
        taxels = np.clip(pressure[:, :, None] / p.max_pressure, 0.0, 1.0)
        self.image = None
        return self._sense(pool_grid(taxels, p.rows, p.cols, 1, validate=False), None, dt, tag)

    def _sense(self, fields: np.ndarray, edges: np.ndarray | None, dt: float, tag: object) -> np.ndarray:
        drive = self._drive(fields, edges)
        self.rates, self.state = sense(drive, dt, self.state, self._params.habituation, validate=False)
        self._fed_back = False
        if self._backlog:
            self._feed_back(self._backlog.popleft())
        self.drive = drive
        self._recent.append((tag, drive))
        return self.rates

    def _drive(self, fields: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        """Drive (0..1) of each unit: colour coding, ON/OFF contrast, edge cells."""
        p = self._params
        # Weber contrast: against the view's mean luminance (before colour coding), floored at WEBER_FLOOR
        reference = max(float(fields.mean()), WEBER_FLOOR) if p.contrast and p.weber_contrast else None
        if self._opponent:
            fields = colour_opponent(fields, p.luminance_weight, validate=False)
        if p.contrast:
            drive = on_off_contrast(
                fields,
                p.contrast_gain,
                reference=reference,
                levels=p.contrast_levels,
                tuned=p.contrast_tuning == "tuned",
                validate=False,
            )
        else:
            drive = fields
        if edges is not None:
            # The edge population is divisively normalised to the colour fields' total activity (times
            # edge_weight): a scene without contrast stays silent.
            edge_norm = float(np.sqrt(np.einsum("ijk,ijk->", edges, edges)))
            colour_norm = float(np.sqrt(np.einsum("ijk,ijk->", drive, drive)))
            scale = p.edge_weight * colour_norm / edge_norm if edge_norm > 0 else 0.0
            drive = np.concatenate([drive, np.minimum(edges * np.float32(scale), np.float32(1.0))], axis=2)
        return drive

    def inhibit(self, strength: float, unit_gain: np.ndarray | None = None) -> None:
        """One inhibitory feedback message: gain *= 1 - strength * unit_gain, floored.

        Without ``unit_gain`` (``None`` or empty) and with ``selective_inhibition``, the units the current
        stimulus drives are inhibited (:func:`selective_gain`: stimulus-specific habituation); without
        either, uniformly. Feedback is about one frame each, so at most one message takes effect per frame:
        messages that arrive together (a link that repairs losses and delivers late, in bursts) take effect
        one per frame over the following frames, up to ``FEEDBACK_BACKLOG`` (the oldest are dropped). Habituation
        then goes as deep as the feedback's rate, not its batching: compounded at once, three messages took a
        habituated stimulus's driven units to the floor and its pattern became one memory did not know
        (lossy-link test, CI 2026-12-05); one per burst instead left it shallow.
        """
        if (unit_gain is None or np.size(unit_gain) == 0) and self._params.selective_inhibition:
            unit_gain = selective_gain(self.rates)
        factor = inhibition_factor(strength, unit_gain, self.state.gain.shape)
        if self._fed_back:
            self._backlog.append(factor)
        else:
            self._feed_back(factor)

    def _feed_back(self, factor: np.ndarray) -> None:
        self.state = inhibit(self.state, 1.0, factor, self._params.habituation)
        self._fed_back = True

    def keep_for_replay(self) -> bool:
        """Keep the current stimulus (an a-ha confirmed it); ``False`` if nothing was seen yet."""
        if self.drive is None:
            return False
        self.kept = self.drive.copy()
        return True

    def replay(self) -> np.ndarray | None:
        """Rates [Hz] of the kept stimulus as first seen (full gain, nothing adapted); ``None`` if none kept.

        The retina's own state does not change.
        """
        if self.kept is None:
            return None
        rates, _ = sense(self.kept, 0.0, initial_state(self.shape), self._params.habituation, validate=False)
        return rates

    def as_first_seen(self, count: int, skip: int = 0) -> list[np.ndarray]:
        """Rates [Hz] of recent frames, each as first seen (full gain, nothing adapted, as :meth:`replay` senses):
        the ``count`` frames before the last ``skip`` ones, oldest first; fewer if fewer were kept (``RECENT_FRAMES``).

        What memory keeps of a look (``episode_views``) is the stimulus, not the sensor's adapted and inhibited state
        at that frame. The retina's own state does not change.
        """
        count, skip = check.as_int("count", count, minimum=0), check.as_int("skip", skip, minimum=0)
        return [rates for _, rates in self._sensed_again(count, len(self._recent) - skip)]

    def tagged_as_first_seen(
        self, tag: object, count: int, *, before: bool, key: Callable[[object], object] | None = None
    ) -> list[tuple[object, np.ndarray]]:
        """(tag, rates) of the ``count`` frames before the newest one tagged ``tag`` (``before``) or ending with it,
        each as first seen (:meth:`as_first_seen`); empty when no kept frame has that tag.

        A node's answer to memory arrives frames after the frame it judged: the tag finds that frame. With ``key``,
        a frame is found by ``key(its tag) == tag`` (a node tags frames with their header and finds them by stamp).
        """
        count = check.as_int("count", count, minimum=0)
        found = key or (lambda kept: kept)
        index = next((i for i in range(len(self._recent) - 1, -1, -1) if found(self._recent[i][0]) == tag), None)
        if index is None:
            return []
        return self._sensed_again(count, index if before else index + 1)

    def _sensed_again(self, count: int, end: int) -> list[tuple[object, np.ndarray]]:
        """(tag, rates as first seen) of the ``count`` kept frames before index ``end``, oldest first."""
        state = initial_state(self.shape)
        habituation = self._params.habituation
        return [
            (tag, sense(drive, 0.0, state, habituation, validate=False)[0])
            for tag, drive in list(self._recent)[max(end - count, 0) : max(end, 0)]
        ]

    def look_around(self) -> list[np.ndarray]:
        """Rates [Hz] of the last camera image at the fixation and from moved gazes (:mod:`.gaze`).

        Each view is sensed as :meth:`replay` senses the kept stimulus: at full gain, nothing adapted, the
        retina's own state unchanged. The views are resampled on the edge cells' working grid
        (``edge_resolution`` pixels per field side), so their cost does not depend on the camera. Empty for
        touch, before the first image and with every gaze parameter 0.
        """
        p = self._params
        if self.image is None or not p.gaze.views:
            return []
        side = p.edge_resolution if p.edges else 1
        work = pool_grid(self.image, p.rows * side, p.cols * side, p.channels, validate=False)
        state = initial_state(self.shape)
        return [
            sense(self._drive(*self._fields(view)), 0.0, state, p.habituation, validate=False)[0]
            for view in gaze_views(work, p.gaze)
        ]
