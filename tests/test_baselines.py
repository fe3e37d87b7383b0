import numpy as np
import pytest

from facegan.completion.baselines import baseline_methods
from facegan.completion.blend import poisson_blend
from facegan.completion.masks import make_mask


@pytest.fixture
def face():
    yy, xx = np.mgrid[0:80, 0:80] / 80.0
    return np.stack([xx, yy, (xx + yy) / 2], -1).astype(np.float32) * 1.6 - 0.8


@pytest.mark.parametrize("name", ["telea", "navier-stokes", "biharmonic", "mean-face"])
def test_baselines_keep_known_pixels_and_fill_smooth_images(face, name):
    k = make_mask("mouth")
    out = baseline_methods(np.zeros((80, 80, 3)))[name](face, k)
    assert np.array_equal(out[k == 1], face[k == 1])
    assert np.abs(out - face)[k == 0].mean() < 0.1        # Telea is ~0.06 here; zero fill ~0.3


def test_the_mean_face_is_blended_not_pasted(face):
    """The mean face's own shading is kept, its level taken from the face around the hole: no
    square where a lighter mean face meets the face."""
    k = make_mask("mouth")
    lighter = face + 0.3                                   # the face's gradients, another level
    out = baseline_methods(lighter)["mean-face"](face, k)
    assert np.array_equal(out[k == 1], face[k == 1])
    # within one pixel step of the ramp (0.02: the blend takes no gradient across the hole's
    # border); pasted, every hole pixel would be 0.3 off
    assert np.abs(out - face)[k == 0].max() < 0.025


def test_poisson_blend_matches_border_and_keeps_known(face):
    k = make_mask("mouth")
    out = poisson_blend(face + 0.1, face, k)            # same gradients, offset colour
    assert np.array_equal(out[k == 1], face[k == 1])    # known pixels bit-for-bit
    assert np.abs(out - face).max() < 1e-4              # offset removed: seamless at the border
    pasted = np.where(k[..., None] == 1, face, face + 0.1)
    assert np.abs(pasted - face)[k == 0].min() > 0.09   # pasting would leave the seam
