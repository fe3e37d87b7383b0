"""Completion cost: the completion method's time for 64 faces, and its evaluations vs the study's schedule.

It measures a TRAINED generator on real or synthetic faces: `--run RUN --data CACHE` (the cache's
val split), or, without them, a small run of the profile's completion GAN (`--profile`, default
quick; `facegan.report.profiles`) that it trains itself on synthetic CelebA, cached under
work/bench/ (rendered, prepared and trained once, reused afterwards). That run is the profile's
spec with a shorter schedule on fewer faces (`--synth-n`, `--bench-epochs`, `--bench-batches`) and
no per-epoch SWD; the record names every setting it changed from the profile (`changed`). A run with
no finished epoch is refused with one message: the ratio of an untrained GAN means nothing.

Study schedule (1000 random starts, SGD lr 0.01 momentum 0.9 - the `study` method) run to
`--paper-iterations` (the study went to 100K; fewer charges its side LESS). We count generator
evaluations (one per start, one per iteration, per face) until the profile's completion method's
CONTEXTUAL loss (known-pixel L1) reaches the study schedule's final one for each face, and time
both. Writes the record benchmarks/results/completion-<CPU class>.json. Last line: `default method
<name>: 64 faces in <s> s on <n> CPU cores; evaluation reduction vs paper schedule: <ratio>x`.

    python benchmarks/completion.py
    python benchmarks/completion.py --run runs/comp --data data/cache --record /tmp/completion.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# first: a record's command names the kernel settings this process was started with, not the ones
# apply_measured() makes
from facegan.records import record_name, write_record  # noqa: E402
from facegan.gan.speed import apply_measured  # noqa: E402

apply_measured()           # before TensorFlow loads, as `facegan complete` / `evaluate` do

from facegan.errors import FaceganError  # noqa: E402
from facegan.report.profiles import ROLES, get_profile, names  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("FACEGAN_WORKDIR", ROOT / "work")) / "bench"
RESULTS = ROOT / "benchmarks" / "results"
COMPLETION_ROLE = ROLES[-1]        # the profile's roles: Figs. 5-6's GAN, then completion's


def bench_spec(cfg: dict, args):
    """(spec, changed): the profile's completion GAN with this benchmark's shorter schedule, and
    the settings that changed from the profile's."""
    from facegan.report.training import budget_spec

    spec = budget_spec(cfg, COMPLETION_ROLE, epochs=args.bench_epochs, max_batches=args.bench_batches,
                       swd_n=0)
    changed = spec.changed(budget_spec(cfg, COMPLETION_ROLE))
    if args.synth_n != cfg["synth_n"]:
        changed["synth_n"] = args.synth_n
    return spec, changed


def bench_run(spec, synth_n: int):
    """(run dir, cache dir) of `spec` trained on `synth_n` synthetic CelebA faces under work/bench/
    (trained once; more epochs resume it)."""
    from facegan.data.prepare import prepare
    from facegan.data.synthetic.render import render_synthetic_celeba
    from facegan.gan.runs import read_history
    from facegan.gan.trainer import train_gan
    from facegan.report.edition import short_hash

    root = BENCH / f"synth-n{synth_n}"
    render_synthetic_celeba(root / "celeba", n=synth_n, seed=0, progress=False)
    prepare(root / "celeba", root / "cache", partition="all", progress=False)
    run = root / f"run-w{spec.width:g}-{short_hash(json.dumps(spec.identity(), sort_keys=True))}"
    if len(read_history(run)) < spec.epochs:
        print(f"training the benchmark's GAN once: {spec.recipe.name} recipe, width {spec.width:g}, "
              f"{spec.epochs} epochs x {spec.max_batches} batches on {synth_n} synthetic faces -> {run}",
              flush=True)
        train_gan(root / "cache", run, spec, resume=run.exists(), verbose=0)
    return run, root / "cache"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="quick", choices=names(),
                   help="whose completion GAN and completion method (default quick)")
    p.add_argument("--run", default=None, help="a trained run (default: train a small one, cached)")
    p.add_argument("--data", default=None, help="a prepared cache whose val faces are completed")
    p.add_argument("--method", default=None, help="a completion method (default: the profile's)")
    p.add_argument("--faces", type=int, default=4, help="faces in the schedule comparison")
    p.add_argument("--paper-iterations", type=int, default=2000,
                   help="the study ran to 100K; fewer charges its side less (default 2000)")
    p.add_argument("--max-iterations", type=int, default=1000, help="cap when chasing the study's loss")
    p.add_argument("--timing-faces", type=int, default=64)
    p.add_argument("--synth-n", type=int, default=1500, help="synthetic faces for the self-trained run")
    p.add_argument("--bench-epochs", type=int, default=4)
    p.add_argument("--bench-batches", type=int, default=60, help="batches per epoch of the self-trained run")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/completion-<CPU class>.json)")
    return p.parse_args(argv)


def profile_method(cfg: dict, name: str | None):
    """The completion method `name` (default: the profile's) with the profile's search settings."""
    from facegan.completion.methods import get_method

    settings = dict(cfg["completion"])
    default = settings.pop("method")
    return get_method(name or default, **settings)


