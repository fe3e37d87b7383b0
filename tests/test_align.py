import numpy as np
import pytest

from facegan.completion.photos import align_face, paste_back, prepare_input
from facegan.errors import FaceganError
from facegan.completion.masks import make_mask


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data
    return data.astronaut()


def test_own_photo_path(astronaut):
    face = align_face(astronaut)
    assert face.crop.shape == (80, 80, 3)
    k = make_mask("mouth")
    filled = face.crop.copy(); filled[k == 0] = 0
    out = paste_back(astronaut, filled, k, face.matrix)
    assert out.shape == astronaut.shape
    changed = np.any(out != astronaut, axis=-1)
    ys, xs = np.nonzero(changed)
    x, y, w, h = face.box
    assert changed.sum() > 100
    assert xs.min() >= x and xs.max() <= x + w and ys.min() >= y and ys.max() <= y + h + 10
    assert (face.landmarks[3:, 1].mean() - ys.mean()) ** 2 < 15 ** 2   # around the mouth


def test_no_face_and_unreadable(tmp_path):
    from PIL import Image
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(tmp_path / "flat.png")
    with pytest.raises(FaceganError, match="no face"):
        prepare_input(tmp_path / "flat.png")
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(FaceganError, match="cannot read"):
        prepare_input(tmp_path / "x.png")
    with pytest.raises(FaceganError, match="does not exist"):
        prepare_input(tmp_path / "missing.png")


def test_face_index_out_of_range(astronaut):
    with pytest.raises(FaceganError, match="face 5 requested") as e:
        align_face(astronaut, face=5)
    assert e.value.setting == "face"                 # the CLI words it as --face
