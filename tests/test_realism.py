"""The realism scores: the classifier two-sample test (C2ST) cannot be gamed by noise; the patch SWD
can be (partly), which is why the C2ST is there."""
import numpy as np
import pytest

from facegan.completion.realism import C2STSpec, c2st, context_patches, realism
from facegan.errors import FaceganError

HOLE = (slice(45, 75), slice(25, 55))          # the 30x30 mouth box of an 80x80 crop


def mouths(n, rng, size=80):
    """Procedural 'faces' around a mouth: skin with a gradient, a dark lip ellipse with sharp edges
    and a darker gap, mild grain (std 4)."""
    out = np.empty((n, size, size, 3), np.uint8)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        skin = rng.uniform([150, 100, 80], [230, 180, 150])
        img = skin[None, None] * (1 + 0.15 * (yy[..., None] / size - .5) * rng.uniform(-1, 1))
        cy, cx = 60 + rng.uniform(-3, 3), 40 + rng.uniform(-3, 3)
        lips = ((yy - cy) / rng.uniform(3, 7)) ** 2 + ((xx - cx) / rng.uniform(8, 12)) ** 2 < 1
        img[lips] = skin * rng.uniform(.45, .65) * np.array([1.1, .8, .8])
        img[lips & (np.abs(yy - cy - rng.uniform(-1, 1)) < rng.uniform(.5, 1.5))] = rng.uniform(20, 60)
        out[i] = np.clip(np.rint(img + rng.normal(0, 4, img.shape)), 0, 255)
    return out


def known_mask():
    k = np.ones((80, 80), np.float32)
    k[HOLE] = 0
    return k


