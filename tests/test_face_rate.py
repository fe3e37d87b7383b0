"""Face rate (MTCNN finds a face): high for real crops, ~0 for noise, clear errors."""
import numpy as np
import pytest

from facegan import FaceganError
from facegan.data.cache import load_cache
from facegan.data.prepare import prepare
from facegan.gan.face_rate import CANVAS, GREY, UPSCALED, face_rate, on_canvas


def crops_of(source, out, limit=None):
    prepare(source, out, limit=limit, workers=1, progress=False)
    return np.asarray(load_cache(out).crops)


def test_face_rate_is_high_for_synthetic_crops_and_zero_for_noise(tmp_path):
    from facegan.data.synthetic.render import render_synthetic_celeba

    render_synthetic_celeba(tmp_path / "celeba", 48, seed=0, workers=1, progress=False)
    crops = crops_of(tmp_path / "celeba", tmp_path / "cache")[:36]
    assert len(crops) >= 24
    assert face_rate(crops) >= 0.8                                   # measured 94 % on 36 val crops
    noise = np.random.default_rng(0).integers(0, 256, (24, 80, 80, 3), dtype=np.uint8)
    assert face_rate(noise) <= 0.05
    assert face_rate(np.zeros((4, 80, 80, 3), np.float32)) == 0.0     # flat grey in [-1, 1]
    # [-1, 1] floats and uint8 give the same answer
    assert face_rate(crops[:8].astype(np.float32) / 127.5 - 1.0) == face_rate(crops[:8])


def test_face_rate_is_high_for_real_celeba_crops(celeba_sample, tmp_path):
    crops = crops_of(celeba_sample, tmp_path / "cache", limit=48)[:36]
    assert face_rate(crops) >= 0.85                                   # issue 9: 97 % on 36 crops


def test_faces_are_upscaled_and_centred_on_grey():
    img = np.full((1, 80, 80, 3), 255, np.uint8)
    c = on_canvas(img)
    o = (CANVAS - UPSCALED) // 2
    assert c.shape == (1, CANVAS, CANVAS, 3)
    assert np.all(c[0, o:o + UPSCALED, o:o + UPSCALED] == 255) and np.all(c[0, :o] == GREY)


@pytest.mark.parametrize("bad", [np.zeros((80, 80, 3)), np.zeros((2, 80, 80)), np.zeros((0, 80, 80, 3))])
def test_bad_inputs_are_named(bad):
    with pytest.raises(FaceganError, match="face_rate"):
        face_rate(bad)
