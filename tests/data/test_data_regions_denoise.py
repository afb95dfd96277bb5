"""Pixel boxes, difference regions and the label-guided denoiser."""

from __future__ import annotations

import numpy as np
import pytest

from zeroplay.data.clevr.denoise import clamp_outliers, denoise
from zeroplay.data.regions import (
    difference_boxes,
    difference_mask,
    mask_regions,
    pad_box,
    union_box,
)


def test_union_and_pad():
    assert union_box([(1, 2, 5, 6), (4, 0, 9, 3)]) == (1, 0, 9, 6)
    assert pad_box((1, 2, 5, 6), 3, 7, 20) == (0, 0, 7, 9)
    with pytest.raises(ValueError):
        union_box([])


def test_two_blobs_give_two_exact_boxes():
    mask = np.zeros((64, 80), dtype=bool)
    mask[3:9, 4:12] = True
    mask[40:50, 60:75] = True
    assert mask_regions(mask) == [(4, 3, 12, 9), (60, 40, 75, 50)]


def test_blobs_within_the_gap_merge():
    mask = np.zeros((32, 64), dtype=bool)
    mask[2:4, 2:4] = True
    mask[2:4, 18:20] = True  # tiles 0 and 2: one empty tile between them (gap 1)
    assert mask_regions(mask, cell=8, gap=1) == [(2, 2, 20, 4)]
    assert mask_regions(mask, cell=8, gap=0) == [(2, 2, 4, 4), (18, 2, 20, 4)]


def test_empty_mask_and_difference_threshold():
    assert mask_regions(np.zeros((10, 10), dtype=bool)) == []
    a = np.zeros((16, 16, 3), dtype=np.uint8)
    b = a.copy()
    b[5, 6] = (0, 17, 0)
    b[1, 1] = (16, 16, 16)  # not above the threshold
    assert difference_mask(a, b, 16).sum() == 1
    assert difference_boxes(a, b, threshold=16) == [(6, 5, 7, 6)]
    with pytest.raises(ValueError):
        difference_mask(a, b[:8], 16)


def test_denoise_keeps_flat_regions_and_label_edges():
    image = np.zeros((12, 12, 3), dtype=np.uint8)
    image[:, 6:] = 200
    labels = np.full((12, 12), -1, dtype=np.int16)
    labels[:, 6:] = 0
    assert np.array_equal(denoise(image, labels), image)


def test_single_pixel_outlier_is_clamped():
    image = np.full((5, 5, 3), 100.0, dtype=np.float32)
    image[2, 2] = 250.0
    labels = np.zeros((5, 5), dtype=np.int16)
    clamped = clamp_outliers(image, labels)
    assert clamped[2, 2].tolist() == [100.0, 100.0, 100.0]
    # A pixel alone in its label keeps its value.
    labels[2, 2] = 3
    assert clamp_outliers(image, labels)[2, 2].tolist() == [250.0, 250.0, 250.0]


def test_denoise_reduces_noise_on_a_flat_surface():
    rng = np.random.default_rng(0)
    noisy = np.clip(128 + rng.normal(0, 4, size=(40, 40, 3)), 0, 255).astype(np.uint8)
    labels = np.zeros((40, 40), dtype=np.int16)
    assert denoise(noisy, labels).astype(float).std() < noisy.astype(float).std() / 2
