"""Camera input per frame: decode + sense at 640x480 and 1280x720 for raw rgb8, YUV 4:2:2, Bayer, NV21,
JPEG and PNG, and the JPEG library choice (simplejpeg = libjpeg-turbo vs Pillow) side by side.

Usage: python bench/camera_decoding.py [--quick]

Frames: a synthetic camera scene (smooth shading, four coloured objects, sensor noise sigma 2/255),
encoded once per size: JPEG at quality 95 (image_transport's default jpeg_quality), PNG at level 3.
Per frame:
- ``decode``: the payload to float32 intensities in [0, 1] (the sensor's decoders; for JPEG also
  Pillow, at full size and with ``draft()``, its DCT-domain scaling);
- ``decode + sense``: decode, then the sensor's chain on the default 8x8 grid (pool onto receptive
  fields, colour opponent, ON/OFF contrast, habituation) = the sensor node's core work per frame;
- ``node``: the sensor node's subscription callback in this process (rclpy node with ``transport`` raw or
  compressed, message in through the /diagnostics counting wrapper, FiringRates published; no DDS).
"DCT" decodes at the scale the sensor uses (8 pixels per field side: ``jpeg_field_pixels`` raised to the edge cells' ``edge_resolution``; :func:`dct_scale`): 1/4 at 640x480
(120x160 tiles the 8x8 fields exactly), 1/8 at 1280x720; Pillow's ``draft()`` at the same scale. All variants run round-robin in one process, so their ratios share the machine's
state.
Writes bench/results/camera_decoding.json (camera_decoding_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import common
import numpy as np
import simplejpeg
from PIL import Image as PILImage

from hebbian_ros.core.parameters import read_overrides
from hebbian_ros.core.sensing.compressed import dct_scale, decode_compressed
from hebbian_ros.core.sensing.image_decoding import decode_image
from hebbian_ros.core.sensing.retina import Retina, RetinaParams

SIZES = ((640, 480), (1280, 720))
GRID = (8, 8)
FIELD_PIXELS = 8  # what sensor_node uses with edge cells on (jpeg_field_pixels 4, edge_resolution 8)
JPEG_QUALITY = 95
#: the sensor shipped until RESULTS 5p (absolute contrast, one ON/OFF cell per axis: 1920 rates), timed beside it
PREVIOUS_SENSOR = read_overrides(Path(__file__).parent / "configs" / "sensor_5m" / "sensor.yaml", "sensor")
PREVIOUS_NAME = "5m sensor (1920 rates)"


def scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A table-top-like rgb8 frame: shaded background, four coloured objects, sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[:] = (0.55 + 0.25 * yy / height)[:, :, None] * np.array([0.9, 0.85, 0.75], np.float32)
    for (cx, cy, r), colour in zip(
        [(0.25, 0.4, 0.12), (0.5, 0.6, 0.1), (0.75, 0.4, 0.11), (0.5, 0.25, 0.08)],
        [(0.8, 0.1, 0.1), (0.1, 0.7, 0.2), (0.15, 0.2, 0.85), (0.9, 0.85, 0.1)],
    ):
        mask = (xx - cx * width) ** 2 + (yy - cy * height) ** 2 < (r * height) ** 2
        shade = 0.8 + 0.2 * (xx - cx * width) / (r * height)
        image[mask] = np.array(colour, np.float32) * shade[mask, None]
    image += rng.normal(0, 2 / 255, image.shape).astype(np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def rgb_to_yuy2(rgb: np.ndarray) -> bytes:
    """BT.601 limited-range YUYV of an rgb8 frame (chroma of each pixel pair averaged)."""
    f = rgb.astype(np.float32)
    y = 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255
    u = 128 + (-37.797 * f[..., 0] - 74.203 * f[..., 1] + 112.0 * f[..., 2]) / 255
    v = 128 + (112.0 * f[..., 0] - 93.786 * f[..., 1] - 18.214 * f[..., 2]) / 255
    packed = np.empty((rgb.shape[0], rgb.shape[1] // 2, 4), np.float32)
    packed[..., 0], packed[..., 2] = y[:, 0::2], y[:, 1::2]
    packed[..., 1] = (u[:, 0::2] + u[:, 1::2]) / 2
    packed[..., 3] = (v[:, 0::2] + v[:, 1::2]) / 2
    return np.clip(np.round(packed), 0, 255).astype(np.uint8).tobytes()


def rgb_to_nv21(rgb: np.ndarray) -> bytes:
    f = rgb.astype(np.float32)
    y = 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255
    u = 128 + (-37.797 * f[..., 0] - 74.203 * f[..., 1] + 112.0 * f[..., 2]) / 255
    v = 128 + (112.0 * f[..., 0] - 93.786 * f[..., 1] - 18.214 * f[..., 2]) / 255
    vu = np.empty((rgb.shape[0] // 2, rgb.shape[1]), np.float32)
    vu[:, 0::2], vu[:, 1::2] = v[0::2, 0::2], u[0::2, 0::2]
    return np.clip(np.round(np.concatenate([y, vu])), 0, 255).astype(np.uint8).tobytes()


def rgb_to_bayer_rggb(rgb: np.ndarray) -> bytes:
    raw = rgb[:, :, 1].copy()
    raw[0::2, 0::2] = rgb[0::2, 0::2, 0]
    raw[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return raw.tobytes()


class Sense:
    """The sensor's per-frame chain (what sensor_node does after decoding): its defaults, or ``overrides``."""

    def __init__(self, **overrides) -> None:
        self.retina = Retina(RetinaParams(rows=GRID[0], cols=GRID[1], **overrides))

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.retina.see(image, 1 / 30, validate=False)