def gan_and_faces(args, cfg: dict) -> tuple:
    """(run, run dir, cache dir, val cache, changed): the GAN measured, its faces and what changed
    from the profile; a FaceganError where they cannot be had."""
    from facegan.data.cache import load_cache
    from facegan.gan.runs import load_run

    if (args.run is None) != (args.data is None):
        raise FaceganError("give both --run and --data (a trained run and a prepared cache), or "
                           "neither (a small run is trained on synthetic faces under work/bench/)")
    changed = {}
    if args.run:
        run_dir, cache_dir = Path(args.run), Path(args.data)
    else:
        spec, changed = bench_spec(cfg, args)
        run_dir, cache_dir = bench_run(spec, args.synth_n)
    run = load_run(run_dir)                     # refuses a run with no finished epoch
    if not run.history:
        raise FaceganError(f"{run_dir} has no finished training epoch in its history: refusing to "
                           f"report a completion ratio for an untrained GAN")
    c = load_cache(cache_dir, "val")
    if len(c) == 0:
        raise FaceganError(f"cache {cache_dir} has no val faces to complete")
    return run, run_dir, cache_dir, c, changed


def study_schedule(g, d, f, k, iterations: int) -> dict:
    """The study's schedule to `iterations` on faces `f` (known masks `k`): its final contextual
    loss per face, evaluations and seconds."""
    import numpy as np

    from facegan.completion.methods import METHODS, get_method
    from facegan.completion.search import complete

    t0 = time.perf_counter()
    paper = complete(g, d, f, k, get_method("study", iterations=iterations), blend=False, progress=True)
    wall = time.perf_counter() - t0
    goal = paper.contextual[-1]
    print(f"study schedule: {METHODS['study'].candidates} starts + {iterations} SGD iterations: final "
          f"contextual loss per face {np.round(goal, 4).tolist()}, {paper.evaluations} evaluations, "
          f"{wall:.1f} s")
    return {"goal": goal, "evaluations": paper.evaluations, "seconds": wall}


def iterations_to_goal(g, d, f, k, method, goal, max_iterations: int):
    """The first iteration at which `method` (without fine-tuning, up to `max_iterations`) reaches
    `goal`'s contextual loss for each face (-1: not within them)."""
    import numpy as np

    from facegan.completion.methods import get_method
    from facegan.completion.search import complete

    ours = complete(g, d, f, k, get_method(method, iterations=max_iterations, finetune_steps=0), blend=False)
    reached = ours.contextual <= goal[None, :]
    first = np.where(reached.any(0), reached.argmax(0), -1)
    at = min(method.iterations, max_iterations)
    print(f"{method.name}: first iteration reaching the study's final contextual loss per face "
          f"{first.tolist()} (-1 = not within {max_iterations}); its own loss after {at} iterations "
          f"{np.round(ours.contextual[at], 4).tolist()}")
    return first


def compare_evaluations(method, first, paper_iterations: int, max_iterations: int) -> dict:
    """Generator evaluations of each side, counted over the faces `method` brought to the study's
    loss; exits (1) when none did."""
    import numpy as np

    from facegan.completion.methods import METHODS

    ok = first >= 0
    if not ok.any():
        print(f"benchmark: error: no face reached the study schedule's loss within {max_iterations} "
              f"iterations; no ratio to report", file=sys.stderr)
        sys.exit(1)
    if not ok.all():
        print(f"WARNING: {int((~ok).sum())} face(s) never reached the study's loss; the ratio counts "
              f"only the {int(ok.sum())} that did")
    ours = int(np.sum(method.candidates + method.keep * (first[ok] + 1)))
    study = int(ok.sum()) * (METHODS["study"].candidates + paper_iterations + 1)
    print(f"evaluations: study {study}, {method.name} {ours}")
    return {"faces_reached": int(ok.sum()), "study": study, "method": ours, "ratio": study / ours}


def main(argv=None) -> None:
    import numpy as np

    from facegan.completion.masks import mouth_masks
    from facegan.completion.search import complete

    args = parse_args(argv)
    cfg = get_profile(args.profile)
    try:
        method = profile_method(cfg, args.method)
        run, run_dir, cache_dir, c, changed = gan_and_faces(args, cfg)
    except FaceganError as e:
        print(f"benchmark: error: {e}", file=sys.stderr)
        sys.exit(2)
    if args.method and method.name != cfg["completion"]["method"]:
        changed["completion.method"] = method.name
    g, d = run.generator, run.discriminator
    print(f"GAN: trained run {run_dir} (width {run.config['width']}, {len(run.history)} epochs)")
    n = min(max(args.faces, args.timing_faces), len(c))
    faces = np.asarray(c.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(c.mouth_boxes[:n])
    print(f"faces: {n} val crops from {cache_dir}, masks = their mouth boxes")
    f, k = faces[:args.faces], known[:args.faces]
    study = study_schedule(g, d, f, k, args.paper_iterations)
    first = iterations_to_goal(g, d, f, k, method, study["goal"], args.max_iterations)
    counts = compare_evaluations(method, first, args.paper_iterations, args.max_iterations)
    t0 = time.perf_counter()
    complete(g, d, faces[:args.timing_faces], known[:args.timing_faces], method)
    wall, timed = time.perf_counter() - t0, min(n, args.timing_faces)
    results = {"profile": args.profile, "changed": changed, "method": method.name,
               "gan": {"command": run.config.get("command"), "width": run.config["width"],
                       "epochs": len(run.history)},
               "faces": len(f), "paper_iterations": args.paper_iterations, "max_iterations": args.max_iterations,
               "study": {"final_contextual": study["goal"].tolist(), "evaluations": study["evaluations"],
                         "seconds": study["seconds"]},
               "first_iteration": first.tolist(), "evaluations": counts,
               "timing": {"faces": timed, "seconds": wall, "cores": os.cpu_count()}}
    record = args.record or RESULTS / record_name("completion")
    print(f"record: {write_record(record, 'completion', results)}")
    print(f"default method {method.name}: {timed} faces in {wall:.1f} s on "
          f"{os.cpu_count()} CPU cores; evaluation reduction vs paper schedule: {counts['ratio']:.0f}x")


if __name__ == "__main__":
    main()
