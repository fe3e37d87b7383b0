"""Completion cost: the default method's time for 64 faces, and its evaluations vs the study's schedule.

It measures a TRAINED generator on real or synthetic faces: `--run RUN --data CACHE` (the cache's
val split), or, without them, a small run it trains itself on synthetic CelebA, cached under
work/bench/ (rendered, prepared and trained once, reused afterwards). A run with no finished epoch
is refused with one message: the ratio of an untrained GAN means nothing.

Study schedule (1000 random starts, SGD lr 0.01 momentum 0.9 - the `study` method) run to
`--paper-iterations` (the study went to 100K; fewer charges its side LESS). We count generator
evaluations (one per start, one per iteration, per face) until the default method's CONTEXTUAL loss
(known-pixel L1) reaches the study schedule's final one for each face, and time both.
Last line: `default method <name>: 64 faces in <s> s on <n> CPU cores; evaluation reduction vs
paper schedule: <ratio>x`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
from facegan.gan.speed import apply_measured  # noqa: E402

apply_measured()           # before TensorFlow loads, as `facegan complete` / `evaluate` do

BENCH = Path(__file__).resolve().parents[1] / "work" / "bench"


def bench_run(synth_n: int, epochs: int, max_batches: int):
    """(run dir, cache dir) of a small half-width GAN trained on synthetic CelebA under work/bench/."""
    from facegan.data.prepare import prepare
    from facegan.data.synthetic.render import render_synthetic_celeba
    from facegan.gan.runs import read_history
    from facegan.gan.spec import TrainSpec
    from facegan.gan.trainer import train_gan

    root = BENCH / f"synth-n{synth_n}-e{epochs}-b{max_batches}"
    render_synthetic_celeba(root / "celeba", n=synth_n, seed=0, progress=False)
    prepare(root / "celeba", root / "cache", partition="all", progress=False)
    run = root / "run"
    if len(read_history(run)) < epochs:
        print(f"training the benchmark's GAN once: width 0.5, {epochs} epochs x {max_batches} batches "
              f"on {synth_n} synthetic faces -> {run}", flush=True)
        spec = TrainSpec.from_settings(epochs=epochs, width=0.5, max_batches=max_batches, swd_n=0)
        train_gan(root / "cache", run, spec, resume=run.exists(), verbose=0)
    return run, root / "cache"


def main():
    import numpy as np

    from facegan.completion.methods import DEFAULT_METHOD, METHODS, get_method
    from facegan.errors import FaceganError

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", default=None, help="a trained run (default: train a small one, cached)")
    p.add_argument("--data", default=None, help="a prepared cache whose val faces are completed")
    p.add_argument("--method", default=DEFAULT_METHOD, choices=list(METHODS))
    p.add_argument("--faces", type=int, default=4, help="faces in the schedule comparison")
    p.add_argument("--paper-iterations", type=int, default=2000,
                   help="the study ran to 100K; fewer charges its side less (default 2000)")
    p.add_argument("--max-iterations", type=int, default=1000, help="cap when chasing the study's loss")
    p.add_argument("--timing-faces", type=int, default=64)
    p.add_argument("--synth-n", type=int, default=1500, help="synthetic faces for the self-trained run")
    p.add_argument("--bench-epochs", type=int, default=4)
    p.add_argument("--bench-batches", type=int, default=60, help="batches per epoch of the self-trained run")
    args = p.parse_args()

    from facegan.completion.masks import mouth_masks
    from facegan.completion.search import complete
    from facegan.data.cache import load_cache
    from facegan.gan.runs import load_run

    try:
        if (args.run is None) != (args.data is None):
            raise FaceganError("give both --run and --data (a trained run and a prepared cache), or "
                               "neither (a small run is trained on synthetic faces under work/bench/)")
        run_dir, cache_dir = ((Path(args.run), Path(args.data)) if args.run else
                              bench_run(args.synth_n, args.bench_epochs, args.bench_batches))
        run = load_run(run_dir)                     # refuses a run with no finished epoch
        if not run.history:
            raise FaceganError(f"{run_dir} has no finished training epoch in its history: refusing to "
                               f"report a completion ratio for an untrained GAN")
        c = load_cache(cache_dir, "val")
        if len(c) == 0:
            raise FaceganError(f"cache {cache_dir} has no val faces to complete")
    except FaceganError as e:
        print(f"benchmark: error: {e}", file=sys.stderr)
        sys.exit(2)
    g, d = run.generator, run.discriminator
    print(f"GAN: trained run {run_dir} (width {run.config['width']}, {len(run.history)} epochs)")
    n = min(max(args.faces, args.timing_faces), len(c))
    faces = np.asarray(c.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(c.mouth_boxes[:n])
    print(f"faces: {n} val crops from {cache_dir}, masks = their mouth boxes")
    f, k = faces[:args.faces], known[:args.faces]

    t0 = time.perf_counter()
    paper = complete(g, d, f, k, get_method("study", iterations=args.paper_iterations), blend=False,
                     progress=True)
    paper_wall = time.perf_counter() - t0
    goal = paper.contextual[-1]
    study = METHODS["study"]
    print(f"study schedule: {study.candidates} starts + {args.paper_iterations} SGD iterations: final "
          f"contextual loss per face {np.round(goal, 4).tolist()}, {paper.evaluations} evaluations, "
          f"{paper_wall:.1f} s")

    ours_m = METHODS[args.method]
    t0 = time.perf_counter()
    ours = complete(g, d, f, k, get_method(args.method, iterations=args.max_iterations, finetune_steps=0),
                    blend=False)
    ours_wall_max = time.perf_counter() - t0
    reached = ours.contextual <= goal[None, :]
    first = np.where(reached.any(0), reached.argmax(0), -1)
    ok = first >= 0
    print(f"{args.method}: first iteration reaching the study's final contextual loss per face "
          f"{first.tolist()} (-1 = not within {args.max_iterations}); its own loss after "
          f"{min(ours_m.iterations, args.max_iterations)} iterations "
          f"{np.round(ours.contextual[min(ours_m.iterations, args.max_iterations)], 4).tolist()}")
    if not ok.any():
        print(f"benchmark: error: no face reached the study schedule's loss within {args.max_iterations} "
              f"iterations; no ratio to report", file=sys.stderr)
        sys.exit(1)
    if not ok.all():
        print(f"WARNING: {int((~ok).sum())} face(s) never reached the study's loss; the ratio counts "
              f"only the {int(ok.sum())} that did")
    per_start = ours_m.keep
    ours_evals = int(np.sum(ours_m.candidates + per_start * (first[ok] + 1)))
    paper_evals_ok = int(ok.sum()) * (study.candidates + args.paper_iterations + 1)
    print(f"evaluations: study {paper_evals_ok}, {args.method} {ours_evals}")

    t0 = time.perf_counter()
    complete(g, d, faces[:args.timing_faces], known[:args.timing_faces], args.method)
    wall = time.perf_counter() - t0
    ratio = paper_evals_ok / ours_evals
    print(f"default method {args.method}: {min(n, args.timing_faces)} faces in {wall:.1f} s on "
          f"{os.cpu_count()} CPU cores; evaluation reduction vs paper schedule: {ratio:.0f}x")


if __name__ == "__main__":
    main()
