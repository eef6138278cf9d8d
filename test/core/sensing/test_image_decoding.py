import numpy as np
import pytest

from hebbian_ros.core.sensing.image_decoding import decode_image


@pytest.mark.parametrize(
    "encoding, pixel, expected",
    [
        ("mono8", b"\xff", [1.0]),
        ("rgb8", b"\xff\x00\x80", [1.0, 0.0, 128 / 255]),
        ("bgr8", b"\xff\x00\x80", [128 / 255, 0.0, 1.0]),
        ("rgba8", b"\x00\xff\x00\x10", [0.0, 1.0, 0.0]),
        ("bgra8", b"\x40\xff\x00\x10", [0.0, 1.0, 64 / 255]),
        ("8UC3", b"\x01\x02\x03", [1 / 255, 2 / 255, 3 / 255]),
        ("16UC1", np.array([65535], "<u2").tobytes(), [1.0]),
    ],
)
def test_encodings_decode_to_unit_range_rgb_order(encoding, pixel, expected):
    image = decode_image(2, 3, encoding, 3 * len(pixel), pixel * 6)
    assert image.shape == (2, 3, len(expected)) and image.dtype == np.float32
    assert image.flags["C_CONTIGUOUS"]  # pooling reduces contiguous row strips
    np.testing.assert_allclose(image[1, 2], expected, atol=1e-6)


def test_row_padding_is_ignored():
    rows = b"\x10\x20" + b"\x00\x00" + b"\x30\x40" + b"\x00\x00"
    image = decode_image(2, 2, "mono8", 4, rows)
    np.testing.assert_allclose(image[:, :, 0] * 255, [[16, 32], [48, 64]])


def test_big_endian_16bit():
    data = np.array([256], ">u2").tobytes()
    assert decode_image(1, 1, "16UC1", 2, data, is_bigendian=True)[0, 0, 0] == pytest.approx(256 / 65535)


@pytest.mark.parametrize(
    "args, problem",
    [
        ((2, 2, "yuv422_weird", 2, bytes(4)), "unknown encoding"),
        ((0, 2, "mono8", 2, b""), "zero size"),
        ((2, 2, "mono8", 2, bytes(3)), "data length"),
        ((2, 2, "rgb8", 2, bytes(4)), "step"),
        ((100000, 1, "mono8", 1, bytes(1)), "absurd size"),
    ],
)
def test_malformed_images_name_the_problem(args, problem):
    with pytest.raises(ValueError, match=problem):
        decode_image(*args)
