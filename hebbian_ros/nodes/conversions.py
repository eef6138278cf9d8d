"""Conversions between hebbian_ros messages and numpy arrays, with validation of every field."""
from __future__ import annotations

import math

import numpy as np
from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from sensor_msgs.msg import Image

from hebbian_ros.msg import FiringRates, LearningMode


def rates_from_msg(msg: FiringRates, expected_size: int | None = None) -> np.ndarray:
    """Rates of ``msg`` as a float32 vector; ``ValueError`` names what is wrong with the message."""
    rates = np.asarray(msg.rates, dtype=np.float32)
    if rates.size == 0:
        raise ValueError(f'rates of {msg.population!r}: empty')
    if list(msg.shape) and int(np.prod(msg.shape)) != rates.size:
        raise ValueError(f'rates of {msg.population!r}: shape {list(msg.shape)} does not hold {rates.size} values')
    if expected_size is not None and rates.size != expected_size:
        raise ValueError(f'rates of {msg.population!r}: expected {expected_size} values, got {rates.size}')
    if not np.all(np.isfinite(rates)):
        raise ValueError(f'rates of {msg.population!r}: contains NaN or inf')
    if rates.min() < 0:
        raise ValueError(f'rates of {msg.population!r}: negative rate {float(rates.min())}')
    if not (math.isfinite(msg.max_rate) and msg.max_rate > 0):
        raise ValueError(f'rates of {msg.population!r}: max_rate must be finite and > 0, got {msg.max_rate}')
    return rates


def rates_to_msg(header: Header, population: str, shape: tuple[int, ...], rates: np.ndarray,
                 max_rate: float, replay: bool = False) -> FiringRates:
    """Build a FiringRates message (rates flattened row-major)."""
    msg = FiringRates()
    msg.header = header
    msg.population = population
    msg.shape = [int(s) for s in shape]
    msg.rates = np.ascontiguousarray(rates, dtype=np.float32).ravel()
    msg.max_rate = float(max_rate)
    msg.replay = replay
    return msg


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
            raise ValueError(f'header stamp: nanosec {stamp.nanosec} >= 1e9')
        t = stamp_seconds(stamp)
        if t == 0.0:
            raise ValueError('header stamp: zero (unset) stamp')
        if now is not None and abs(t - now) > 3600.0:
            raise ValueError(f'header stamp: {t:.3f} s is more than an hour from the clock ({now:.3f} s)')
        if self.last is not None and t < self.last - self.max_backwards:
            raise ValueError(f'header stamp: goes back {self.last - t:.3f} s')
        dt = 0.0 if self.last is None else min(max(t - self.last, 0.0), self.max_step)
        self.last = max(t, self.last if self.last is not None else t)
        return dt


def image_to_msg(pixels: np.ndarray, header: Header, encoding: str = 'rgb8') -> Image:
    """A sensor_msgs/Image of an (H, W, 3) uint8 ``rgb8`` or (H, W) ``mono8`` array."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    msg = Image(header=header, height=pixels.shape[0], width=pixels.shape[1], encoding=encoding,
                is_bigendian=0)
    msg.step = pixels.shape[1] * (pixels.shape[2] if pixels.ndim == 3 else 1)
    msg.data = pixels.tobytes()
    return msg


def plasticity_level(msg: LearningMode) -> float:
    """The gate level a learning node applies after a learning-mode broadcast (0 when inactive).

    :raises ValueError: for a level outside [0, 1] or not finite.
    """
    if not (math.isfinite(msg.level) and 0.0 <= msg.level <= 1.0):
        raise ValueError(f'level: {msg.level} outside [0, 1]')
    return float(msg.level) if msg.active else 0.0
