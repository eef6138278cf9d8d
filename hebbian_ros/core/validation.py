"""Input checks shared by every public function of :mod:`hebbian_ros.core`.

Each check raises :class:`ValueError` whose message starts with the argument's name and then
states the problem, e.g. ``"pre: contains NaN at index 3"`` or ``"rates: expected 64 values,
got 63"``. Callers run every check before they touch any state, so a rejected call changes
nothing.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

#: ``dtype.kind`` codes accepted for real-valued activity: signed, unsigned, floating.
REAL_KINDS = "iuf"
#: Spike vectors may also be boolean.
SPIKE_KINDS = "biuf"
#: Weight matrices are updated in place, so they must already be one of these.
WEIGHT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: Above this many elements ``check_finite`` tries a single sum before building a mask.
_MASK_FREE_CHECK_MIN_SIZE = 4096


def describe_index(flat_index: int, shape: tuple[int, ...]) -> str:
    """Name an element position the way a user indexes it: ``index 3`` or ``index (1, 2)``."""
    if len(shape) <= 1:
        return f"index {int(flat_index)}"
    position = tuple(int(i) for i in np.unravel_index(flat_index, shape))
    return f"index {position}"


def as_array(name: str, value: Any, *, kinds: str = REAL_KINDS) -> np.ndarray:
    """Read ``value`` as a non-empty numpy array whose dtype kind is one of ``kinds``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{name}: cannot be read as a numeric array ({error})") from None
    if array.dtype.kind not in kinds:
        expected = "boolean or real numeric" if "b" in kinds else "real numeric"
        raise ValueError(f"{name}: expected a {expected} array, got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{name}: is empty (shape {array.shape})")
    return array


def check_finite(name: str, array: np.ndarray) -> None:
    """Reject NaN and infinities, naming the first offending element."""
    if array.dtype.kind != "f":
        return
    if array.size > _MASK_FREE_CHECK_MIN_SIZE:
        # A reduction reads a big array once without allocating a mask; a non-finite sum can
        # also come from overflow of large finite values, so only then look element by element.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(array)):
                return
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    flat = int(np.flatnonzero(bad)[0])
    value = array.flat[flat]
    kind = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    raise ValueError(f"{name}: contains {kind} at {describe_index(flat, array.shape)}")


def check_range(
    name: str,
    array: np.ndarray,
    low: float | None = None,
    high: float | None = None,
    *,
    what: str = "value",
) -> None:
    """Reject elements below ``low`` or above ``high`` (inclusive bounds; ``None`` = open)."""
    if low is not None:
        below = array < low
        if below.any():
            flat = int(np.flatnonzero(below)[0])
            problem = "negative" if low == 0 else f"below {low:g}"
            raise ValueError(f"{name}: {problem} {what} {array.flat[flat]:g} at {describe_index(flat, array.shape)}")
    if high is not None:
        above = array > high
        if above.any():
            flat = int(np.flatnonzero(above)[0])
            raise ValueError(
                f"{name}: {what} {array.flat[flat]:g} at {describe_index(flat, array.shape)} exceeds {high:g}"
            )


def as_real_array(
    name: str,
    value: Any,
    dtype: np.dtype | type | None = np.float32,
    *,
    low: float | None = None,
    high: float | None = None,
    what: str = "value",
) -> np.ndarray:
    """Finite, in-range, non-empty array converted to ``dtype`` (no copy when it matches).

    ``dtype=None`` keeps float32/float64 and converts everything else to float32.
    """
    array = as_array(name, value)
    check_finite(name, array)
    check_range(name, array, low, high, what=what)
    if dtype is None:
        dtype = array.dtype if array.dtype in WEIGHT_DTYPES else np.float32
    target = np.dtype(dtype)
    if array.dtype == target:
        return array
    with np.errstate(over="ignore"):
        converted = array.astype(target)
    if target.kind == "f" and not np.isfinite(converted).all():
        flat = int(np.flatnonzero(~np.isfinite(converted))[0])
        raise ValueError(
            f"{name}: value {array.flat[flat]:g} at {describe_index(flat, array.shape)} overflows {target}"
        )
    return converted


def check_shape(name: str, array: np.ndarray, size: int | None, *, batch: bool) -> None:
    """Require shape ``(size,)`` or, if ``batch``, also ``(B, size)``."""
    allowed = (1, 2) if batch else (1,)
    if array.ndim not in allowed:
        layout = "(n,) or (B, n)" if batch else "(n,)"
        raise ValueError(f"{name}: expected shape {layout}, got shape {array.shape}")
    if size is not None and array.shape[-1] != size:
        raise ValueError(f"{name}: expected {size} values, got {array.shape[-1]}")


