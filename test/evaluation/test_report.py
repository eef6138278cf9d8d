"""The PNG report: from a RunLog (the main job) and, through the `report` command, from an MCAP recording."""

import json
import time

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from matplotlib.image import imread
from rclpy.serialization import serialize_message
from std_msgs.msg import Header

from hebbian_ros.core.visualization import receptive_field_mosaic, weight_norms
from hebbian_ros.evaluation import report_cli
from hebbian_ros.evaluation.recording import McapRecordingWriter, read_run_log
from hebbian_ros.evaluation.report import write_report
from hebbian_ros.evaluation.run_log import RunLog
from hebbian_ros.evaluation.summary import summarise
from hebbian_ros.msg import Inhibition, LearningMode, Recognition, SceneLabel
from hebbian_ros.nodes.conversions import image_to_msg, rates_to_msg

FRAME = 1 / 30


def header(t: float) -> Header:
    return Header(stamp=Time(sec=int(t), nanosec=int(round((t % 1) * 1e9)) % 1_000_000_000), frame_id="camera")


def write_session(path) -> dict:
    """A short synthetic run: two objects, each first seen (novel, learned) then revisited (familiar)."""
    rng = np.random.default_rng(0)
    weights = {
        "layer1": rng.normal(size=(128, 384)).astype(np.float32),
        "layer2": rng.normal(size=(64, 128)).astype(np.float32),
    }
    counts = {"frames": 0, "aha": 0}
    t, memory = 100.0, {}
    with McapRecordingWriter(path) as writer:

        def put(topic, type_name, msg):
            writer.write(topic, type_name, serialize_message(msg), int(t * 1e9) + 10**18)

        visits = [("red_box", 0), ("blue_disc", 0), ("red_box", 1), ("blue_disc", 1)]
        for visit, (label, repeat) in enumerate(visits):
            for i in range(45):
                t += FRAME
                phase = "gap" if i < 10 else "view"
                in_view = label if phase == "view" else ""
                put(
                    "/sim/ground_truth",
                    "hebbian_ros/msg/SceneLabel",
                    SceneLabel(
                        header=header(t), label=in_view, visit_object=label, visit=visit, repeat=repeat, phase=phase
                    ),
                )
                counts["frames"] += 1
                drive = 80.0 * np.exp(-(i - 10) / 8.0) if in_view else 1.0
                for population, shape in (
                    ("sensor", (8, 8, 6)),
                    ("layer1", (128,)),
                    ("layer2", (64,)),
                    ("memory", (64,)),
                ):
                    rates = np.abs(rng.normal(drive, 0.1 * drive + 0.1, int(np.prod(shape)))).astype(np.float32)
                    put(
                        f"/hebbian/{population}/rates",
                        "hebbian_ros/msg/FiringRates",
                        rates_to_msg(header(t), population, shape, rates, 100.0),
                    )
                familiar = bool(in_view) and (repeat > 0 or i > 25)
                if in_view and repeat == 0 and i == 20:
                    memory[label] = len(memory)
                    put(
                        "/hebbian/learning_mode",
                        "hebbian_ros/msg/LearningMode",
                        LearningMode(header=header(t), active=True, level=1.0, cause=LearningMode.CAUSE_NOVELTY),
                    )
                if in_view and repeat == 0 and i == 24:
                    counts["aha"] += 1
                    put(
                        "/hebbian/learning_mode",
                        "hebbian_ros/msg/LearningMode",
                        LearningMode(
                            header=header(t),
                            active=True,
                            level=1.0,
                            cause=LearningMode.CAUSE_AHA,
                            memory_id=memory[label],
                        ),
                    )
                if in_view and repeat == 0 and i == 30:
                    put(
                        "/hebbian/learning_mode",
                        "hebbian_ros/msg/LearningMode",
                        LearningMode(header=header(t), active=False, level=0.0, cause=LearningMode.CAUSE_NONE),
                    )
                    weights["layer1"] *= 0.8  # learning changes the weights
                put(
                    "/hebbian/recognition",
                    "hebbian_ros/msg/Recognition",
                    Recognition(
                        header=header(t),
                        memory_id=memory.get(label, -1) if in_view else -1,
                        similarity=0.97 if familiar else 0.2,
                        familiar=familiar,
                        stored=in_view and repeat == 0 and i == 22,
                        memory_size=len(memory),
                    ),
                )
                if familiar:
                    put(
                        "/hebbian/inhibition",
                        "hebbian_ros/msg/Inhibition",
                        Inhibition(header=header(t), target_population="sensor", strength=0.35),
                    )
                if i % 15 == 0:
                    for layer, w in weights.items():
                        norms = weight_norms(w)
                        put(
                            f"/hebbian/{layer}/weight_norms",
                            "hebbian_ros/msg/FiringRates",
                            rates_to_msg(header(t), f"{layer}/weight_norms", (w.shape[0],), norms, float(norms.max())),
                        )
                        shape = (8, 8, 6) if layer == "layer1" else None
                        put(
                            f"/hebbian/{layer}/receptive_fields",
                            "sensor_msgs/msg/Image",
                            image_to_msg(receptive_field_mosaic(w, shape), header(t)),
                        )
    return counts


