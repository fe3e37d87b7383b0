import numpy as np

from facegan.completion.metrics import image_metrics
from facegan.completion.masks import make_mask


def test_metrics_identical_and_hole_only_error():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (80, 80, 3)).astype(np.float32)
    k = make_mask("mouth")
    m = image_metrics(x, x, k)
    assert m["hole_l1"] == 0 and m["hole_psnr"] == float("inf") and abs(m["hole_ssim"] - 1) < 1e-9
    y = x.copy(); y[k == 0] = np.clip(y[k == 0] + 0.2, -1, 1)
    m = image_metrics(y, x, k)
    expect = np.abs(y - x)[k == 0].mean() / 2
    assert abs(m["hole_l1"] - expect) < 1e-6
    assert m["l1"] < m["hole_l1"]                       # error only in the hole
    assert m["hole_ssim"] < 1
