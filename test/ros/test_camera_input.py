"""Real camera inputs over DDS: a sensor on ``transport: compressed`` senses JPEG frames from
``camera/image_raw/compressed`` like the raw frames they were encoded from, drops a truncated JPEG and a
bomb with a clear error and keeps running; a raw sensor senses a yuv422_yuy2 (usb_cam) frame like the
rgb8 frame it was converted from."""

import io
import struct
import time

import numpy as np
from harness import Probe, start_graph
from PIL import Image as PILImage
from polling import wait_until
from sensor_msgs.msg import CompressedImage, Image

from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.ros import qos


def jpeg(pixels, quality=95):
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def first_rates(probe, since, publish, timeout=15.0):
    """Publish (again and again) until the sensor answers after ``since``; the first answer's rates."""
    found = wait_until(lambda: probe.messages("hebbian/sensor/rates", since), timeout, poll=0.1, each=publish)
    assert found, "the sensor did not answer"
    return np.asarray(found[0].rates)


def test_compressed_transport_senses_jpeg_and_drops_malformed_data(ros_env, tmp_path):
    graph = start_graph(ros_env, tmp_path, {"sensor": {"transport": "compressed"}}, only=("sensor",))
    probe = Probe()
    compressed = probe.node.create_publisher(CompressedImage, "camera/image_raw/compressed", qos.STREAM)

    def send(data, fmt="rgb8; jpeg compressed bgr8"):
        compressed.publish(CompressedImage(header=probe.header(), format=fmt, data=data))

    try:
        pixels = np.kron(scene("red_box", 160), np.ones((3, 4, 1), np.uint8))  # 480x640, like a webcam
        rates = first_rates(probe, time.monotonic(), lambda: send(jpeg(pixels)))
        assert rates.size > 0 and rates.max() > 0

        good = jpeg(pixels)
        bomb = bytearray(good)
        sof = bomb.index(b"\xff\xc0")
        bomb[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # claims 3.6 Gpx
        problems = {"truncated JPEG": good[: len(good) // 2], "refused before decoding": bytes(bomb)}
        for problem, data in problems.items():
            logged = wait_until(
                lambda problem=problem: any(problem in e for e in probe.errors("sensor")),
                10.0,
                poll=0.2,
                each=lambda data=data: send(data),
            )
            assert logged, (problem, probe.errors("sensor"))
        again = first_rates(probe, time.monotonic(), lambda: send(good))  # still running
        assert again.size == rates.size
    finally:
        probe.close()
        graph.stop()
    assert graph.events == [], graph.events


def rgb_to_yuy2(rgb):
    """BT.601 limited-range YUYV (the conversion usb_cam's camera does), chroma of each pair averaged."""
    f = rgb.astype(np.float64)
    y = 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255
    u = 128 + (-37.797 * f[..., 0] - 74.203 * f[..., 1] + 112.0 * f[..., 2]) / 255
    v = 128 + (112.0 * f[..., 0] - 93.786 * f[..., 1] - 18.214 * f[..., 2]) / 255
    packed = np.stack([y[:, 0::2], (u[:, 0::2] + u[:, 1::2]) / 2, y[:, 1::2], (v[:, 0::2] + v[:, 1::2]) / 2], -1)
    return np.clip(np.round(packed), 0, 255).astype(np.uint8).tobytes()


def test_raw_yuv422_frame_is_sensed_like_its_rgb8_original(ros_env, tmp_path):
    graph = start_graph(ros_env, tmp_path, only=("sensor",))
    probe = Probe()
    try:
        # 128 px: even at YUV 4:2:2's half horizontal resolution every field keeps 8 x 16 pixels
        pixels = scene("blue_disc", 128)
        header = probe.header

        def send_yuv():
            probe.camera.publish(
                Image(
                    header=header(), height=128, width=128, encoding="yuv422_yuy2", step=256, data=rgb_to_yuy2(pixels)
                )
            )

        yuv_rates = first_rates(probe, time.monotonic(), send_yuv)
        assert yuv_rates.max() > 0 and not probe.errors("sensor")
    finally:
        probe.close()
        graph.stop()
    assert graph.events == [], graph.events
    # the first frame of a fresh sensor is sensed from scratch; the same first frame as rgb8 in-process,
    # by a retina with the graph's sensor parameters:
    from hebbian_ros.core.parameters import read_overrides
    from hebbian_ros.core.sensing.image_decoding import decode_image
    from hebbian_ros.core.sensing.retina import Retina, RetinaParams
    from hebbian_ros.resources import config_file

    params = RetinaParams.from_parameters(read_overrides(config_file("sensor.yaml"), "sensor"))
    expected = Retina(params).see(decode_image(128, 128, "rgb8", 384, pixels.tobytes()), 0.0)
    np.testing.assert_allclose(yuv_rates, expected.ravel(), atol=0.05 * float(expected.max()))
