"""Architecture tests: shapes and parameter counts computed by hand from the study's §3.1 and the
authors' code (`jiang2018generation` in book/references.bib)."""
import numpy as np
import pytest

from facegan import FaceganError
from facegan.gan.models import (architecture, build_discriminator, build_generator,
                            discriminator_probability, hidden_outputs, sample_z)


def dense(i, o):
    return i * o + o


def conv3(i, o):
    return 9 * i * o + o


# Paper (authors' code): G = Dense 512 -> Dense 512*5*5 + BN -> 4x [Up, Conv3x3 256/128/64/3]
G_EXPECTED = {
    "g_fc1": (dense(100, 512), (None, 512)),          # 51,712
    "g_fc2": (dense(512, 12800), (None, 12800)),       # 6,566,400
    "g_bn": (4 * 12800, (None, 12800)),                 # gamma, beta, moving mean/var
    "g_reshape": (0, (None, 5, 5, 512)),
    "g_conv1": (conv3(512, 256), (None, 10, 10, 256)),
    "g_conv2": (conv3(256, 128), (None, 20, 20, 128)),
    "g_conv3": (conv3(128, 64), (None, 40, 40, 64)),
    "g_conv4": (conv3(64, 3), (None, 80, 80, 3)),
}
# D = Conv 32 same, pool, Conv 64 valid, pool, Conv 128 valid, pool, Conv 256 valid, Dense 1024, Dense 1
D_EXPECTED = {
    "d_conv1": (conv3(3, 32), (None, 80, 80, 32)),
    "d_pool1": (0, (None, 40, 40, 32)),
    "d_conv2": (conv3(32, 64), (None, 38, 38, 64)),
    "d_pool2": (0, (None, 19, 19, 64)),
    "d_conv3": (conv3(64, 128), (None, 17, 17, 128)),
    "d_pool3": (0, (None, 8, 8, 128)),
    "d_conv4": (conv3(128, 256), (None, 6, 6, 256)),
    "d_flatten": (0, (None, 6 * 6 * 256)),
    "d_fc1": (dense(9216, 1024), (None, 1024)),
    "d_logit": (dense(1024, 1), (None, 1)),
}


def test_hand_counts_are_what_the_issue_states():
    assert dense(100, 512) == 51_712


@pytest.mark.parametrize("build, expected", [(build_generator, G_EXPECTED),
                                             (build_discriminator, D_EXPECTED)])
def test_full_width_layers_match_paper(build, expected):
    model = build(1.0)
    for name, (params, shape) in expected.items():
        layer = model.get_layer(name)
        assert layer.count_params() == params, name
        assert tuple(layer.output.shape) == shape, name
    assert model.count_params() == sum(p for p, _ in expected.values())


def test_generator_total_and_trainable():
    g = build_generator(1.0)
    total = sum(p for p, _ in G_EXPECTED.values())
    assert g.count_params() == total
    # only gamma and beta of the single BatchNorm are trainable (moving stats are not)
    trainable = sum(int(np.prod(v.shape)) for v in g.trainable_weights)
    assert trainable == total - 2 * 12800
    bns = [l for l in g.layers if "BatchNormalization" in type(l).__name__]
    assert len(bns) == 1


def test_half_width_scales_every_hidden_count():
    g, d = build_generator(0.5), build_discriminator(0.5)
    assert g.get_layer("g_fc1").count_params() == dense(100, 256)
    assert g.get_layer("g_fc2").count_params() == dense(256, 256 * 25)
    assert tuple(g.get_layer("g_reshape").output.shape) == (None, 5, 5, 256)
    assert g.get_layer("g_conv1").count_params() == conv3(256, 128)
    assert g.get_layer("g_conv3").count_params() == conv3(64, 32)
    assert g.get_layer("g_conv4").count_params() == conv3(32, 3)   # image channels do not scale
    assert d.get_layer("d_conv1").count_params() == conv3(3, 16)
    assert d.get_layer("d_conv4").count_params() == conv3(64, 128)
    assert d.get_layer("d_fc1").count_params() == dense(6 * 6 * 128, 512)
    assert d.get_layer("d_logit").count_params() == dense(512, 1)  # one logit
    assert architecture(g)["width"] == 0.5 and architecture(d)["width"] == 0.5


def test_forward_ranges_and_logits():
    g, d = build_generator(0.25), build_discriminator(0.25)
    z = sample_z(4, seed=1)
    x = np.asarray(g(z, training=False))
    assert x.shape == (4, 80, 80, 3) and np.all(np.abs(x) <= 1)
    logits = np.asarray(d(x))
    assert logits.shape == (4, 1)
    p = discriminator_probability(d, x)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-logits[:, 0])), rtol=1e-5)


def test_sample_z_uniform_and_reproducible():
    a, b = sample_z(2000, seed=3), sample_z(2000, seed=3)
    assert a.dtype == np.float32 and a.shape == (2000, 100)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= -1 and a.max() < 1 and abs(a.mean()) < 0.02
    assert not np.array_equal(a, sample_z(2000, seed=4))


def test_hidden_outputs_shapes_and_errors():
    g, d = build_generator(0.25), build_discriminator(0.25)
    out = hidden_outputs(g, ["g_conv1", "g_conv4"], sample_z(3, seed=0))
    assert out["g_conv1"].shape == (3, 10, 10, 64) and out["g_conv4"].shape == (3, 80, 80, 3)
    np.testing.assert_allclose(out["g_conv4"], np.asarray(g(sample_z(3, seed=0), training=False)),
                               atol=1e-5)
    dout = hidden_outputs(d, ["d_conv2"], out["g_conv4"])
    assert dout["d_conv2"].shape == (3, 38, 38, 16)
    with pytest.raises(FaceganError, match="no layer named 'nope'"):
        hidden_outputs(g, ["nope"], sample_z(1))


def test_bad_width():
    with pytest.raises(FaceganError, match="width"):
        build_generator(0)