def pillow_jpeg(data: bytes, draft: tuple[int, int] | None = None) -> np.ndarray:
    image = PILImage.open(io.BytesIO(data))
    if draft is not None:
        image.draft("RGB", draft)  # DCT-domain scaling to the smallest size >= draft
    return np.multiply(np.asarray(image.convert("RGB")), np.float32(1 / 255), dtype=np.float32)


def variants(width: int, height: int) -> dict[str, tuple[str, object]]:
    """name -> (group, decode function) for one frame size."""
    rgb = scene(width, height)
    raw = rgb.tobytes()
    yuy2, nv21, bayer = rgb_to_yuy2(rgb), rgb_to_nv21(rgb), rgb_to_bayer_rggb(rgb)
    jpeg = simplejpeg.encode_jpeg(rgb, quality=JPEG_QUALITY, colorsubsampling="420")
    buffer = io.BytesIO()
    PILImage.fromarray(rgb).save(buffer, "PNG", compress_level=3)
    png = buffer.getvalue()
    factor = dct_scale(height, width, GRID, FIELD_PIXELS)  # the same DCT scale for both libraries
    draft = (-(-width // factor), -(-height // factor))
    sizes = {"rgb8": len(raw), "yuv422_yuy2": len(yuy2), "nv21": len(nv21), "bayer_rggb8": len(bayer)}
    sizes.update({"jpeg": len(jpeg), "png": len(png)})
    return sizes, {
        "rgb8": ("raw", lambda: decode_image(height, width, "rgb8", 3 * width, raw)),
        "yuv422_yuy2": ("raw", lambda: decode_image(height, width, "yuv422_yuy2", 2 * width, yuy2)),
        "nv21": ("raw", lambda: decode_image(height, width, "nv21", width, nv21)),
        "bayer_rggb8": ("raw", lambda: decode_image(height, width, "bayer_rggb8", width, bayer)),
        "jpeg simplejpeg full": ("jpeg", lambda: decode_compressed("jpeg", jpeg)),
        "jpeg simplejpeg DCT": ("jpeg", lambda: decode_compressed("jpeg", jpeg, 16_000_000, GRID, FIELD_PIXELS)),
        "jpeg Pillow full": ("jpeg", lambda: pillow_jpeg(jpeg)),
        "jpeg Pillow DCT (draft)": ("jpeg", lambda: pillow_jpeg(jpeg, draft)),
        "png Pillow": ("png", lambda: decode_compressed("png", png)),
    }


def node_callbacks(width: int, height: int) -> tuple[dict[str, object], object]:
    """In-process sensor nodes (raw and compressed transport): ``{name: call}`` and a teardown.

    Each call hands one message to the subscription's callback exactly as the executor does (through the
    /diagnostics counting wrapper), so the figure is the node's whole per-frame work without DDS.
    """
    import rclpy
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import CompressedImage

    from hebbian_ros.nodes.conversions import image_to_msg
    from hebbian_ros.nodes.sensor_node import SensorNode

    context = rclpy.Context()
    rclpy.init(context=context)
    pixels = scene(width, height)
    nodes, calls = [], {}
    for transport in ("raw", "compressed"):
        node = SensorNode(
            f"sensor_{transport}",
            context=context,
            parameter_overrides=[Parameter("transport", Parameter.Type.STRING, transport)],
        )
        nodes.append(node)
        (subscription,) = [s for s in node.subscriptions if s.topic_name.endswith(("image_raw", "compressed"))]
        if transport == "raw":
            message = image_to_msg(pixels, _header(node))
            name = "rgb8 | node (sensor_node callback)"
        else:
            message = CompressedImage(header=_header(node), format="rgb8; jpeg compressed bgr8")
            message.data = simplejpeg.encode_jpeg(pixels, quality=JPEG_QUALITY, colorsubsampling="420")
            name = "jpeg | node (sensor_node callback)"
        calls[name] = lambda callback=subscription.callback, message=message: callback(message)
        if transport == "raw":  # the same without the /diagnostics counting wrapper: its cost on the hot path
            calls["rgb8 | node on_image, no counting wrapper"] = lambda node=node, message=message: node.on_image(
                message
            )
        drops = node.rejections.total
        calls[name]()
        assert node.rejections.total == drops, f"{name}: the node dropped the benchmark frame"

    def teardown() -> None:
        for node in nodes:
            node.destroy_node()
        rclpy.shutdown(context=context)

    return calls, teardown


def _header(node):
    """A real stamp (the node refuses unset ones); repeating it gives time steps of 0."""
    from std_msgs.msg import Header

    return Header(frame_id="camera", stamp=node.get_clock().now().to_msg())


def measure(functions: dict[str, object], repeats: int, seconds: float) -> dict[str, dict[str, float]]:
    """Seconds per call of every function, round-robin: ``repeats`` rounds of ~``seconds`` each."""
    numbers = {}
    for name, function in functions.items():  # warm-up and calls per round
        function()
        started, number = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            function()
            number += 1
        numbers[name] = max(number, 1)
    samples = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            for _ in range(numbers[name]):
                function()
            samples[name].append((time.perf_counter() - started) / numbers[name])
    return {
        name: {"best_s": min(s), "median_s": statistics.median(s), "calls_per_round": numbers[name]}
        for name, s in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short rounds (smoke run)")
    args = parser.parse_args()
    repeats, seconds = (3, 0.05) if args.quick else (7, 0.25)
    results = {}
    for width, height in SIZES:
        sizes, table = variants(width, height)
        functions = {}
        sensed = Sense()
        for name, (_, decode) in table.items():
            functions[f"{name} | decode"] = decode
            functions[f"{name} | decode + sense"] = lambda decode=decode: sensed(decode())
        previous = Sense(**PREVIOUS_SENSOR)  # the same frames through the sensor shipped before RESULTS 5p
        functions[f"rgb8 | decode + sense, {PREVIOUS_NAME}"] = lambda decode=table["rgb8"][1]: previous(decode())
        calls, teardown = node_callbacks(width, height)
        functions.update(calls)
        try:
            timings = measure(functions, repeats, seconds)
        finally:
            teardown()
        results[f"{width}x{height}"] = {"payload_bytes": sizes, "timings": timings}
        print(f"\n{width}x{height}   (fps = 1 / median s per frame; best in brackets)")
        for name, t in timings.items():
            print(f"  {name:48s} {1 / t['median_s']:9.0f} fps  ({1 / t['best_s']:7.0f})  {t['median_s'] * 1e3:7.3f} ms")
        ratio = {}
        for stage in ("decode", "decode + sense"):
            for scale in ("full", "DCT"):
                pillow = "jpeg Pillow DCT (draft)" if scale == "DCT" else "jpeg Pillow full"
                value = (
                    timings[f"{pillow} | {stage}"]["median_s"]
                    / timings[f"jpeg simplejpeg {scale} | {stage}"]["median_s"]
                )
                ratio[f"{stage}, {scale}"] = value
                print(f"  simplejpeg vs Pillow, {stage:15s} {scale:4s}: {value:5.2f}x faster")
        results[f"{width}x{height}"]["simplejpeg_speedup_over_pillow"] = ratio
        cost = (
            timings["rgb8 | decode + sense"]["median_s"]
            / timings[f"rgb8 | decode + sense, {PREVIOUS_NAME}"]["median_s"]
        )
        results[f"{width}x{height}"]["sense_time_over_previous_sensor"] = cost
        print(f"  rgb8 decode + sense, default sensor vs {PREVIOUS_NAME}: {cost:5.2f}x the time")
    name = "camera_decoding_quick" if args.quick else "camera_decoding"
    common.save(name, {"grid": GRID, "jpeg_quality": JPEG_QUALITY, "field_pixels": FIELD_PIXELS, "sizes": results})


if __name__ == "__main__":
    main()