def as_activity(
    name: str,
    value: Any,
    size: int | None = None,
    dtype: np.dtype | type | None = np.float32,
    *,
    batch: bool = True,
    low: float | None = None,
    high: float | None = None,
    what: str = "value",
) -> np.ndarray:
    """A single sample ``(size,)`` or mini-batch ``(B, size)`` of finite real activity."""
    array = as_array(name, value)
    check_shape(name, array, size, batch=batch)
    return as_real_array(name, array, dtype, low=low, high=high, what=what)


def as_spikes(name: str, value: Any, size: int | None = None) -> np.ndarray:
    """A boolean spike vector; numeric input must hold only 0 and 1."""
    array = as_array(name, value, kinds=SPIKE_KINDS)
    check_shape(name, array, size, batch=False)
    if array.dtype.kind == "b":
        return array
    check_finite(name, array)
    not_binary = (array != 0) & (array != 1)
    if not_binary.any():
        flat = int(np.flatnonzero(not_binary)[0])
        raise ValueError(
            f"{name}: expected spikes as 0/1, got {array.flat[flat]:g} at {describe_index(flat, array.shape)}"
        )
    return array.astype(bool)


def as_weights(name: str, value: Any, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A finite 2-D float32/float64 weight matrix ``(n_out, n_in)``, returned without copying."""
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, got {type(value).__name__}")
    if value.dtype not in WEIGHT_DTYPES:
        raise ValueError(f"{name}: expected float32 or float64 weights, got dtype {value.dtype}")
    if value.ndim != 2 or value.size == 0:
        raise ValueError(f"{name}: expected a non-empty (n_out, n_in) matrix, got shape {value.shape}")
    if shape is not None and value.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {value.shape}")
    check_finite(name, value)
    return value


def check_same_batch(name: str, array: np.ndarray, reference_name: str, reference: np.ndarray) -> None:
    """Require a batch to pair sample-by-sample with ``reference`` (both 1-D or same ``B``)."""
    if array.ndim != reference.ndim or (array.ndim == 2 and array.shape[0] != reference.shape[0]):
        expected = "a single sample" if reference.ndim == 1 else f"a batch of {reference.shape[0]}"
        raise ValueError(
            f"{name}: expected {expected} to match {reference_name} {reference.shape}, got shape {array.shape}"
        )


def check_instance(name: str, value: Any, expected: type) -> None:
    """Require ``value`` to be an instance of ``expected``."""
    if not isinstance(value, expected):
        raise ValueError(f"{name}: expected {expected.__name__}, got {type(value).__name__}")


def prepare_output(out: np.ndarray | None, w: np.ndarray, *, validate: bool = True) -> np.ndarray:
    """The array an ``out=``-style update writes into, holding a copy of ``w``.

    ``None`` allocates a fresh copy (the pure path); ``out is w`` updates ``w`` in place.
    """
    if out is None:
        return w.copy()
    if validate:
        if not isinstance(out, np.ndarray):
            raise ValueError(f"out: expected a numpy array, got {type(out).__name__}")
        if out.shape != w.shape or out.dtype != w.dtype:
            raise ValueError(f"out: expected {w.dtype} of shape {w.shape}, got {out.dtype} of shape {out.shape}")
        if not out.flags.writeable:
            raise ValueError("out: is read-only")
    if out is not w:
        np.copyto(out, w)
    return out


# --- scalars -----------------------------------------------------------------------------------


def as_real(name: str, value: Any) -> float:
    """A finite real number (bools, strings, complex and NaN/inf rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a real number, got {type(value).__name__}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name}: expected a finite number, got {number}")
    return number


def in_interval(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real in the interval ``low..high`` (closed unless ``*_open``)."""
    number = as_real(name, value)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        opening = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        closing = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{name}: expected a value in {opening}, {closing}, got {number:g}")
    return number


def positive(name: str, value: Any) -> float:
    """A finite real > 0."""
    return in_interval(name, value, 0.0, None, low_open=True)


def non_negative(name: str, value: Any) -> float:
    """A finite real >= 0."""
    return in_interval(name, value, 0.0, None)


def as_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (numpy integers and integral 0-d arrays accepted), optionally >= ``minimum``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {type(value).__name__}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {number}")
    return number


def as_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of the allowed option strings."""
    text = str(value.value) if hasattr(value, "value") and isinstance(value.value, str) else value
    if not isinstance(text, str) or text not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return text


def as_rule_inputs(
    pre: Any,
    post: Any,
    w: Any,
    *,
    batch: bool = True,
    post_low: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check a learning rule's ``pre``, ``post`` and ``W`` against each other.

    ``pre``/``post`` become ``w.dtype`` arrays of shape ``(n_in,)``/``(n_out,)`` or, with
    ``batch``, ``(B, n_in)``/``(B, n_out)``.
    """
    w = as_weights("w", w)
    n_out, n_in = w.shape
    pre = as_activity("pre", pre, n_in, w.dtype, batch=batch)
    post = as_activity("post", post, n_out, w.dtype, batch=batch, low=post_low)
    check_same_batch("post", post, "pre", pre)
    return pre, post, w
