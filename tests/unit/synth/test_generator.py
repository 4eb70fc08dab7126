"""Synthetic scenes: deterministic by seed, ground truth consistent with the pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roadlabel.labels import LANE_TYPES
from workers.prelabel.camera import project_ego_points
from workers.synth import SceneConfig, generate_sequence, make_scene, write_mp4
from workers.synth.road import Road

SMALL = SceneConfig(width=160, height=90, n_frames=6)


def test_same_seed_gives_identical_frames_and_labels() -> None:
    a = generate_sequence(5, config=SMALL)
    b = generate_sequence(5, config=SMALL)
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True))
    assert a.document == b.document
    assert a.calibration == b.calibration


def test_different_seeds_give_different_scenes() -> None:
    a = generate_sequence(5, config=SMALL)
    b = generate_sequence(6, config=SMALL)
    assert not np.array_equal(a.frames[0], b.frames[0])
    assert a.document.sequence_id != b.document.sequence_id


def test_frames_have_the_configured_size_and_timestamps() -> None:
    seq = generate_sequence(7, config=SMALL)
    assert [f.shape for f in seq.frames] == [(90, 160, 3)] * 6
    assert seq.frames[0].dtype == np.uint8
    assert [f.timestamp_s for f in seq.document.frames] == [i / 10.0 for i in range(6)]


def test_box_centres_project_onto_their_own_pixels() -> None:
    """A fully visible box's projected centre is covered by that object's colour, not road."""
    seq = generate_sequence(8, n_frames=1)
    frame = seq.frames[0]
    checked = 0
    for box in seq.document.frames[0].boxes:
        if box.attributes["visibility"] != "1.00" or int(box.attributes["visible_px"]) < 200:
            continue
        uv, _ = project_ego_points(seq.calibration, np.array([[box.x, box.y, box.z]]))
        u, v = int(uv[0, 0]), int(uv[0, 1])
        actor = next(a for a in seq.scene.actors if a.track_id == box.track_id)
        pixel = frame[v, u].astype(float) / 255.0
        # The faces are the actor colour scaled by shading and light, so hue direction matches.
        colour = np.asarray(actor.color)
        cos = pixel @ colour / (np.linalg.norm(pixel) * np.linalg.norm(colour) + 1e-9)
        assert cos > 0.9, (box.track_id, pixel, colour)
        checked += 1
    assert checked >= 1


def test_lane_image_points_are_projections_of_the_3d_points() -> None:
    seq = generate_sequence(9, n_frames=2)
    lanes = seq.document.frames[1].lanes
    assert len(lanes) >= 2
    for lane in lanes:
        assert lane.lane_type in LANE_TYPES and lane.color in ("white", "yellow")
        uv, depth = project_ego_points(seq.calibration, np.asarray(lane.points_ego))
        assert np.all(depth > 0)
        assert np.allclose(uv, np.asarray(lane.points_image), atol=0.1)


def test_occlusion_is_measured() -> None:
    """Across a few seeds some object is partly hidden behind another one."""
    fractions = []
    for seed in range(20, 26):
        seq = generate_sequence(seed, config=SceneConfig(n_frames=1, cars=(8, 8)))
        fractions += [float(b.attributes["visibility"]) for b in seq.document.frames[0].boxes]
    assert min(fractions) < 0.9
    assert max(fractions) == 1.0


def test_lighting_changes_over_a_sequence() -> None:
    scene = make_scene(3)
    light = [scene.lighting.brightness(scene.time(i)) for i in range(scene.config.n_frames)]
    assert max(light) / min(light) > 1.05


def test_curved_and_straight_roads_and_every_marking_style_occur() -> None:
    scenes = [make_scene(s) for s in range(40)]
    assert any(sc.road.curvature == 0.0 for sc in scenes)
    assert any(abs(sc.road.curvature) > 1e-3 for sc in scenes)
    styles = {m.lane_type for sc in scenes for m in sc.road.markings}
    colors = {m.color for sc in scenes for m in sc.road.markings}
    assert {"solid", "dashed", "double_solid"} <= styles and colors == {"white", "yellow"}


def test_road_coordinates_round_trip_on_a_curve() -> None:
    road = Road(1.0 / 150.0, 7.0, ())
    s, d = np.array([0.0, 30.0, 120.0]), np.array([-3.0, 0.0, 5.0])
    s2, d2 = road.to_road(*road.to_world(s, d))
    assert np.allclose(s, s2) and np.allclose(d, d2)


def test_mp4_output_decodes_to_the_same_number_of_frames(tmp_path: Path) -> None:
    import av

    seq = generate_sequence(4, config=SMALL)
    path = tmp_path / "clip.mp4"
    assert write_mp4(path, seq.frames) == 6
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 6 and decoded[0].shape == (90, 160, 3)
    assert np.abs(decoded[0].astype(int) - seq.frames[0]).mean() < 12
