"""The benchmarks: each builds its runs from a profile and says in its record what it changed from
it, and each writes a record (the README's promise); a small prepare shows one end to end."""
from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    """benchmarks/NAME.py as a module (TensorFlow loaded first, so that no benchmark's kernel
    choice changes this process's environment)."""
    import tensorflow  # noqa: F401

    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_writes_a_record():
    for path in sorted(BENCHMARKS.glob("*.py")):
        calls = {node.func.id for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert "write_record" in calls, f"{path.name} writes no record"


def test_the_training_profile_times_the_profiles_gans():
    from facegan.gan.spec import TrainSpec
    from facegan.report.profiles import ROLES, get_profile

    bench = load("train_profile")
    cfg = get_profile("quick")
    gen, comp = ROLES
    plan = bench.planned(bench.parse_args([]))
    assert [(role, spec, changed) for role, spec, changed in plan] == [
        (comp, TrainSpec.from_settings(**cfg[comp]), {}), (gen, TrainSpec.from_settings(**cfg[gen]), {})]
    (role, spec, changed), = bench.planned(bench.parse_args(
        ["--recipes", "wgan-gp", "--widths", "0.25", "--set", "wgan-gp.n_critic=3"]))
    assert role == comp and spec.recipe.n_critic == 3 and spec.width == 0.25   # another recipe: completion_gan's budget
    assert changed == {"n_critic": 3, "width": 0.25} and spec.batch_size == TrainSpec.from_settings(**cfg[comp]).batch_size


def test_the_completion_benchmark_trains_the_profiles_completion_gan_shorter_and_says_so():
    from facegan.completion.methods import get_method
    from facegan.gan.spec import TrainSpec
    from facegan.report.profiles import ROLES, get_profile

    bench = load("completion")
    cfg = get_profile("quick")
    args = bench.parse_args([])
    spec, changed = bench.bench_spec(cfg, args)
    own = TrainSpec.from_settings(**cfg[ROLES[-1]])
    assert spec == own.but(epochs=args.bench_epochs, max_batches=args.bench_batches, swd_n=0)
    assert changed == {"epochs": args.bench_epochs, "max_batches": args.bench_batches, "swd_n": 0,
                       "synth_n": args.synth_n}
    settings = dict(cfg["completion"])
    assert bench.profile_method(cfg, None) == get_method(settings.pop("method"), **settings)


def test_the_throughput_benchmark_times_the_study_sizes_the_paper_profile_holds():
    from facegan.report.profiles import ROLES, get_profile

    bench = load("train_throughput")
    paper = get_profile("paper")
    size = bench.sizes(bench.parse_args([]))
    assert size["widths"] == list(dict.fromkeys(paper[role]["width"] for role in ROLES))
    assert size["changed"] == {} and size["batch"] > 0
    assert bench.sizes(bench.parse_args(["--widths", "0.25", "--batch", "8"]))["changed"] == \
        {"widths": [0.25], "batch_size": 8}


@pytest.mark.slow
def test_prepare_writes_a_record_and_prints_its_headline_last(tmp_path):
    from facegan.data.synthetic.render import render_synthetic_celeba

    render_synthetic_celeba(tmp_path / "celeba", 24, seed=0, progress=False)
    record = tmp_path / "r.json"
    out = subprocess.run([sys.executable, str(BENCHMARKS / "prepare.py"), str(tmp_path / "celeba"), "--repeats",
                          "1", "--workers", "2", "--limit", "20", "--record", str(record)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1].startswith("crops per second: ")
    body = json.loads(record.read_text())
    assert body["record"] == "prepare" and "benchmarks/prepare.py" in body["command"]
    assert body["results"]["changed"] == {"prepare_limit": 20} and body["results"]["images"] == 20
    assert body["results"]["crops_per_s"] > 0


def run_benchmark(name: str, *args: str, env: dict | None = None) -> list[str]:
    """`python benchmarks/NAME.py ARGS`: its printed lines (it must succeed)."""
    import os

    out = subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), *args], capture_output=True,
                         text=True, timeout=900, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()


