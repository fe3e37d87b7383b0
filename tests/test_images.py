import numpy as np
import pytest
from PIL import Image

from facegan.errors import FaceganError
from facegan.images import image_grid, save_grid


def test_grid_places_images_in_rows():
    imgs = np.stack([np.full((4, 4, 3), v, np.uint8) for v in (10, 20, 30, 40, 50, 60)])
    g = image_grid(imgs, ncols=3, pad=1)
    assert g.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    assert g[1, 1, 0] == 10 and g[1, 6, 0] == 20 and g[6, 1, 0] == 40 and g[6, 11, 0] == 60


def test_row_labels_add_a_margin_with_text(tmp_path):
    imgs = np.zeros((6, 8, 8, 3), np.uint8)                       # black images
    plain = np.asarray(Image.open(save_grid(tmp_path / "a.png", imgs, ncols=3)))
    labelled = np.asarray(Image.open(save_grid(tmp_path / "b.png", imgs, ncols=3,
                                               row_labels=["original", "navier-stokes"])))
    margin = labelled.shape[1] - plain.shape[1]
    assert labelled.shape[0] == plain.shape[0] and margin > 20     # room for the longest label
    np.testing.assert_array_equal(labelled[:, margin:], plain)     # the grid itself is unchanged
    left = labelled[:, :margin]
    half = left.shape[0] // 2
    assert (left[:half] < 128).any() and (left[half:] < 128).any()  # text drawn beside each row


def test_row_labels_must_match_rows(tmp_path):
    with pytest.raises(FaceganError, match="3 row labels for a grid of 2 rows"):
        save_grid(tmp_path / "c.png", np.zeros((6, 8, 8, 3), np.uint8), ncols=3, row_labels=["a", "b", "c"])