def blurred_fill(images, rng, noise=0.0, sigma=2.5):
    """The hole replaced by a Gaussian blur of itself (a smooth, conditional-mean-like fill), plus
    pixel noise of std `noise` (grey levels) when asked."""
    import cv2

    out = images.astype(np.float64)
    for i, im in enumerate(images):
        fill = cv2.GaussianBlur(im, (0, 0), sigma).astype(np.float64)
        out[i][HOLE] = fill[HOLE] + (rng.normal(0, noise, fill[HOLE].shape) if noise else 0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    real, other = mouths(160, rng), mouths(160, rng)
    return {"real": real, "other real": other, "blurred": blurred_fill(real, rng),
            "blurred + noise": blurred_fill(real, rng, noise=16)}


def test_context_patches_keep_a_border_and_stay_inside_the_image():
    imgs = np.arange(2 * 80 * 80 * 3).reshape(2, 80, 80, 3)
    p = context_patches(imgs, known_mask(), border=4)
    assert p.shape == (2, 38, 38, 3) and np.array_equal(p[1], imgs[1, 41:79, 21:59])
    k = np.ones((80, 80))
    k[70:80, 0:10] = 0                                      # a hole in the corner: the window moves in
    assert np.array_equal(context_patches(imgs, k, border=3)[0], imgs[0, 64:80, 0:16])
    with pytest.raises(FaceganError, match="larger than the image"):
        context_patches(imgs, known_mask(), border=30)


def test_c2st_identical_sets_give_exactly_chance():
    x = mouths(6, np.random.default_rng(1))
    r = c2st(x, x, C2STSpec(epochs=1, width=4))
    assert r["accuracy"] == 0.5 and r["se"] == 0.0 and r["faces"] == 6 and r["items"] == 12
    with pytest.raises(FaceganError, match="at least 2 faces"):
        c2st(x[:1], x[:1])
    with pytest.raises(FaceganError, match="folds"):
        C2STSpec(folds=3)


def test_c2st_ranks_real_above_blurred_and_above_blurred_with_noise(sets):
    spec = C2STSpec()
    real = context_patches(sets["real"], known_mask(), spec.border)
    acc = {k: c2st(real, context_patches(sets[k], known_mask(), spec.border), spec)
           for k in ("other real", "blurred", "blurred + noise")}
    print({k: f"{100 * v['accuracy']:.1f} ± {100 * v['se']:.1f} %" for k, v in acc.items()})
    assert abs(acc["other real"]["accuracy"] - 0.5) < 0.1        # real vs real: near chance
    assert acc["other real"]["faces"] == 160 and acc["other real"]["se"] > 0
    assert acc["blurred"]["accuracy"] > 0.9
    assert acc["blurred + noise"]["accuracy"] > 0.9                 # noise does not make a fill real
    for k in ("blurred", "blurred + noise"):
        assert acc[k]["accuracy"] - 4 * acc[k]["se"] > acc["other real"]["accuracy"] + 4 * acc["other real"]["se"]


def test_c2st_is_deterministic_given_its_seed_and_one_classifier_serves_many_sets(sets):
    from facegan.completion.realism import c2st_scores

    spec = C2STSpec(epochs=2, width=8)
    real, fake, blur = (context_patches(sets[k][:40], known_mask(), 4)
                        for k in ("real", "blurred + noise", "blurred"))
    once = c2st(real, fake, spec)
    assert once == c2st(real, fake, spec)
    both = c2st_scores({"blurred": blur, "noised": fake}, real, spec)   # one network, reset in between
    assert both["noised"] == once and both["blurred"] == c2st(real, blur, spec)


def test_the_patch_swd_is_partly_gamed_by_noise(sets):
    """The SWD still ranks real mouths first, but noise brings a blurred fill a third of the way
    closer to them: the weakness the C2ST is for."""
    holes = {k: v[(slice(None), *HOLE)] for k, v in sets.items() if k != "real"}
    ref = mouths(320, np.random.default_rng(2))
    r = realism(holes, ref, np.broadcast_to(known_mask(), ref.shape[:3]), repeats=4)
    print({k: f"{v['mean']:.0f} ± {v['se']:.0f}" for k, v in r.items()})
    assert r["other real"]["mean"] < r["blurred + noise"]["mean"] < r["blurred"]["mean"]
    assert r["blurred"]["mean"] - r["blurred + noise"]["mean"] > 10 * r["blurred"]["se"]


def test_frontier_keeps_the_non_dominated_rows_in_order_of_l1():
    from facegan.completion.frontier import frontier

    rows = [{"name": "blur", "x": 0.05, "y": 0.99},          # lowest L1: on the frontier
            {"name": "gan", "x": 0.08, "y": 0.70},           # more real at more L1: on it
            {"name": "worse gan", "x": 0.09, "y": 0.75},     # dominated by gan
            {"name": "sample", "x": 0.12, "y": 0.55},        # the most real: on it
            {"name": "tie with blur", "x": 0.05, "y": 0.99},  # equal rows do not dominate each other
            {"name": "same L1, less real", "x": 0.08, "y": 0.80},   # dominated by gan (y only)
            {"name": "no realism", "x": 0.01, "y": None},    # takes no part
            {"name": "nan", "x": float("nan"), "y": 0.5}]
    assert [r["name"] for r in frontier(rows)] == ["blur", "tie with blur", "gan", "sample"]
    assert frontier([]) == [] and [r["name"] for r in frontier(rows[:1])] == ["blur"]
    assert [r["name"] for r in frontier([{"name": "a", "x": 1, "y": 1}, {"name": "b", "x": 0, "y": 0}])] == ["b"]


def test_frontier_points_names_and_figure_from_a_summary(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    from facegan.completion.frontier import frontier_names, plot_frontier, points

    matplotlib.use("Agg")
    m = lambda fam, l1, swd, c2st: {"family": fam, "hole_l1": [l1, 0.002], "realism_swd": swd,
                                    "realism_se": 3.0, "realism_c2st": c2st, "realism_c2st_se": 0.02}
    summary = {"realism_floor": 30.0, "methods": {
        "near-blend": m("gan", 0.08, 120.0, 0.80), "telea": m("classical", 0.06, 150.0, 0.97),
        "mean-face": m("classical", 0.10, 200.0, 0.99), "inpainter (L1)": m("supervised", 0.05, 160.0, None)}}
    p = points(summary, "c2st")
    assert p[0] == {"name": "near-blend", "family": "gan", "x": 0.08, "x_se": 0.002, "y": 0.80,
                    "y_se": 0.02}
    assert frontier_names(summary) == {"c2st": ["telea", "near-blend"],
                                       "swd": ["inpainter (L1)", "telea", "near-blend"]}
    fig = plot_frontier(summary, path=tmp_path / "f.png")
    assert len(fig.axes) == 2 and (tmp_path / "f.png").stat().st_size > 0
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"near-blend", "telea", "mean-face", "chance"} <= texts and "inpainter (L1)" not in texts
    assert "C2ST" in fig.axes[0].get_ylabel() and "SWD" in fig.axes[1].get_ylabel()
    plt.close(fig)
    with pytest.raises(FaceganError, match="unknown realism score"):
        points(summary, "fid")