@pytest.mark.slow
def test_the_throughput_benchmark_writes_a_record_and_prints_its_headline_last(tmp_path):
    lines = run_benchmark("train_throughput", "--widths", "0.125", "--steps", "1", "--repeats", "1",
                          "--precisions", "float32", "--batch", "4", "--record", str(tmp_path / "r.json"))
    assert lines[-1].startswith("speedup vs authors' loop: ")
    body = json.loads((tmp_path / "r.json").read_text())
    assert body["record"] == "train_throughput" and body["results"]["profile"] == "paper"
    assert body["results"]["changed"] == {"widths": [0.125], "batch_size": 4}
    (row,) = body["results"]["runs"]
    assert row["width"] == 0.125 and row["ratio"] == body["results"]["speedup"] > 0


@pytest.mark.slow
def test_the_completion_benchmark_writes_a_record_and_prints_its_headline_last(tmp_path):
    lines = run_benchmark("completion", "--synth-n", "60", "--bench-epochs", "1", "--bench-batches", "2",
                          "--faces", "1", "--timing-faces", "2", "--paper-iterations", "5",
                          "--max-iterations", "20", "--record", str(tmp_path / "r.json"),
                          env={"FACEGAN_WORKDIR": str(tmp_path / "work")})
    assert lines[-1].startswith("default method ") and "evaluation reduction vs paper schedule" in lines[-1]
    body = json.loads((tmp_path / "r.json").read_text())
    res = body["results"]
    assert body["record"] == "completion" and res["profile"] == "quick"
    assert res["changed"] == {"epochs": 1, "max_batches": 2, "swd_n": 0, "synth_n": 60}
    assert res["gan"]["command"].startswith("facegan train ") and res["evaluations"]["ratio"] > 0


def test_the_protocol_compares_the_default_inpainter_and_prints_it_last():
    """benchmarks/protocol.py evaluates with its comparisons, and its headline is the default
    inpainter against the L1 one (hole L1) and against near-blend (C2ST), from summary.json."""
    protocol = load("protocol")
    assert f"{protocol.LOCAL}:{protocol.L1}" in protocol.COMPARE and f"{protocol.LOCAL}:near-blend" in protocol.COMPARE
    pair = lambda ours, other, l1, c2st: {"ours": ours, "other": other,
                                          "hole_l1": {"mean_difference": l1, "wilcoxon_p": 1e-5},
                                          "c2st": {"difference": c2st, "se": 0.008}}
    summary = {"comparisons": [pair(protocol.LOCAL, protocol.L1, 0.0022, -0.047),
                               pair(protocol.LOCAL, "near-blend", -0.0144, -0.042)]}
    line = protocol.headline(summary)
    assert "+0.0022 against inpainter (L1)" in line and "C2ST -4.2 ± 0.8 points against near-blend" in line


def test_the_protocol_passes_its_methods_to_evaluate(tmp_path, monkeypatch, capsys):
    """`--method` (repeatable) chooses the GAN rows `facegan evaluate` runs; the steps before it are
    the protocol's own, whatever the methods."""
    protocol = load("protocol")
    (tmp_path / "data" / "img_align_celeba").mkdir(parents=True)
    calls = {}
    monkeypatch.setattr(protocol, "step", lambda work, name, argv, done: calls.setdefault(name, argv))
    with pytest.raises(FileNotFoundError):            # stops at reading the evaluation it did not run
        protocol.main(["--data", str(tmp_path / "data"), "--work", str(tmp_path / "w"),
                       "--method", "near-blend", "--method", "inpainter-guided-blend"])
    evaluate = calls["evaluate"]
    assert [evaluate[i + 1] for i, a in enumerate(evaluate) if a == "--method"] == ["near-blend",
                                                                                    "inpainter-guided-blend"]
    assert calls["train"][-4:] == ["--width", "0.5", "--epochs", "20"]
    calls.clear()
    with pytest.raises(FileNotFoundError):
        protocol.main(["--data", str(tmp_path / "data"), "--work", str(tmp_path / "w")])
    assert "--method" not in calls["evaluate"]                                   # default: every method
    calls.clear()
    with pytest.raises(SystemExit) as e:              # an unknown method stops it before any step
        protocol.main(["--data", str(tmp_path / "data"), "--work", str(tmp_path / "w"), "--method", "nearblend"])
    assert e.value.code == 2 and calls == {}
    err = capsys.readouterr().err
    assert "--method: unknown completion method(s) nearblend" in err and "near-blend" in err


