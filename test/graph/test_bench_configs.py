"""The benchmark's alternative configurations (bench/configs/*/) build a working loop from declared parameters."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hebbian_ros.core.loop import Loop

CONFIGS = sorted(p for p in (Path(__file__).parents[2] / "bench" / "configs").iterdir() if p.is_dir())


def test_there_is_a_configuration_to_check():
    assert CONFIGS


@pytest.mark.parametrize("directory", CONFIGS, ids=lambda p: p.name)
def test_a_bench_configuration_builds_a_chained_loop_that_sees(directory):
    loop = Loop.from_config(directory)
    sizes = [loop.retina.shape[0] * loop.retina.shape[1] * loop.retina.shape[2]]
    for layer in loop.layers:
        assert layer.n_in == sizes[-1]
        sizes.append(layer.n_rates)
    assert loop.memory.params.dim == sizes[-1]
    image = np.zeros((64, 64, 3), np.uint8)
    image[16:48, 16:48] = (200, 40, 40)
    for _ in range(5):
        step = loop.frame(image, 1 / 30, learn=True)
    assert np.asarray(step.top).size == sizes[-1]
    assert float(np.mean(step.top)) >= loop.memory.params.min_activity  # an object is strong enough to recognise


def test_a_variant_holding_one_file_takes_the_rest_from_the_shipped_config(tmp_path):
    shipped = Loop.from_config()
    (tmp_path / "memory.yaml").write_text(
        f"memory:\n  ros__parameters:\n    dim: {shipped.memory.params.dim}\n    familiarity_threshold: 0.97\n"
    )
    variant = Loop.from_config(tmp_path)
    assert variant.memory.params.familiarity_threshold == 0.97
    assert shipped.memory.params.familiarity_threshold != 0.97
    assert variant.memory.params.dim == shipped.memory.params.dim
    assert [layer.n_out for layer in variant.layers] == [layer.n_out for layer in shipped.layers]
    assert variant.retina.params == shipped.retina.params


def test_a_variant_overrides_the_shipped_config_parameter_by_parameter(tmp_path):
    shipped = Loop.from_config()
    (tmp_path / "memory.yaml").write_text("memory:\n  ros__parameters:\n    recognition_hold: 10.0\n")
    (tmp_path / "layers.yaml").write_text("layer1:\n  ros__parameters:\n    seed: 7\n")
    variant = Loop.from_config(tmp_path)
    assert variant.memory.params.recognition_hold == 10.0 != shipped.memory.params.recognition_hold
    # what the variant does not set is the shipped file's, not the schema default
    assert variant.memory.params == replace(shipped.memory.params, recognition_hold=10.0)
    assert not np.array_equal(variant.layers[0].weights, shipped.layers[0].weights)  # seed 7
    n = variant.layers[0].n_out  # layer2 as shipped: unit i = (ON_i - OFF_i) / sqrt 2 of layer1's rates
    signed = variant.layers[1].weights[:, :n] - variant.layers[1].weights[:, n:]
    np.testing.assert_allclose(signed, np.sqrt(2) * np.eye(n), atol=1e-6)


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        ({"all.yaml": "sensor:\n  ros__parameters:\n    gaze_turn: 20.0\n"}, "all.yaml would be ignored"),
        ({"memory.yaml": "sensor:\n  ros__parameters:\n    gaze_turn: 20.0\n"}, "memory.yaml has sections sensor"),
        ({"notes.txt": "nothing here"}, "holds none of"),
    ],
    ids=["misnamed file", "section in the wrong file", "no parameter file"],
)
def test_a_variant_that_would_silently_change_nothing_is_refused(tmp_path, files, complaint):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=complaint):
        Loop.from_config(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        Loop.from_config(tmp_path / "missing")


def test_a_copy_of_the_whole_config_folder_is_a_variant(tmp_path):
    from hebbian_ros.resources import config_dir

    for path in config_dir().iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert Loop.from_config(tmp_path).memory.params == Loop.from_config().memory.params
