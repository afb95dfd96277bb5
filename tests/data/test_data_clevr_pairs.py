"""Rendered CLEVR pairs at 96x72 and 4 samples per pixel (Mitsuba's CPU variant)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from data_helpers import requires_mitsuba, tiny_clevr_config
from PIL import Image

from zeroplay.data.clevr.pairs import ClevrPairMaker, sample_pair
from zeroplay.data.clevr.raycast import cast, hit_distance
from zeroplay.data.clevr.render import MitsubaRenderer, RenderConfig
from zeroplay.data.regions import pad_box
from zeroplay.data.runner import generate_pairs

pytestmark = requires_mitsuba

CLEVR_OBJECT_KEYS = {"shape", "color", "material", "size", "3d_coords", "rotation", "pixel_coords"}


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def checksum(path) -> str:
    return hashlib.sha256(pixels(path).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def clevr_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clevr")
    maker = ClevrPairMaker(tiny_clevr_config(edits=("color_shape", "remove", "move")))
    report = generate_pairs(maker, folder, 3)
    assert report.made == 3
    return folder


def test_same_seed_same_json_and_pixels(clevr_folder, tmp_path):
    generate_pairs(
        ClevrPairMaker(tiny_clevr_config(edits=("color_shape", "remove", "move"))), tmp_path, 2
    )
    for pid in ("000000", "000001"):
        for part in ("original", "modified"):
            assert checksum(clevr_folder / f"{pid}_{part}.png") == checksum(
                tmp_path / f"{pid}_{part}.png"
            )
            assert (clevr_folder / f"{pid}_{part}.json").read_text() == (
                tmp_path / f"{pid}_{part}.json"
            ).read_text()
        assert (clevr_folder / f"{pid}_diff.json").read_text() == (
            tmp_path / f"{pid}_diff.json"
        ).read_text()


def test_scene_json_is_clevr_format(clevr_folder):
    scene = json.loads((clevr_folder / "000000_original.json").read_text())
    assert scene["image_filename"] == "000000_original.png"
    assert set(scene["relationships"]) == {"left", "right", "front", "behind"}
    assert set(scene["directions"]) == {"left", "right", "front", "behind", "above", "below"}
    for obj in scene["objects"]:
        assert set(obj) >= CLEVR_OBJECT_KEYS
        assert all(isinstance(v, int) for v in obj["pixel_coords"][:2])
        assert obj["visible_pixels"] > 0


def test_only_recorded_objects_differ(clevr_folder):
    for pid in ("000000", "000001", "000002"):
        before = json.loads((clevr_folder / f"{pid}_original.json").read_text())["objects"]
        after = json.loads((clevr_folder / f"{pid}_modified.json").read_text())["objects"]
        diff = json.loads((clevr_folder / f"{pid}_diff.json").read_text())
        keys = ("shape", "color", "material", "size", "3d_coords")

        def strip(o, keys=keys):
            return {k: o[k] for k in keys}

        touched_before = {c["original_index"] for c in diff["changes"]} - {None}
        touched_after = {c["modified_index"] for c in diff["changes"]} - {None}
        kept_before = [strip(o) for i, o in enumerate(before) if i not in touched_before]
        kept_after = [strip(o) for i, o in enumerate(after) if i not in touched_after]
        assert kept_before == kept_after
        for change in diff["changes"]:
            if change["before"] and change["after"]:
                differing = {k for k in keys if change["before"][k] != change["after"][k]}
                if diff["edit"] == "color_shape":
                    assert {"color", "shape"} <= differing <= {"color", "shape", "3d_coords"}
                assert differing


def test_pixel_difference_is_inside_the_boxes(clevr_folder):
    for pid in ("000000", "000001", "000002"):
        a = pixels(clevr_folder / f"{pid}_original.png").astype(int)
        b = pixels(clevr_folder / f"{pid}_modified.png").astype(int)
        diff = json.loads((clevr_folder / f"{pid}_diff.json").read_text())
        delta = np.abs(a - b).sum(axis=-1)
        assert delta.sum() > 0
        inside = np.zeros(delta.shape, dtype=bool)
        height, width = delta.shape
        for box in diff["boxes"]:
            # A few pixels of slack for soft shadows and the reconstruction filter.
            left, top, right, bottom = pad_box(tuple(box), 4, width, height)
            inside[top:bottom, left:right] = True
        assert delta[inside].sum() / delta.sum() > 0.85, pid


def test_raycast_matches_mitsuba_depth():
    """The numpy camera and Mitsuba's agree: object depths match pixel for pixel."""
    config = tiny_clevr_config()
    pair = sample_pair(config, 0)
    renderer = MitsubaRenderer(RenderConfig(spp=1, variant="scalar_rgb"))
    mi = renderer.mi
    desc = renderer.scene_dict(pair.original)
    desc["sensor"]["film"]["rfilter"] = {"type": "box"}
    depth = np.array(
        mi.render(
            mi.load_dict(desc), integrator=mi.load_dict({"type": "aov", "aovs": "d:depth"}), spp=1
        )
    )[..., 0]
    labels = cast(pair.original).labels
    cam = pair.original.camera
    dirs = cam.pixel_rays().reshape(-1, 3)
    nearest = np.full(len(dirs), np.inf)
    for obj in pair.original.objects:
        nearest = np.minimum(nearest, hit_distance(obj, np.array(cam.position), dirs))
    ours = nearest.reshape(labels.shape)
    on_object = labels >= 0
    # Mitsuba jitters the sample inside each pixel, so compare medians, not every pixel.
    assert np.median(np.abs(ours[on_object] - depth[on_object])) < 0.05
