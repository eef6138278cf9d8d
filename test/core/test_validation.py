"""Shared input checks: every rejection is a ValueError naming the argument and the problem."""

import re

import numpy as np
import pytest

from hebbian_ros.core import validation as check


@pytest.mark.parametrize(
    "value, size, message",
    [
        ([0.0, 1.0, 2.0, np.nan], 4, "pre: contains NaN at index 3"),
        ([0.0, np.inf], 2, "pre: contains inf at index 1"),
        ([-np.inf, 0.0], 2, "pre: contains -inf at index 0"),
        (np.zeros(63), 64, "pre: expected 64 values, got 63"),
        ([], None, "pre: is empty"),
        (np.zeros((0, 3)), 3, "pre: is empty"),
        (np.zeros((2, 2, 2)), 2, "pre: expected shape (n,) or (B, n)"),
        (5.0, None, "pre: expected shape (n,) or (B, n), got shape ()"),
        ([1 + 2j, 0], 2, "pre: expected a real numeric array, got dtype complex128"),
        (["a", "b"], 2, "pre: expected a real numeric array"),
        ([True, False], 2, "pre: expected a real numeric array, got dtype bool"),
        ([[1.0, 2.0], [3.0]], 2, "pre: cannot be read as a numeric array"),
        ([1e300, 0.0], 2, "pre: value 1e+300 at index 0 overflows float32"),
    ],
)
def test_as_activity_names_argument_and_problem(value, size, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check.as_activity("pre", value, size)


def test_nan_in_a_batch_is_located_by_row_and_column():
    batch = np.zeros((3, 4))
    batch[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"pre: contains NaN at index \(2, 1\)"):
        check.as_activity("pre", batch, 4)


def test_negative_rates_are_rejected_where_rates_are_expected():
    with pytest.raises(ValueError, match="rates: negative rate -0.5 at index 2"):
        check.as_activity("rates", [1.0, 0.0, -0.5], 3, low=0.0, what="rate")


def test_values_above_the_limit_are_rejected():
    with pytest.raises(ValueError, match="x: rate 150 at index 1 exceeds 100"):
        check.as_activity("x", [1.0, 150.0], 2, low=0.0, high=100.0, what="rate")


@pytest.mark.parametrize("size", [4, 10_000])  # small arrays use a mask, big ones a sum first
def test_large_finite_values_are_not_mistaken_for_inf(size):
    array = np.full(size, 3e38, dtype=np.float32)  # the sum overflows, the values do not
    check.check_finite("x", array)


@pytest.mark.parametrize("size", [4, 10_000])
def test_nan_is_found_in_small_and_big_arrays(size):
    array = np.ones(size, dtype=np.float32)
    array[size - 2] = np.nan
    with pytest.raises(ValueError, match=f"x: contains NaN at index {size - 2}"):
        check.check_finite("x", array)


def test_valid_activity_is_converted_without_copy_when_dtype_matches():
    x = np.arange(4, dtype=np.float32)
    assert check.as_activity("x", x, 4) is x
    assert check.as_activity("x", [1, 2], 2).dtype == np.float32
    assert check.as_activity("x", np.ones((5, 2)), 2, np.float64).shape == (5, 2)


def test_spikes_accept_bool_and_binary_numbers_only():
    assert check.as_spikes("s", [True, False], 2).dtype == bool
    np.testing.assert_array_equal(check.as_spikes("s", [0, 1, 1], 3), [False, True, True])
    with pytest.raises(ValueError, match="s: expected spikes as 0/1, got 2 at index 1"):
        check.as_spikes("s", [0, 2], 2)
    with pytest.raises(ValueError, match="s: contains NaN"):
        check.as_spikes("s", [0.0, np.nan], 2)
    with pytest.raises(ValueError, match="s: expected shape"):
        check.as_spikes("s", np.zeros((2, 2), bool), 2)


def test_weights_must_be_finite_float_matrices():
    with pytest.raises(ValueError, match="w: expected float32 or float64 weights, got dtype int64"):
        check.as_weights("w", np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="w: expected a numpy array, got list"):
        check.as_weights("w", [[0.0]])
    with pytest.raises(ValueError, match=r"w: expected a non-empty \(n_out, n_in\) matrix"):
        check.as_weights("w", np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"w: expected shape \(2, 3\), got \(3, 2\)"):
        check.as_weights("w", np.zeros((3, 2), np.float32), (2, 3))
    bad = np.zeros((2, 2), np.float32)
    bad[1, 0] = np.inf
    with pytest.raises(ValueError, match=r"w: contains inf at index \(1, 0\)"):
        check.as_weights("w", bad)


def test_rule_inputs_must_fit_the_weights_and_each_other():
    w = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="pre: expected 4 values, got 5"):
        check.as_rule_inputs(np.zeros(5), np.zeros(3), w)
    with pytest.raises(ValueError, match="post: expected 3 values, got 2"):
        check.as_rule_inputs(np.zeros(4), np.zeros(2), w)
    with pytest.raises(ValueError, match="post: expected a batch of 2 to match pre"):
        check.as_rule_inputs(np.zeros((2, 4)), np.zeros((3, 3)), w)
    with pytest.raises(ValueError, match="post: expected a single sample to match pre"):
        check.as_rule_inputs(np.zeros(4), np.zeros((1, 3)), w)
    pre, post, same_w = check.as_rule_inputs(np.ones(4), np.ones(3, dtype=np.int32), w)
    assert pre.dtype == post.dtype == np.float32 and same_w is w


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: check.as_real("eta", "0.1"), "eta: expected a real number, got str"),
        (lambda: check.as_real("eta", True), "eta: expected a real number, got bool"),
        (lambda: check.as_real("eta", float("nan")), "eta: expected a finite number, got nan"),
        (lambda: check.positive("tau", 0), r"tau: expected a value in \(0, inf\), got 0"),
        (lambda: check.non_negative("eta", -1), r"eta: expected a value in \[0, inf\), got -1"),
        (lambda: check.in_interval("level", 1.5, 0, 1), r"level: expected a value in \[0, 1\], got 1.5"),
        (lambda: check.as_int("k", 1.5), "k: expected an integer, got float"),
        (lambda: check.as_int("k", 0, minimum=1), "k: expected an integer >= 1, got 0"),
        (lambda: check.as_choice("rule", "foo", ("oja", "bcm")), "rule: expected one of 'oja', 'bcm', got 'foo'"),
        (lambda: check.check_instance("params", {}, int), "params: expected int, got dict"),
    ],
)
def test_scalar_checks_name_argument_and_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_scalar_checks_return_plain_python_values():
    assert check.as_int("n", np.int64(3)) == 3 and type(check.as_int("n", np.array(3))) is int
    assert check.in_interval("x", np.float32(0.5), 0, 1) == 0.5


def test_prepare_output_copies_or_reuses_the_buffer():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    fresh = check.prepare_output(None, w)
    assert fresh is not w and np.array_equal(fresh, w)
    assert check.prepare_output(w, w) is w
    buffer = np.empty_like(w)
    assert check.prepare_output(buffer, w) is buffer and np.array_equal(buffer, w)
    with pytest.raises(ValueError, match="out: expected float32 of shape"):
        check.prepare_output(np.empty((3, 2), np.float32), w)
    read_only = np.empty_like(w)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="out: is read-only"):
        check.prepare_output(read_only, w)
