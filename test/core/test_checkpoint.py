"""Checkpoints: bit-identical resume, every kind of bad file refused with a clear error and the previous
good one used, paths confined to the checkpoint folder, and SIGKILL at any moment of a save leaves a
loadable checkpoint."""

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hebbian_ros.core.checkpoint import (
    FORMAT_VERSION,
    CheckpointError,
    checkpoint_path,
    checksum,
    load_checkpoint,
    load_latest,
    previous_path,
    rejected_path,
    remove_stale_temporaries,
    save_checkpoint,
    stale_temporaries,
)
from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.neuromodulation.neuromodulator import Neuromodulator
from hebbian_ros.core.plasticity.layer import RULES, Layer

REPO = Path(__file__).resolve().parents[2]


def trained_layer(rule, seed=1, steps=25):
    layer = Layer(12, 5, rule, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        layer.step(rng.uniform(0, 100, 12).astype(np.float32), 1.0)
    return layer


def assert_same_state(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.dtype == y.dtype and x.shape == y.shape, key
        assert x.tobytes() == y.tobytes(), key


# --- resume is bit-identical ---------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES)
def test_layer_resumes_bit_identical_and_continues_identically(rule, tmp_path):
    original = trained_layer(rule)
    path = save_checkpoint(tmp_path / "layer.npz", original.state_dict())
    restored = Layer(12, 5, rule, seed=99)
    restored.load_state_dict(load_checkpoint(path))
    assert_same_state(restored.state_dict(), original.state_dict())
    rng = np.random.default_rng(5)
    for _ in range(5):  # the random generator came back too: STDP spikes continue identically
        x = rng.uniform(0, 100, 12).astype(np.float32)
        assert original.step(x).tobytes() == restored.step(x).tobytes()
    assert_same_state(restored.state_dict(), original.state_dict())


def test_memory_patterns_and_neuromodulator_counters_resume_bit_identical(tmp_path):
    memory = PatternMemory(MemoryParams(dim=8, capacity=4, min_activity=0.0))
    rng = np.random.default_rng(2)
    for _ in range(10):
        memory.recall(rng.uniform(0, 50, 8), 1.0)
    modulator = Neuromodulator()
    for _ in range(40):
        modulator.observe(5.0, False, -1, False, 0.05)
        modulator.tick(0.05)
    assert modulator.episodes >= 1
    save_checkpoint(tmp_path / "memory.npz", memory.state_dict())
    save_checkpoint(tmp_path / "neuromodulator.npz", modulator.state_dict())
    memory2, modulator2 = PatternMemory(memory.params), Neuromodulator()
    memory2.load_state_dict(load_checkpoint(tmp_path / "memory.npz"))
    modulator2.load_state_dict(load_checkpoint(tmp_path / "neuromodulator.npz"))
    assert_same_state(memory2.state_dict(), memory.state_dict())
    assert_same_state(modulator2.state_dict(), modulator.state_dict())
    assert (modulator2.episodes, modulator2.ahas) == (modulator.episodes, modulator.ahas)


def test_each_save_keeps_the_one_before_as_prev(tmp_path):
    path = tmp_path / "x.npz"
    for i in range(3):
        save_checkpoint(path, {"i": np.array(i)})
    assert int(load_checkpoint(path)["i"]) == 2
    assert int(load_checkpoint(previous_path(path))["i"]) == 1
    assert stale_temporaries(path) == []


@pytest.mark.parametrize("links", [True, False], ids=["hard link", "copy"])
def test_the_checkpoint_never_goes_missing_while_it_is_replaced(tmp_path, monkeypatch, links):
    """A reader at any instant of a save finds the old or the new checkpoint, never none (CI once loaded
    memory.npz right after a save and found nothing: the periodic save was between its two renames)."""
    path = tmp_path / "memory.npz"
    save_checkpoint(path, {"n": np.array(1)})
    seen = []
    real_replace = os.replace

    def watched_replace(src, dst):
        seen.append(int(load_checkpoint(path)["n"]))  # before each rename
        real_replace(src, dst)
        seen.append(int(load_checkpoint(path)["n"]))  # and after it

    monkeypatch.setattr(os, "replace", watched_replace)
    if not links:
        monkeypatch.setattr(os, "link", lambda *_: (_ for _ in ()).throw(OSError("no hard links here")))
    save_checkpoint(path, {"n": np.array(2)})
    assert seen and set(seen) <= {1, 2} and seen[-1] == 2
    assert int(load_checkpoint(previous_path(path))["n"]) == 1
    assert stale_temporaries(path) == []


# --- bad files: clear error, previous good one used ----------------------------------------------


def good_pair(tmp_path):
    path = tmp_path / "layer1.npz"
    save_checkpoint(path, {"w": np.arange(1000, dtype=np.float32), "n": np.array(1)})
    save_checkpoint(path, {"w": np.arange(1000, dtype=np.float32) * 2, "n": np.array(2)})
    return path


def truncate(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def write_foreign(path):
    np.savez(path, weights=np.ones(3))


def write_wrong_version(path):
    arrays = {"w": np.ones(3)}
    np.savez(path, **arrays, __format_version__=np.array(FORMAT_VERSION + 1), __checksum__=np.array(checksum(arrays)))


def write_pickle(path):
    np.savez(
        path,
        w=np.array([{"evil": 1}], dtype=object),
        __format_version__=np.array(FORMAT_VERSION),
        __checksum__=np.array("x"),
    )


BAD_FILES = {
    "truncated to half": (lambda p: truncate(p, p.stat().st_size // 2), "unreadable"),
    "truncated to 10 bytes": (lambda p: truncate(p, 10), "unreadable"),
    "empty": (lambda p: truncate(p, 0), "unreadable"),
    "flipped byte in the data": (lambda p: flip_byte(p, p.stat().st_size // 2), "CRC|corrupt"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(4096)), "unreadable"),
    "foreign npz": (write_foreign, "not a hebbian_ros checkpoint"),
    "single .npy": (lambda p: np.save(open(p, "wb"), np.ones(3)), "not a hebbian_ros checkpoint"),
    "wrong version": (write_wrong_version, f"format version {FORMAT_VERSION + 1}"),
    "pickled object array": (write_pickle, "unreadable"),
    "a folder": (lambda p: (p.unlink(), p.mkdir()), "unreadable"),
}


@pytest.mark.parametrize("damage", list(BAD_FILES))
def test_a_bad_checkpoint_is_refused_with_a_clear_error_and_the_previous_one_used(damage, tmp_path):
    path = good_pair(tmp_path)
    spoil, message = BAD_FILES[damage]
    spoil(path)
    with pytest.raises(CheckpointError, match=message) as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)
    arrays, used, problems = load_latest(path)
    assert used == previous_path(path) and int(arrays["n"]) == 1
    assert len(problems) == 1 and re.search(message, problems[0])


def test_every_truncation_is_refused_never_misread(tmp_path):
    path = good_pair(tmp_path)
    data = path.read_bytes()
    for keep in sorted(set(np.linspace(0, len(data) - 1, 60).astype(int)) | {len(data) - 1, len(data) - 22}):
        path.write_bytes(data[:keep])
        with pytest.raises(CheckpointError):
            load_checkpoint(path)


def test_every_single_byte_flip_is_refused_or_harmless(tmp_path):
    """Any flipped byte gives CheckpointError, or (in zip padding the reader ignores) the exact data."""
    path = good_pair(tmp_path)
    data = path.read_bytes()
    expected = load_checkpoint(path)
    for offset in range(0, len(data), 7):
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        path.write_bytes(bytes(damaged))
        try:
            arrays = load_checkpoint(path)
        except CheckpointError:
            continue
        assert_same_state(arrays, expected)


def test_a_checkpoint_refused_by_the_caller_falls_back_to_the_previous_one(tmp_path):
    path = tmp_path / "layer1.npz"
    layer = trained_layer("sanger")
    save_checkpoint(path, layer.state_dict())
    save_checkpoint(path, PatternMemory(MemoryParams(dim=4)).state_dict())  # another node's state
    target = Layer(12, 5, "sanger", seed=7)
    _, used, problems = load_latest(path, accept=target.load_state_dict)
    assert used == previous_path(path)
    assert "refused" in problems[0] and "missing keys" in problems[0]
    assert_same_state(target.state_dict(), layer.state_dict())


def test_no_usable_checkpoint_raises_listing_both_problems(tmp_path):
    path = good_pair(tmp_path)
    truncate(path, 5)
    write_foreign(previous_path(path))
    with pytest.raises(CheckpointError) as error:
        load_latest(path)
    assert "unreadable" in str(error.value) and "not a hebbian_ros checkpoint" in str(error.value)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_latest(tmp_path / "missing.npz")


def test_a_missing_current_after_a_crash_between_the_renames_uses_prev(tmp_path):
    path = good_pair(tmp_path)
    os.replace(path, previous_path(path))  # the state a kill between the two renames leaves
    arrays, used, _ = load_latest(path)
    assert used == previous_path(path) and int(arrays["n"]) == 2


# --- what may be saved ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"w": np.array([object()], dtype=object)}, "only plain arrays"),
        ({"__checksum__": np.ones(2)}, "reserved"),
        ({3: np.ones(2)}, "name 3"),
        ({"a/b": np.ones(2)}, "name 'a/b'"),
        ({"w": [[1, 2], [3]]}, "not an array"),
        ([np.ones(2)], "expected a mapping"),
    ],
)
def test_unsavable_state_is_refused_and_nothing_on_disk_changes(arrays, message, tmp_path):
    path = good_pair(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match=message):
        save_checkpoint(path, arrays)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --- paths: only from parameters, confined to checkpoint_dir -------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "a/b",
        "..",
        ".",
        "",
        ".hidden",
        "a\\b",
        "a\x00b",
        "x" * 129,
        "layer1.prev",
        "..evil",
        "a..b",
        "/etc/passwd",
        "~root",
        "a b",
        None,
        3,
    ],
)
def test_checkpoint_names_that_could_leave_the_folder_are_refused(name, tmp_path):
    with pytest.raises(ValueError, match="checkpoint name"):
        checkpoint_path(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("directory", ["", None, 3])
def test_a_checkpoint_dir_must_be_a_path(directory):
    with pytest.raises(ValueError, match="checkpoint_dir"):
        checkpoint_path(directory, "layer1")


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "layer1.npz").symlink_to(outside / "stolen.npz")
    with pytest.raises(ValueError, match="leaves"):
        checkpoint_path(folder, "layer1")


def test_good_names_stay_inside_the_folder(tmp_path):
    for name in ("layer1", "layer-1.v2", "memory_A"):
        path = checkpoint_path(tmp_path, name)
        assert path.parent == tmp_path.resolve() and path.name == f"{name}.npz"
    assert rejected_path(path).parent == path.parent and rejected_path(path).name.startswith(".")


# --- SIGKILL during saves ------------------------------------------------------------------------

WRITER = r"""
import sys
import numpy as np
from hebbian_ros.core.checkpoint import load_latest, save_checkpoint
path = sys.argv[1]
try:
    counter = int(load_latest(path)[0]['counter'])
except Exception:
    counter = 0
weights = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)   # 4 MB: a save takes a while
while True:
    counter += 1
    weights[counter % 1024] = counter
    save_checkpoint(path, {'counter': np.array(counter), 'weights': weights})
    print(counter, flush=True)
"""


def test_sigkill_at_random_moments_of_repeated_saves_always_leaves_a_loadable_checkpoint(tmp_path):
    """A writer saves as fast as it can; it is SIGKILLed at random moments, restarted from what is on
    disk, killed again... After every kill the current or the .prev checkpoint loads, verified, and it
    is the last save reported complete or the one after it (never older, never mixed)."""
    path = tmp_path / "hammer.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    rng = random.Random(1)
    kills, mid_write, from_prev = 8, 0, 0
    for _ in range(kills):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env, stdout=subprocess.PIPE, text=True)
        first = writer.stdout.readline()  # at least one complete save in this life
        assert first, "the writer died before its first save"
        time.sleep(rng.uniform(0.0, 0.25))
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        reported = [int(line) for line in [first, *writer.stdout.read().split()] if str(line).strip()]
        writer.stdout.close()
        left = len(stale_temporaries(path))
        mid_write += left > 0
        arrays, used, problems = load_latest(path)
        from_prev += used == previous_path(path)
        counter = int(arrays["counter"])
        assert counter in (reported[-1], reported[-1] + 1), (counter, reported[-3:])
        assert arrays["weights"].shape == (1024, 1024) and arrays["weights"][counter % 1024, 0] == counter
        assert remove_stale_temporaries(path) == left and stale_temporaries(path) == []
    print(f"\n{kills} SIGKILLs during saves: {mid_write} mid-write (temporary left), {from_prev} loaded from .prev")
    assert mid_write >= 1, "no kill landed during a write: the test did not test anything"