def test_the_speckle_record_says_whether_its_faces_are_synthetic_or_real(tmp_path):
    faces_kind = load("speckle").faces_kind
    for kind, files in (("synthetic", ["list_eval_partition.txt", "synth_truth.csv"]),
                        ("real", ["list_eval_partition.txt"])):
        celeba = tmp_path / kind / "celeba"
        celeba.mkdir(parents=True)
        for f in files:
            (celeba / f).write_text("")
        (tmp_path / kind / "manifest.json").write_text(json.dumps({"source": str(celeba)}))
        assert faces_kind(tmp_path / kind) == kind
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "manifest.json").write_text("{}")
    assert faces_kind(tmp_path / "none") == "unknown"


@pytest.mark.slow
def test_the_speckle_benchmark_compares_runs_on_the_same_faces_and_prints_its_headline_last(tmp_path):
    """Two tiny runs that differ only in the colour penalty: one record, the real faces' levels, every
    stage of each run as a ratio to them, and the headline (colour speckle of the samples) last."""
    import numpy as np

    from facegan.completion.speckle import high_frequency_share
    from facegan.data.cache import load_cache, write_cache
    from facegan.gan.spec import TrainSpec
    from facegan.gan.trainer import train_gan
    from test_train import make_cache

    c = load_cache(make_cache(tmp_path / "boxless"))     # the same crops, with a 30x30 mouth box each
    cache = write_cache(tmp_path / "cache", c.crops, c.image_ids, c.partitions, c.landmarks,
                        np.tile([45, 25, 30, 30], (len(c), 1)), {"n": len(c)})
    for name, weight in (("plain", 0.0), ("penalised", 1e6)):
        train_gan(cache, tmp_path / name, TrainSpec.from_settings(
            width=0.125, batch_size=8, max_batches=2, epochs=1, swd_n=0, final_n=0, sample_n=4,
            epoch_face_n=0, colour_weight=weight), verbose=0)
    from facegan.completion.inpainter_training import InpainterSpec, train_inpainter

    train_inpainter(cache, tmp_path / "inp", InpainterSpec(base=4, epochs=1, batch_size=2, max_batches=2),
                    verbose=0)
    lines = run_benchmark("speckle", "--run", str(tmp_path / "plain"), "--run", str(tmp_path / "penalised"),
                          "--data", str(cache), "--faces", "4", "--iterations", "2", "--candidates", "2",
                          "--inpainter", str(tmp_path / "inp"), "--record", str(tmp_path / "r.json"))
    res = json.loads((tmp_path / "r.json").read_text())["results"]
    plain, pen = res["runs"]
    assert plain["label"] == "stable, width 0.125, 1 epochs, seed 0"
    assert pen["label"] == "stable, width 0.125, 1 epochs, seed 0 (colour_weight 1e+06)"
    assert pen["trained"]["colour_weight"] == 1e6 and plain["trained"]["r1_gamma"] == 1.0
    assert res["faces"] == 4 and res["method_settings"] == {"iterations": 2, "candidates": 2}
    assert res["faces_kind"] == "unknown"                # a cache whose manifest names no CelebA directory
    for r in (plain, pen):
        assert list(r["stages"]) == ["G samples (face)", "G samples (mouth)", "search", "search, blended",
                                     "fine-tuned, blended", "guided, blended", "inpainter, blended"]
    # the inpainter's training is kept, so the table can say which inpainter it measured
    kept = res["inpainter_trained"]
    assert kept["epochs"] == 1 and kept["settings"]["adv_weight"] == InpainterSpec().adv_weight
    assert kept["command"].startswith("facegan train-inpainter ")
    # the ratios are the shares of these faces' own images: the real crops' level, recomputed
    c = load_cache(cache, "val")
    real = high_frequency_share(c.crops[:4], channels="chroma")
    assert res["real"]["face"]["chroma"]["mean"] == pytest.approx(real.mean(), rel=1e-6)
    s = plain["stages"]["G samples (face)"]["chroma"]
    assert s["mean"] > 0 and s["ratio"] == pytest.approx(s["mean"] / real.mean(), rel=1e-6)
    # from the same seed, two G steps with the colour penalty leave less top-octave colour in the samples
    assert (pen["stages"]["G samples (face)"]["chroma"]["ratio"]
            < plain["stages"]["G samples (face)"]["chroma"]["ratio"])
    assert lines[-1].startswith("colour speckle of G's samples vs real faces: ")
    assert f"{plain['label']}: {plain['stages']['G samples (face)']['chroma']['ratio']:.2f}x" in lines[-1]
