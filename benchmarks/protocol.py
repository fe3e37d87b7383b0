"""The completion protocol on real CelebA, as a user runs it, kept as a record (numbers only).

Runs the protocol's commands in a work directory, timing each:

    facegan data prepare DATA --out W/cache
    facegan train W/cache --out W/run --width 0.5 --epochs 20
    facegan train-inpainter W/cache --out W/inpainter-local      # its defaults (local critic)
    facegan train-inpainter W/cache --out W/inpainter-l1 --adv-weight 0          # L1 alone
    facegan train-inpainter W/cache --out W/inpainter-adv --adv-weight 0.001 --set critic=global
                                                                 # Pathak's, with --adversarial
    facegan train-encoder W/run                                  # its defaults
    facegan evaluate W/run W/cache --split val --out W/eval --inpainter W/inpainter-local \
        --inpainter W/inpainter-l1 [...] --compare ... (the comparisons in COMPARE)

then, with --sweep, how the encoder-started search trades G evaluations for hole L1 (the same
faces, the encoder's guess followed by 0, 10, 25, 50 or 75 search steps, with and without the
default method's fine-tuning). A step whose output is already complete is not run again (its time
is kept in W/steps.json), so an interrupted protocol resumes. The record (benchmarks/results/
protocol-<CPU class>.json) holds every row of the evaluation (mean ± SE of hole L1, PSNR, SSIM,
realism, seconds and G evaluations per face), the paired tests, each step's command and seconds and
the sweep; no pixels and no weights of the real faces leave W. The last line printed is the
default inpainter (L1 + local adversarial) against the L1 inpainter on hole L1 and against
near-blend on the C2ST, paired on the same faces.

    python benchmarks/protocol.py                               # ../shared/celeba-sample
    python benchmarks/protocol.py --adversarial --sweep
    python benchmarks/protocol.py --data /path/to/celeba --work /tmp/protocol --epochs 5
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SAMPLE = ROOT.parent / "shared" / "celeba-sample"
LOCAL, L1 = "inpainter (L1 + local adversarial)", "inpainter (L1)"
COMPARE = (f"{LOCAL}:{L1}", f"{LOCAL}:near-blend", "inpainter-guided-blend:near-blend",
           "finetune-blend:near-blend")


def step(work: Path, name: str, argv: list[str], done: Path) -> dict:
    """Run `facegan ARGV` unless `done` exists; its command line and seconds (kept in steps.json)."""
    log = work / "steps.json"
    steps = json.loads(log.read_text()) if log.is_file() else {}
    command = shlex.join(["facegan", *argv])
    if done.exists() and name in steps:
        print(f"== {name}: done before ({steps[name]['seconds']:.0f} s)", flush=True)
        return steps[name]
    print(f"== {name}: {command}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.run([sys.executable, "-m", "facegan", *argv]).returncode
    if rc != 0:
        raise SystemExit(f"{command} failed (exit {rc})")
    steps[name] = {"command": command, "seconds": time.perf_counter() - t0}
    log.write_text(json.dumps(steps, indent=1) + "\n")
    return steps[name]


def sweep(work: Path, limit: int | None) -> list[dict]:
    """Hole L1, G evaluations and seconds per face of the encoder-started search, by search length."""
    import numpy as np

    from facegan.completion.encoder import load_encoder
    from facegan.completion.masks import mouth_masks
    from facegan.completion.methods import get_method
    from facegan.completion.metrics import batch_metrics
    from facegan.completion.search import complete
    from facegan.data.cache import load_cache
    from facegan.gan.runs import load_run

    val = load_cache(work / "cache", "val")
    n = len(val) if limit is None else min(limit, len(val))
    faces = np.asarray(val.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(val.mouth_boxes[:n])
    run, encoder = load_run(work / "run"), load_encoder(work / "run")
    rows = []
    for tune in (0, get_method("finetune-blend").finetune_steps):
        for iterations in (0, 10, 25, 50, 75):
            m = get_method("encoder-finetune-blend", iterations=iterations, finetune_steps=tune)
            t0, fills, evaluations = time.perf_counter(), [], 0
            for s in range(0, n, 64):
                r = complete(run.generator, run.discriminator, faces[s:s + 64], known[s:s + 64], m,
                             encoder=encoder, seed=s)
                fills.append(r.completed)
                evaluations += r.evaluations
            l1 = [x["hole_l1"] for x in batch_metrics(np.concatenate(fills), faces, known)]
            rows.append({"iterations": iterations, "finetune_steps": tune, "faces": n,
                         "hole_l1": [float(np.mean(l1)), float(np.std(l1, ddof=1) / np.sqrt(n))],
                         "evaluations_per_face": evaluations / n,
                         "seconds_per_face": (time.perf_counter() - t0) / n})
            print(f"   encoder + {iterations} steps, fine-tune {tune}: hole L1 {rows[-1]['hole_l1'][0]:.4f}, "
                  f"{rows[-1]['evaluations_per_face']:.0f} G evaluations per face", flush=True)
    return rows


def main(argv=None) -> None:
    from facegan.records import record_name, write_record

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=SAMPLE, help=f"a CelebA directory (default {SAMPLE})")
    p.add_argument("--work", type=Path, default=Path(os.environ.get("FACEGAN_WORKDIR", ROOT / "work"))
                   / "protocol", help="where the protocol's files go (default work/protocol)")
    p.add_argument("--epochs", type=int, default=20, help="the GAN's epochs (the protocol's 20)")
    p.add_argument("--adversarial", action="store_true",
                   help="also the inpainter with Pathak's whole-face adversarial term (0.999 / 0.001)")
    p.add_argument("--sweep", action="store_true", help="then the encoder-started search by length")
    p.add_argument("--limit", type=int, default=None, help="evaluate the first N val faces only")
    p.add_argument("--method", action="append", default=None, dest="methods",
                   help="evaluate only this GAN method (repeatable; default all, the study's 1,000 x "
                        "1,000 search included, which alone takes about 5 s per face on 2 cores)")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/protocol-<CPU class>.json)")
    args = p.parse_args(argv)
    from facegan.completion.methods import method_names

    unknown = sorted(set(args.methods or ()) - set(method_names()))
    if unknown:              # before an hour of training, not after it
        p.error(f"--method: unknown completion method(s) {', '.join(unknown)}: choose from "
                f"{', '.join(method_names())}")
    if not (args.data / "img_align_celeba").is_dir():
        raise SystemExit(f"{args.data} is not a CelebA directory (no img_align_celeba/)")
    w = args.work
    w.mkdir(parents=True, exist_ok=True)
    steps = [step(w, "prepare", ["data", "prepare", str(args.data), "--out", str(w / "cache")],
                  w / "cache" / "manifest.json"),
             step(w, "train", ["train", str(w / "cache"), "--out", str(w / "run"), "--width", "0.5",
                               "--epochs", str(args.epochs)], w / "run" / "metrics.json"),
             step(w, "train-inpainter", ["train-inpainter", str(w / "cache"), "--out",
                                         str(w / "inpainter-local")],
                  w / "inpainter-local" / "inpainter.weights.h5"),
             step(w, "train-inpainter (L1)", ["train-inpainter", str(w / "cache"), "--out",
                                              str(w / "inpainter-l1"), "--adv-weight", "0"],
                  w / "inpainter-l1" / "inpainter.weights.h5")]
    inpainters = ["--inpainter", str(w / "inpainter-local"), "--inpainter", str(w / "inpainter-l1")]
    if args.adversarial:
        steps.append(step(w, "train-inpainter (adversarial)",
                          ["train-inpainter", str(w / "cache"), "--out", str(w / "inpainter-adv"),
                           "--adv-weight", "0.001", "--set", "critic=global"],
                          w / "inpainter-adv" / "inpainter.weights.h5"))
        inpainters += ["--inpainter", str(w / "inpainter-adv")]
    steps.append(step(w, "train-encoder", ["train-encoder", str(w / "run")],
                      w / "run" / "encoder" / "encoder.weights.h5"))
    steps.append(step(w, "evaluate", ["evaluate", str(w / "run"), str(w / "cache"), "--split", "val",
                                      "--out", str(w / "eval"), *inpainters,
                                      *[a for c in COMPARE for a in ("--compare", c)]]
                      + (["--limit", str(args.limit)] if args.limit else [])
                      + [a for m in args.methods or () for a in ("--method", m)], w / "eval" / "summary.json"))
    summary = json.loads((w / "eval" / "summary.json").read_text())["results"]
    manifest = json.loads((w / "cache" / "manifest.json").read_text())
    prepared = {k: manifest[k] for k in ("n_source", "n_kept", "removed", "n_corrupt", "kept_per_partition")}
    gan = json.loads((w / "run" / "metrics.json").read_text())
    history = json.loads((w / "run" / "history.json").read_text())
    results = {"data": args.data.name, "epochs": args.epochs, "steps": steps, "prepared": prepared,
               "gan": {"final": gan, "history": history}, "evaluation": summary,
               "sweep": sweep(w, args.limit) if args.sweep else None}
    record = args.record or RESULTS / record_name("protocol")
    write_record(record, "protocol", results)
    print(f"record: {record}")
    print(headline(summary))


def headline(summary: dict) -> str:
    """The default inpainter against the L1 one (hole L1) and against near-blend (C2ST)."""
    by = {(c["ours"], c["other"]): c for c in summary.get("comparisons", [])}
    l1, real = by[(LOCAL, L1)]["hole_l1"], by[(LOCAL, "near-blend")].get("c2st")
    text = (f"{LOCAL}: hole L1 {l1['mean_difference']:+.4f} against {L1} "
            f"(Wilcoxon p = {l1['wilcoxon_p']:.2g})")
    if real:
        text += (f"; C2ST {100 * real['difference']:+.1f} ± {100 * real['se']:.1f} points against "
                 f"near-blend")
    return text


if __name__ == "__main__":
    main()
