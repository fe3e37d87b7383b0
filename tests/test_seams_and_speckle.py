"""No visible seams (the supervised inpainter's fill is Poisson-blended like the GAN's) and the
speckle measure (share of spectral energy at the highest spatial frequencies)."""
import numpy as np
import pytest

from facegan.completion.blend import poisson_blend, seam_jump
from facegan.completion.masks import make_mask
from facegan.completion.speckle import compare, high_frequency_share
from facegan.errors import FaceganError


def smooth_face(n=2, seed=0):
    """(n, 80, 80, 3) smooth images in [-1, 1]: ramps and low-frequency waves."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:80, :80] / 80.0
    out = [np.stack([0.3 * np.sin(2 * yy + p + 0.7 * c) + 0.3 * np.cos(3 * xx + 2 * p - 0.5 * c)
                     for c in range(3)], -1) for p in rng.uniform(0, 6, n)]     # colour varies too
    return np.asarray(out, np.float32)


def lighter_square(y, k, offset=0.3):
    """A fill that sits in a visibly lighter square: the truth + `offset` + fine texture in the hole."""
    yy, xx = np.mgrid[:80, :80]
    texture = 0.05 * np.sin(yy * 1.3)[..., None] * np.cos(xx * 0.9)[..., None]
    return np.where(k[..., None] == 1, y, np.clip(y + offset + texture, -1, 1)).astype(np.float32)


def test_blending_a_pasted_fill_keeps_known_pixels_and_removes_the_seam():
    y, k = smooth_face(), make_mask("mouth")
    pasted = lighter_square(y, k)
    blended = poisson_blend(pasted, y, k, hole_only=True)
    assert np.array_equal(blended[:, k == 1], y[:, k == 1])           # bit for bit
    raw, seam, truth = seam_jump(pasted, k), seam_jump(blended, k), seam_jump(y, k)
    assert np.all(raw > 0.25) and np.all(seam < 0.2 * raw)             # the square's edge is gone
    assert np.all(np.abs(seam - truth) < 0.03)                         # ... down to the image's own
    texture = lambda x: np.abs(np.diff(x[:, 50:70, 30:50], axis=1)).mean()
    assert texture(blended) == pytest.approx(texture(pasted), rel=0.05)    # the fill's detail is kept
    # the whole image's gradients as guidance would carry the pasted jump into the solution
    assert np.all(seam_jump(poisson_blend(pasted, y, k), k) > 0.8 * raw)


def test_seam_jump_is_zero_for_a_flat_image_and_the_offset_for_a_flat_square():
    k = make_mask("mouth")
    flat = np.zeros((1, 80, 80, 3), np.float32)
    assert seam_jump(flat, k)[0] == 0
    assert seam_jump(np.where(k[..., None] == 1, flat, 0.5), k)[0] == pytest.approx(0.5)


def test_the_inpainters_completion_is_blended_and_its_raw_fill_still_available():
    from facegan.completion.inpainter import build_inpainter, inpaint

    import keras
    keras.utils.set_random_seed(0)
    net = build_inpainter(4)
    y, k = smooth_face(3, seed=1), make_mask("mouth")
    raw, blended = inpaint(net, y, k, blend=False), inpaint(net, y, k)
    for out in (raw, blended):
        assert np.array_equal(out[:, k == 1].view(np.uint32), y[:, k == 1].view(np.uint32))
    assert np.all(seam_jump(blended, k) < 0.5 * seam_jump(raw, k))
    assert np.array_equal(blended, poisson_blend(raw, y, k, hole_only=True))


def test_smooth_images_have_little_high_frequency_energy_and_noise_raises_it():
    rng = np.random.default_rng(0)
    smooth = smooth_face(4)
    assert np.all(high_frequency_share(smooth) < 1e-3)
    noisy = np.clip(smooth + rng.normal(0, 0.05, smooth.shape), -1, 1)
    assert np.all(high_frequency_share(noisy) > 20 * high_frequency_share(smooth))
    white = rng.normal(size=(8, 30, 30, 3))
    assert 0.7 < high_frequency_share(white).mean() < 0.9               # the top octave's area
    # coloured speckle shows in the chroma channels; the same noise in every channel does not
    grey = smooth + rng.normal(0, 0.05, smooth.shape[:3])[..., None]
    coloured = smooth + rng.normal(0, 0.05, smooth.shape)
    assert np.all(high_frequency_share(coloured, channels="chroma")
                  > 20 * high_frequency_share(grey, channels="chroma"))
    u8 = np.clip(np.rint((noisy + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(high_frequency_share(u8), high_frequency_share(noisy), rtol=0.05)


def test_compare_gives_ratios_to_the_reference_and_refuses_bad_input():
    rng = np.random.default_rng(1)
    real = smooth_face(4)[:, 45:75, 25:55] + rng.normal(0, 0.01, (4, 30, 30, 3))
    r = compare({"same": real.copy(), "speckled": real + rng.normal(0, 0.1, real.shape)}, real)
    assert r["reference"]["ratio"] == 1 and r["same"]["ratio"] == pytest.approx(1)
    assert r["speckled"]["ratio"] > 5 and r["speckled"]["se"] > 0
    with pytest.raises(FaceganError, match="channels"):
        high_frequency_share(real, channels="hsv")
    with pytest.raises(FaceganError, match=r"\(N, H, W, 3\)"):
        high_frequency_share(real[..., 0])


def test_smoothing_the_colour_removes_coloured_speckle_and_keeps_the_luminance():
    from facegan.completion.speckle import YCBCR, smooth_chroma

    rng = np.random.default_rng(2)
    face = smooth_face(3)
    speckled = np.clip(face + rng.normal(0, 0.05, face.shape), -1, 1).astype(np.float32)
    out = smooth_chroma(speckled, 1.0)
    assert out.shape == face.shape and out.dtype == np.float32
    chroma = lambda x: high_frequency_share(x, channels="chroma")
    assert np.all(chroma(out) < 0.1 * chroma(speckled))
    luma = lambda x: np.asarray(x, np.float64) @ YCBCR[0]
    np.testing.assert_allclose(luma(out), luma(speckled), atol=1e-5)         # the detail stays
    assert np.array_equal(smooth_chroma(speckled, 0), speckled)
    with pytest.raises(FaceganError, match="chroma_sigma must be >= 0"):
        smooth_chroma(speckled, -1)


def test_a_methods_chroma_sigma_smooths_its_fill_and_leaves_known_pixels():
    import keras

    from facegan.completion.methods import get_method
    from facegan.completion.search import complete
    from facegan.gan.models import build_discriminator, build_generator

    keras.utils.set_random_seed(0)
    g, d = build_generator(0.125), build_discriminator(0.125)
    y, k = smooth_face(2), make_mask("mouth")
    m = get_method("near-blend", candidates=2, iterations=2)
    plain, smooth = complete(g, d, y, k, m), complete(g, d, y, k, get_method(m, chroma_sigma=1.0))
    hole = lambda r: r.generated[:, 45:75, 25:55]
    assert np.all(high_frequency_share(hole(smooth), channels="chroma")
                  < high_frequency_share(hole(plain), channels="chroma"))
    assert np.array_equal(smooth.completed[:, k == 1], y[:, k == 1])
    assert "colour low-passed" in get_method(m, chroma_sigma=1.0).description
