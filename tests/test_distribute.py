"""tf.distribute: a MirroredStrategy step over two logical CPUs equals the single-device step, for
every recipe (the latents, augmentation and interpolation numbers come from the input pipeline).

TensorFlow's device layout is fixed once it initialises, so the check runs in a fresh subprocess
(it must not fight the other tests' TF state).
"""
import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(r"""
    import json, os, sys
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    from facegan.gan.trainer import build_gan, train_gan

    W, B, K = 0.125, 8, 2
    RECIPE, SETTINGS, LR = sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
    rng = np.random.default_rng(0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    single = build_gan(W, RECIPE, k_g=K, seed=0, jit_compile=False, **SETTINGS)
    with strategy.scope():
        multi = build_gan(W, RECIPE, k_g=K, seed=1, jit_compile=False, **SETTINGS)   # other init, then copied
    x = rng.uniform(-1, 1, (2, B, 80, 80, 3)).astype(np.float32)
    z = rng.uniform(-1, 1, (2, B, single.n_critic + K, 100)).astype(np.float32)
    u = rng.uniform(0, 1, (2, B, single.n_uniforms)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, z, u))          # two global batches of 8
    nets = lambda gan: [n for n in (gan.generator, gan.discriminator, gan.ema_generator) if n is not None]
    for a, b in zip(nets(single), nets(multi)):
        b.set_weights(a.get_weights())
    # SGD: the update is linear in the gradient, so float reduction-order noise stays tiny while a
    # wrong loss scaling (e.g. a missing 1/replicas) changes every update by a factor. (Adam turns
    # near-zero gradients into steps of ~lr whose sign that noise can flip.)
    import keras
    single.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), jit_compile=False)
    with strategy.scope():
        multi.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), jit_compile=False)
    flat = lambda gan: [np.array(w) for n in nets(gan) for w in n.weights]
    start = flat(single)
    single.fit(ds, epochs=1, verbose=0, shuffle=False)
    multi.fit(ds, epochs=1, verbose=0, shuffle=False)
    ws, wm = flat(single), flat(multi)
    # d_logit's bias has no gradient under the Wasserstein loss (it cancels): not counted as a change
    moved = [float(np.max(np.abs(a - b))) for a, b in zip(ws, start)]
    if RECIPE == "wgan-gp":
        moved = [m for m, w in zip(moved, [w for n in nets(single) for w in n.weights])
                 if not w.path.endswith("d_logit/bias")]
    out = {
        "replicas": strategy.num_replicas_in_sync,
        "max_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(ws, wm)),
        "min_change": min(moved),
        "max_change": max(moved),
        "iterations": [int(np.array(multi.d_optimizer.iterations.value.numpy())),
                       int(np.array(multi.g_optimizer.iterations.value.numpy()))],
        "n_critic": single.n_critic,
    }
    # the same code path end to end: train_gan under the strategy
    from facegan.data.cache import write_cache
    cache = sys.argv[1] + "/cache"
    n = 24
    write_cache(cache, rng.integers(0, 255, (n, 80, 80, 3), dtype=np.uint8), [str(i) for i in range(n)],
                [0] * 16 + [1] * 8, np.zeros((n, 5, 2)), np.zeros((n, 4)), {})
    from facegan.gan.spec import TrainSpec
    spec = TrainSpec.from_settings(epochs=1, width=W, batch_size=8, swd_n=8, final_n=0, sample_n=4,
                                   epoch_face_n=0, recipe=RECIPE, **SETTINGS)
    run = train_gan(cache, sys.argv[1] + "/run", spec, strategy=strategy, verbose=0)
    out["run_epochs"] = [h["epoch"] for h in run.history]
    out["run_recipe"] = run.config["recipe"]
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow
@pytest.mark.parametrize("recipe, settings, tolerance, lr", [
    ("study", {}, 1e-4, 0.05), ("stable", {"mode_seeking": 0.0}, 1e-2, 0.05),
    # wgan-gp: SGD 0.05 (and 0.005) on the unbounded critic is past a discrete switch: on ONE device,
    # scaling the start weights by 1 + 1e-7 noise moves the result by 4.7e-3 (as much as 1e-6 noise
    # does, and as much as the replicas' reduction order does), so that step compares nothing. At
    # 1e-3 the same noise moves it by 3.6e-7 (proportional to the noise), and a missing 1/replicas
    # scaling (~1e-3 on D's weights) is still far above the tolerance.
    ("wgan-gp", {}, 1e-4, 1e-3),
    # the mode-seeking term pairs the samples of each replica's own batch (its halves), so with it
    # the step is an equally valid but different estimate, not the single-device step bit for bit;
    # still well under what a missing 1/replicas loss scaling gives (> 1x the largest update)
    ("stable", {}, 0.3, 0.05),
])
def test_mirrored_step_matches_single_device(tmp_path, recipe, settings, tolerance, lr):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), recipe, json.dumps(settings),
                           str(lr)],
                          capture_output=True,
                          text=True, timeout=900)   # generous: the CI machine may be shared
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    res = json.loads(lines[-1][len("RESULT "):])
    assert res["replicas"] == 2
    assert res["min_change"] > 0          # every weight (incl. BN moving stats and the EMA) moved
    # same batches, same z, same start -> same weights. With SGD the largest update is ~6e-2 and
    # float reduction order differs by ~6e-8; dropping the 1/replicas loss scaling differs by ~7e-2.
    # stable (DiffAugment + R1): G's g_fc2 kernel differs by 1.7e-4 (max change 5.8e-2; 1.2e-5
    # without R1). Not fully explained (suspected: reduction-order noise amplified by R1's
    # second-order step under SGD 0.05); still ~300x below a missing 1/replicas scaling.
    assert res["max_diff"] < tolerance * res["max_change"], res
    assert res["iterations"] == [2 * res["n_critic"], 4]
    assert res["run_epochs"] == [1] and res["run_recipe"] == recipe
