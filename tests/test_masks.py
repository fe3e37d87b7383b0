import numpy as np
import pytest

from facegan.errors import FaceganError
from facegan.completion.masks import box_mask, check_known, load_mask, make_mask, mouth_masks


def test_mouth_box_is_a_30x30_hole():
    m = make_mask("mouth")
    assert m.shape == (80, 80) and (m == 0).sum() == 900
    assert np.all(m[45:75, 25:55] == 0)
    assert np.array_equal(mouth_masks([[10, 20, 30, 30]])[0], box_mask((10, 20, 30, 30)))


@pytest.mark.parametrize("kind,holes", [("center", 900), ("left-half", 3200)])
def test_named_masks(kind, holes):
    assert (make_mask(kind) == 0).sum() == holes


def test_random_mask_fraction():
    assert 0.45 < (make_mask("random", seed=1) == 0).mean() < 0.55


def test_mask_file_white_is_hole(tmp_path):
    from PIL import Image
    g = np.zeros((80, 80), np.uint8); g[:10, :10] = 255
    Image.fromarray(g).save(tmp_path / "m.png")
    m = load_mask(tmp_path / "m.png")
    assert (m == 0).sum() == 100 and np.all(m[:10, :10] == 0)


@pytest.mark.parametrize("bad,msg", [(np.ones((64, 64)), "shape"), (np.ones((80, 80)), "no hole"),
                                     (np.zeros((80, 80)), "no known"), (np.full((80, 80), .5), "only 0")])
def test_bad_masks_raise(bad, msg):
    with pytest.raises(FaceganError, match=msg):
        check_known(bad)


def test_unknown_mask_name():
    with pytest.raises(FaceganError, match="unknown mask"):
        make_mask("nose")
