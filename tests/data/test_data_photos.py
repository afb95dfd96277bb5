"""Photo edits, harmonic inpainting, photo pairs from a folder with broken files, importers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from zeroplay.data.pairs import load_pairs
from zeroplay.data.photos.edits import PHOTO_EDITS, apply_photo_edit, mean_change
from zeroplay.data.photos.importer import import_image_folder, import_pair_folders
from zeroplay.data.photos.inpaint import harmonic_fill
from zeroplay.data.photos.pairs import PhotoPairConfig, PhotoPairMaker, fit_within
from zeroplay.data.runner import generate_pairs
from zeroplay.data.seeding import pair_rng


def textured(height=120, width=160, seed=0) -> np.ndarray:
    """Colourful blocks: every region has structure, so every edit is visible."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(height // 10 + 1, width // 10 + 1, 3), dtype=np.uint8)
    return np.repeat(np.repeat(blocks, 10, axis=0), 10, axis=1)[:height, :width].copy()


def outside_boxes(shape, boxes):
    mask = np.ones(shape[:2], dtype=bool)
    for left, top, right, bottom in boxes:
        mask[top:bottom, left:right] = False
    return mask


@pytest.mark.parametrize("kind", PHOTO_EDITS)
def test_edits_are_local_and_visible(kind):
    image = textured()
    edits = [apply_photo_edit(image, kind, pair_rng(seed, 0)) for seed in range(4)]
    made = [e for e in edits if e is not None]
    assert made, kind
    for edit in made:
        assert edit.kind == kind and edit.image.shape == image.shape
        assert np.array_equal(
            edit.image[outside_boxes(image.shape, edit.boxes)],
            image[outside_boxes(image.shape, edit.boxes)],
        )
        assert mean_change(image, edit.image, edit.boxes) >= 12.0
        for left, top, right, bottom in edit.boxes:
            assert 0 <= left < right <= image.shape[1] and 0 <= top < bottom <= image.shape[0]


def test_swap_patches_uses_two_disjoint_boxes():
    edit = apply_photo_edit(textured(), "swap_patches", pair_rng(1, 0))
    a, b = edit.boxes
    assert (a[2] - a[0], a[3] - a[1]) == (b[2] - b[0], b[3] - b[1])
    assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_flat_or_tiny_images_get_no_edit():
    flat = np.full((80, 80, 3), 128, dtype=np.uint8)
    for kind in ("swap_patches", "mirror", "inpaint"):
        assert apply_photo_edit(flat, kind, pair_rng(0, 0)) is None
    assert apply_photo_edit(textured(20, 20), "recolor", pair_rng(0, 0)) is None


def test_harmonic_fill_reproduces_a_linear_ramp():
    # Linear functions are harmonic, so filling a hole in a ramp gives the ramp back.
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32), (48, 1))[..., None]
    known = np.ones((48, 64), dtype=bool)
    known[10:30, 20:45] = False
    filled = harmonic_fill(np.where(known[..., None], ramp, 0.0), known)
    assert np.abs(filled - ramp).max() < 2.0


def test_fit_within_only_shrinks():
    big = Image.new("RGB", (2000, 1000))
    assert fit_within(big, 500).size == (500, 250)
    assert fit_within(Image.new("RGB", (30, 20)), 500).size == (30, 20)


def make_photo_folder(root):
    root.mkdir()
    for i in range(3):
        Image.fromarray(textured(seed=i)).save(root / f"photo_{i}.png")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")


def test_photo_pairs_skip_broken_files(tmp_path):
    from zeroplay.data.images import load_image_folder

    photos = tmp_path / "photos"
    make_photo_folder(photos)
    folder = load_image_folder(photos)
    assert len(folder.paths) == 3 and len(folder.skipped) == 1
    out = tmp_path / "pairs"
    report = generate_pairs(
        PhotoPairMaker(PhotoPairConfig(max_side=100), photos, folder.paths), out, 4
    )
    assert report.made == 4
    pairs = load_pairs(out)
    assert [p.domain for p in pairs] == ["photo"] * 4
    diff = json.loads((out / "000003_diff.json").read_text())
    assert diff["source"] == "photo_0.png" and diff["boxes"]
    assert Image.open(out / "000000_original.png").size == (100, 75)


def test_import_pair_folders(tmp_path):
    source, edited, out = tmp_path / "source", tmp_path / "edited", tmp_path / "out"
    source.mkdir()
    edited.mkdir()
    base = textured()
    changed = base.copy()
    changed[20:40, 30:70] = 255 - changed[20:40, 30:70]
    Image.fromarray(base).save(source / "a.png")
    Image.fromarray(changed).save(edited / "a.png")
    Image.fromarray(base).save(source / "lonely.png")
    Image.fromarray(base).save(source / "b.png")
    (edited / "b.jpg").write_bytes(b"broken")
    report = import_pair_folders(source, edited, out)
    assert (
        report.imported == 1
        and len(report.skipped) == 1
        and [p.name for p in report.unmatched] == ["lonely.png"]
    )
    (pair,) = load_pairs(out)
    assert pair.edit == "imported" and pair.boxes == [(30, 20, 70, 40)]
    again = import_pair_folders(source, edited, out)
    assert again.imported == 0 and again.already_done == 1


def test_import_image_folder(tmp_path):
    images, out = tmp_path / "images", tmp_path / "out"
    (images / "sub").mkdir(parents=True)
    Image.fromarray(textured()).save(images / "sub" / "small.png")
    Image.new("RGB", (400, 200), (5, 5, 5)).save(images / "large.jpg")
    Image.new("RGB", (40, 40)).save(images / "other.bmp")
    (images / "bad.png").write_bytes(b"\x89PNG broken")
    report = import_image_folder(images, out, max_side=200)
    assert report.imported == 3 and len(report.skipped) == 1
    assert (out / "sub" / "small.png").read_bytes() == (images / "sub" / "small.png").read_bytes()
    assert Image.open(out / "large.png").size == (200, 100)
    assert (out / "other.png").exists()
