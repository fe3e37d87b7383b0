"""The paper crop box (known landmarks, shifting inside the image) and the 30x30 mouth box."""
from __future__ import annotations

import numpy as np
import pytest

from facegan.data.crop import crop_box, crop_boxes, crop_image, mouth_boxes, to_crop_coordinates
from facegan.errors import FaceganError

# CelebA 000001 (official landmarks): lefteye, righteye, nose, leftmouth, rightmouth
LM_000001 = np.array([[69, 109], [106, 113], [77, 142], [73, 152], [108, 154]])


def face(lefteye_x=69, mouth_y=152, dx=0, dy=0):
    lm = LM_000001.copy()
    lm[:, 0] += lefteye_x - 69 + dx
    lm[:, 1] += dy
    lm[3:, 1] = mouth_y + dy
    return lm


def test_celeba_000001():
    assert crop_box(LM_000001) == (49, 93)


def test_box_follows_the_rule_inside_the_image():
    for lx in range(20, 119):
        for my in (60, 100, 153, 198):
            assert crop_box(face(lx, my)) == (lx - 20, my - 60)


def test_mean_mouth_height_rounds_half_up():
    lm = LM_000001.copy()
    lm[3, 1], lm[4, 1] = 152, 153          # mean 152.5 -> 153
    assert crop_box(lm)[1] == 93


@pytest.mark.parametrize("lx, my, expected", [
    (5, 153, (0, 93)),          # too far left -> shifted right to the edge
    (150, 153, (98, 93)),       # too far right: 178 - 80 = 98
    (69, 40, (49, 0)),          # too high
    (69, 215, (49, 138)),       # too low: 218 - 80 = 138
    (-10, 300, (0, 138)),       # landmarks outside the image: still a full crop inside it
])
def test_box_is_shifted_to_stay_inside(lx, my, expected):
    left, top = crop_box(face(lx, my))
    assert (left, top) == expected
    assert 0 <= left <= 178 - 80 and 0 <= top <= 218 - 80


def test_other_image_sizes_and_too_small_images():
    assert crop_box(face(150, 153), image_shape=(300, 250)) == (130, 93)
    with pytest.raises(FaceganError, match="cannot hold"):
        crop_box(LM_000001, image_shape=(79, 178))


def test_vectorised_matches_single():
    rng = np.random.default_rng(1)
    lms = rng.integers(-20, 240, (50, 5, 2))
    boxes = crop_boxes(lms)
    assert boxes.shape == (50, 2)
    for lm, b in zip(lms, boxes):
        assert tuple(b) == crop_box(lm)


def test_crop_image_cuts_the_box_without_resizing():
    img = np.arange(218 * 178 * 3, dtype=np.int64).reshape(218, 178, 3)
    c = crop_image(img, LM_000001)
    assert c.shape == (80, 80, 3)
    np.testing.assert_array_equal(c, img[93:173, 49:129])


def test_crop_coordinates_put_eye_and_mouth_where_the_paper_says():
    lm = to_crop_coordinates(LM_000001, crop_box(LM_000001))[0]
    assert lm[0].tolist() == [20, 16]                   # left eye 20 px from the left edge
    assert (lm[3, 1] + lm[4, 1]) / 2 == 60              # mouth at row 60


def _corners_inside(box, lm):
    t, l, h, w = box
    return all(l <= x < l + w and t <= y < t + h for x, y in lm[3:])


def test_mouth_box_covers_a_mouth_narrower_than_the_hole():
    rng = np.random.default_rng(2)
    for _ in range(200):
        lm = face(int(rng.integers(25, 110)), int(rng.integers(62, 210)))
        half = int(rng.integers(5, 14))                 # mouth width 10..28 px
        cx = int(rng.integers(lm[0, 0] - 5, lm[0, 0] + 30))
        lm[3, 0], lm[4, 0] = cx - half, cx + half
        lm[4, 1] = lm[3, 1] + int(rng.integers(-4, 5))
        box = crop_boxes(lm)
        clm = to_crop_coordinates(lm, box)[0]
        mb = mouth_boxes(clm)[0]
        t, l, h, w = mb
        assert (h, w) == (30, 30)
        assert 0 <= t and t + h <= 80 and 0 <= l and l + w <= 80   # inside the crop
        assert _corners_inside(mb, clm), (lm.tolist(), mb.tolist())


def test_mouth_box_is_centred_on_the_mouth():
    clm = to_crop_coordinates(LM_000001, crop_box(LM_000001))
    t, l, h, w = mouth_boxes(clm)[0]
    assert (t, l, h, w) == (45, 27, 30, 30)     # mouth midpoint (41.5, 60) in the crop
    assert abs(l + w / 2 - 41.5) <= 0.5 and t + h / 2 == 60
    # CelebA mouths are ~35 px wide: the 30 px hole covers the middle, the corners stick out <= 3 px
    assert clm[0, 3, 0] >= l - 3 and clm[0, 4, 0] < l + w + 3


def test_mouth_box_is_clamped_inside_the_crop():
    clm = np.zeros((2, 5, 2))
    clm[0, 3:] = [[-5, 78], [4, 79]]        # mouth at the bottom-left corner
    clm[1, 3:] = [[75, 2], [85, 3]]         # mouth at the top-right corner
    np.testing.assert_array_equal(mouth_boxes(clm), [[50, 0, 30, 30], [0, 50, 30, 30]])
