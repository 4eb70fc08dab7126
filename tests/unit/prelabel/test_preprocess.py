"""Frames to model input: JPEG round trip, resize without aliasing, contract tensor layout."""

from __future__ import annotations

import numpy as np

from workers.prelabel.preprocess import decode_jpeg, encode_jpeg, resize_rgb, to_input


def test_jpeg_round_trip_keeps_the_image() -> None:
    rng = np.random.default_rng(0)
    img = np.kron(rng.integers(0, 255, (9, 16, 3)), np.ones((10, 10, 1))).astype(np.uint8)
    back = decode_jpeg(encode_jpeg(img))
    assert back.shape == img.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - img).mean() < 10  # 4:2:0 chroma on random colours


def test_downscaling_a_fine_pattern_averages_instead_of_aliasing() -> None:
    stripes = np.zeros((180, 320, 3), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: point sampling would give all 0 or all 255
    out = resize_rgb(stripes, 96, 160)
    assert out.shape == (96, 160, 3)
    assert np.allclose(out, 127.5, atol=1.0)


def test_resize_preserves_constants_and_gradients() -> None:
    flat = np.full((54, 96, 3), 77, np.uint8)
    assert np.allclose(resize_rgb(flat, 96, 160), 77.0)  # upscaling too
    ramp = np.tile(np.arange(320, dtype=np.float64)[None, :, None] * 0.5, (180, 1, 3))
    out = resize_rgb(ramp.astype(np.uint8), 96, 160)
    assert np.all(np.diff(out[0, :, 0]) >= 0)  # monotone stays monotone


def test_to_input_is_nchw_rgb_scaled_to_unit_range() -> None:
    img = np.zeros((180, 320, 3), np.uint8)
    img[..., 0] = 255  # pure red
    batch = to_input([img, img], 96, 160)
    assert batch.shape == (2, 3, 96, 160) and batch.dtype == np.float32
    assert np.allclose(batch[:, 0], 1.0) and np.allclose(batch[:, 1:], 0.0)
