"""Conversions between hebbian_ros messages and numpy arrays, with validation of every field."""

from __future__ import annotations

import array
import math

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from hebbian_ros.msg import FiringRates, LearningMode

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def rates_from_msg(msg: FiringRates, expected_size: int | None = None) -> np.ndarray:
    """Rates of ``msg`` as a float32 vector; ``ValueError`` names what is wrong with the message.

    The vector is a view of the message's ``array.array('f')`` (no copy, no per-element Python work);
    a valid message costs two reductions (min, max), a bad one is then examined in detail.
    """
    rates = np.asarray(msg.rates, dtype=np.float32)
    if rates.ndim != 1:
        rates = rates.ravel()
    if rates.size == 0:
        raise ValueError(f"rates of {msg.population!r}: empty")
    shape = msg.shape
    if len(shape) and math.prod(shape) != rates.size:
        raise ValueError(f"rates of {msg.population!r}: shape {list(shape)} does not hold {rates.size} values")
    if expected_size is not None and rates.size != expected_size:
        raise ValueError(f"rates of {msg.population!r}: expected {expected_size} values, got {rates.size}")
    if not (rates.min() >= 0.0 and rates.max() <= _FLOAT32_MAX):  # NaN fails both, inf the second
        if not np.all(np.isfinite(rates)):
            raise ValueError(f"rates of {msg.population!r}: contains NaN or inf")
        raise ValueError(f"rates of {msg.population!r}: negative rate {float(rates.min())}")
    if not (math.isfinite(msg.max_rate) and msg.max_rate > 0):
        raise ValueError(f"rates of {msg.population!r}: max_rate must be finite and > 0, got {msg.max_rate}")
    return rates


def float32_array(values: np.ndarray) -> array.array:
    """``values`` as the ``array.array('f')`` a float32[] message field stores, by one memory copy.

    Assigning a numpy array to such a field makes rosidl build the array.array element by element
    (≈ 0.1 ms for 384 values on the bench machine); this is ≈ 1 µs.
    """
    out = array.array("f")
    out.frombytes(np.ascontiguousarray(values, dtype=np.float32).tobytes())
    return out


def rates_to_msg(
    header: Header,
    population: str,
    shape: tuple[int, ...],
    rates: np.ndarray,
    max_rate: float,
    replay: bool = False,
    gaze_view: int = 0,
    second_look: bool = False,
) -> FiringRates:
    """Build a FiringRates message (rates flattened row-major); ``gaze_view`` > 0: one of the sensor's gaze views
    (``second_look``: of a stimulus memory did not know, to be matched, not stored)."""
    return FiringRates(
        header=header,
        population=population,
        shape=array.array("I", [int(s) for s in shape]),
        rates=float32_array(rates),
        max_rate=float(max_rate),
        replay=bool(replay),
        gaze_view=int(gaze_view),
        second_look=bool(second_look),
    )


def stamp_seconds(stamp: Time) -> float:
    """A header stamp in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


class StampClock:
    """Turns successive header stamps into time steps, refusing absurd stamps.

    :param max_step: a gap longer than this [s] counts as this long (the sensor was idle).
    :param max_backwards: stamps may go back by at most this much [s] (reordered samples).
    """

    def __init__(self, max_step: float = 0.5, max_backwards: float = 1.0) -> None:
        self.max_step = max_step
        self.max_backwards = max_backwards
        self.last: float | None = None

    def step(self, stamp: Time, now: float | None) -> float:
        """Seconds since the previous accepted stamp (0 for the first, clamped to ``max_step``).

        :param now: the node clock [s], or None when it is not running yet (sim time before /clock).
        :raises ValueError: for a zero stamp, a stamp more than an hour from ``now``, or one that goes
            back by more than ``max_backwards``.
        """
        if stamp.nanosec >= 1_000_000_000:
            raise ValueError(f"header stamp: nanosec {stamp.nanosec} >= 1e9")
        t = stamp_seconds(stamp)
        if t == 0.0:
            raise ValueError("header stamp: zero (unset) stamp")
        if now is not None and abs(t - now) > 3600.0:
            raise ValueError(f"header stamp: {t:.3f} s is more than an hour from the clock ({now:.3f} s)")
        if self.last is not None and t < self.last - self.max_backwards:
            raise ValueError(f"header stamp: goes back {self.last - t:.3f} s")
        dt = 0.0 if self.last is None else min(max(t - self.last, 0.0), self.max_step)
        self.last = max(t, self.last if self.last is not None else t)
        return dt


def image_to_msg(pixels: np.ndarray, header: Header, encoding: str = "rgb8") -> Image:
    """A sensor_msgs/Image of an (H, W, 3) uint8 ``rgb8`` or (H, W) ``mono8`` array."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    msg = Image(header=header, height=pixels.shape[0], width=pixels.shape[1], encoding=encoding, is_bigendian=0)
    msg.step = pixels.shape[1] * (pixels.shape[2] if pixels.ndim == 3 else 1)
    msg.data = pixels.tobytes()
    return msg


def plasticity_level(msg: LearningMode) -> float:
    """The gate level a learning node applies after a learning-mode broadcast (0 when inactive).

    :raises ValueError: for a level outside [0, 1] or not finite.
    """
    if not (math.isfinite(msg.level) and 0.0 <= msg.level <= 1.0):
        raise ValueError(f"level: {msg.level} outside [0, 1]")
    return float(msg.level) if msg.active else 0.0