def assert_picture(path, min_size=(300, 400)):
    assert path.is_file() and path.stat().st_size > 10_000, path
    pixels = imread(path)
    assert pixels.shape[0] >= min_size[0] and pixels.shape[1] >= min_size[1], (path, pixels.shape)
    assert float(pixels[..., :3].var()) > 1e-3, f"{path} is blank"


def test_report_command_on_a_recording(tmp_path, capsys):
    path = tmp_path / "run.mcap"
    counts = write_session(path)
    started = time.monotonic()
    assert report_cli.main([str(path), "--out", str(tmp_path / "report")]) == 0
    assert time.monotonic() - started < 30
    out = tmp_path / "report"
    for name in ("rates.png", "habituation.png", "weights.png", "receptive_fields.png"):
        assert_picture(out / name)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objects_seen"] == 2 and summary["aha_events"] == counts["aha"] == 2
    assert summary["frames"] == counts["frames"] and summary["memories_stored"] == 2
    assert summary["recognition_accuracy"] == pytest.approx(1.0)
    assert "wrote" in capsys.readouterr().out


def test_recording_reads_back_into_a_run_log(tmp_path):
    path = tmp_path / "run.mcap"
    counts = write_session(path)
    log = read_run_log(path)
    assert len(log.truth) == counts["frames"]
    assert sorted(log.rates) == ["layer1", "layer2", "memory", "sensor"]
    assert all(len(series) == counts["frames"] for series in log.rates.values())
    assert log.last_rates["sensor"].shape == (384,)
    assert sorted(log.weight_norms) == ["layer1", "layer2"] and len(log.weight_norms["layer1"]) == 12
    # layer1's norms fall when it learns (weights x 0.8); the range brackets the mean.
    means = [m for _, m in log.weight_norms["layer1"]]
    assert means[-1] == pytest.approx(0.64 * means[0], rel=1e-4)
    assert all(lo <= m <= hi for (_, lo, hi), m in zip(log.weight_norm_ranges["layer1"], means))
    assert log.receptive_fields["layer1"].shape == receptive_field_mosaic(np.ones((128, 384)), (8, 8, 6)).shape
    assert [e.cause for e in log.events].count(LearningMode.CAUSE_AHA) == 2
    assert len(log.inhibition) > 0 and len(log.recognition) == counts["frames"]


def test_write_report_of_the_main_job_keeps_working_without_weights(tmp_path):
    log = RunLog()
    for i in range(60):
        t = 10 + i * FRAME
        log.add_truth(t, "red_box" if i >= 10 else "", "red_box", 0, 0, "view" if i >= 10 else "gap")
        log.add_rates("sensor", t, np.full(384, 50.0 * np.exp(-i / 20), np.float32), False)
        log.add_recognition(t, 0, 0.5 + i / 200, i > 30, i == 20, 1.0)
    log.add_learning_mode(10.5, True, 1.0, 1, -1)
    log.add_learning_mode(11.0, False, 0.0, 0, 0)
    files = write_report(log, summarise(log), tmp_path)
    names = {f.name for f in files}
    assert {"rates.png", "habituation.png", "summary.json", "summary.md"} <= names
    assert "weights.png" not in names and not (tmp_path / "weights.png").exists()
    assert_picture(tmp_path / "rates.png")
    assert_picture(tmp_path / "habituation.png", min_size=(200, 200))
