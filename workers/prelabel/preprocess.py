"""Frames to model input: JPEG decode, resize, NCHW float32 in [0, 1] (the contract's input)."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np


def decode_jpeg(data: bytes) -> np.ndarray:
    """Decode JPEG bytes to an (H, W, 3) uint8 RGB array (PyAV's mjpeg decoder)."""
    import av  # heavy import kept at the edge

    codec = av.CodecContext.create("mjpeg", "r")
    frames = codec.decode(av.Packet(data))
    if not frames:
        raise ValueError("JPEG bytes decode to no frame")
    return np.asarray(frames[0].to_ndarray(format="rgb24"))


def encode_jpeg(image: np.ndarray, quality: int = 3) -> bytes:
    """Encode an (H, W, 3) uint8 RGB array as JPEG (mjpeg qscale 2..31, lower is better)."""
    import av

    h, w = image.shape[:2]
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = w, h
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qscale": str(quality)}
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    packets = codec.encode(frame.reformat(format="yuvj420p"))
    packets += codec.encode(None)
    return b"".join(bytes(p) for p in packets)


def resize_rgb(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize (H, W, 3) uint8 to (height, width, 3) float32: box prefilter, then bilinear."""
    fy, fx = max(image.shape[0] // height, 1), max(image.shape[1] // width, 1)
    # Average whole blocks first so that downscaling does not alias.
    img = _block_mean(image, fy, fx) if fy > 1 or fx > 1 else image.astype(np.float32)
    y0, y1, wy = _taps(img.shape[0], height)
    x0, x1, wx = _taps(img.shape[1], width)
    rows = img[y0] * (1.0 - wy)[:, None, None] + img[y1] * wy[:, None, None]
    out: np.ndarray = rows[:, x0] * (1.0 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]
    return out


def _block_mean(image: np.ndarray, fy: int, fx: int) -> np.ndarray:
    h, w = (image.shape[0] // fy) * fy, (image.shape[1] // fx) * fx
    acc = np.zeros((h // fy, w // fx, 3), dtype=np.float32)
    for dy in range(fy):
        for dx in range(fx):
            acc += image[dy:h:fy, dx:w:fx]
    acc *= 1.0 / (fy * fx)
    return acc


def to_input(images: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """Stack RGB frames into the contract's `image` tensor [N, 3, height, width], / 255."""
    batch = np.empty((len(images), 3, height, width), dtype=np.float32)
    for i, image in enumerate(images):
        batch[i] = resize_rgb(image, height, width).transpose(2, 0, 1) / 255.0
    return batch


@functools.lru_cache(maxsize=32)
def _taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear taps (lower index, upper index, upper weight) for half-pixel-aligned centres."""
    pos = np.clip((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0.0, src - 1.0)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, src - 1)
    return lo, hi, (pos - lo).astype(np.float32)
