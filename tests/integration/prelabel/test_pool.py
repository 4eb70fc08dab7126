"""The pre-label stage on Ray gives the same labels as the local path, awaitable from asyncio."""

from __future__ import annotations

import asyncio

import pytest

from roadlabel.labels import Calibration, FrameLabels, LabelDocument
from workers.prelabel import PrelabelPool, baseline_config, prelabel_frames, prelabel_segment
from workers.prelabel.preprocess import encode_jpeg
from workers.synth import SceneConfig, generate_sequence


@pytest.fixture(scope="module")
def clip() -> tuple[list[bytes], Calibration, list[float]]:
    seq = generate_sequence(3, config=SceneConfig(n_frames=10))
    return ([encode_jpeg(f) for f in seq.frames], seq.calibration,
            [f.timestamp_s for f in seq.document.frames])


def test_pool_matches_local_and_is_awaitable(
    ray_local: None, clip: tuple[list[bytes], Calibration, list[float]]
) -> None:
    import ray

    jpegs, cal, times = clip
    cfg = baseline_config(providers=("CPUExecutionProvider",))
    local = prelabel_frames(jpegs, cal, cfg, list(range(10)), times)
    assert sum(len(f.boxes) for f in local) > 0
    pool = PrelabelPool(cfg, n_actors=2, num_cpus=1)
    try:
        info = ray.get(pool.info_refs())
        assert all(i["providers"][-1] == "CPUExecutionProvider" for i in info)
        frames_ref = ray.put(jpegs[:5])  # frames may travel as an object ref

        async def run() -> tuple[list[FrameLabels], list[FrameLabels], LabelDocument]:
            a = await pool.submit(frames_ref, cal, range(5), times[:5])
            b = await pool.submit(jpegs[5:], cal, range(5, 10), times[5:])
            doc = await pool.submit_segment("synth-3", 0, jpegs, cal, times)
            return a, b, doc

        first, second, doc = asyncio.run(run())
    finally:
        pool.shutdown()
    assert first + second == local
    expected = prelabel_segment("synth-3", 0, jpegs, cal, cfg, times)
    assert doc == expected
    assert doc.model_version.startswith("roadlabel-baseline")
    assert {b.track_id for f in doc.frames for b in f.boxes}
