"""How long the default build (`make book`, quick profile) takes here, from a fresh clone, and what
its generators came out like.

Clones this checkout's HEAD into a temporary directory, runs the README's `make book` there (the
quick profile by default; pip's cache is used, as on any machine that installed once) and records
the whole time, the set-up before the first notebook (`setup_s`: the virtual environment and the
kernel measurement, `kernel_measurement_s` of it), each notebook's seconds and the HTML build, the
training steps' milliseconds that `facegan.gan.speed` measured for the kernel choice (what
`facegan book` scales its estimate by), and each GAN's final quality in that build: SWD and
diversity after its last epoch, and its face rate and diversity after training (RUN/metrics.json).

    python benchmarks/book_time.py                     # quick profile, seed 0
    python benchmarks/book_time.py --seed 1 --record /tmp/seed1.json

Writes benchmarks/results/book_time-<CPU class>.json (the README's and the book's time tables);
the last line printed is the build's total time.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def run_book(clone: Path, profile: str, seed: int, cache: Path) -> tuple[float, str]:
    """`make book` in the clone; its wall time and output (also streamed to this terminal)."""
    env = {**os.environ, "FACEGAN_CACHE": str(cache), "PROFILE": profile}
    env.pop("FACEGAN_WORKDIR", None)
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)             # the build chooses, as on a new machine
    cmd = ["make", "book"] + ([f"SEED={seed}"] if seed else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if proc.wait() != 0:
        raise SystemExit(f"make book failed in {clone} (exit {proc.returncode})")
    return time.perf_counter() - t0, "".join(lines)


def stage_seconds(log: str) -> dict:
    """Each notebook's seconds and the whole build's, from `facegan book`'s own lines."""
    names = re.findall(r"executing notebooks/(\S+)\.ipynb", log)
    done = [float(s) for s in re.findall(r"done in (\d+) s", log)]
    build = re.search(r"book built in (\d+) s", log)
    return {"notebooks": dict(zip(names, done)), "build_s": float(build.group(1)) if build else None}


def quality(work: Path) -> dict:
    """Each run of the build: its recipe, last epoch's SWD and diversity, and RUN/metrics.json."""
    out = {}
    for config in sorted(work.glob("*/runs/*/config.json")):
        run = config.parent
        cfg = json.loads(config.read_text())
        history = json.loads((run / "history.json").read_text())
        final = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").is_file() else {}
        out[cfg["recipe"]] = {"epochs": len(history), "swd": history[-1].get("swd"),
                              "diversity_last_epoch": history[-1].get("diversity"),
                              "face_rate": final.get("face_rate"), "n_face_rate": final.get("n_face_rate"),
                              "diversity": final.get("diversity"), "command": cfg["command"]}
    return out


def main(argv=None) -> None:
    from facegan.records import record_name, write_record

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="quick")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the clone (its work/ holds the build)")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/book_time-<CPU class>.json)")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="facegan-book-time-"))
    clone, cache = tmp / "facegan", tmp / "cache"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True,
                          text=True, check=True).stdout.strip()
    total, log = run_book(clone, args.profile, args.seed, cache)
    stages = stage_seconds(log)
    choice = next(iter(sorted(cache.glob("kernels-*.json"))), None)
    kernels = json.loads(choice.read_text()) if choice else {}
    results = {"profile": args.profile, "seed": args.seed, "clone_commit": head, "make_book_s": total,
               **stages, "setup_s": total - (stages["build_s"] or 0),
               "onednn": kernels.get("onednn"), "step_ms": kernels.get("step_ms"),
               "kernel_measurement_s": kernels.get("seconds"),
               "runs": quality(clone / "work" / args.profile)}
    record = args.record or RESULTS / record_name("book_time")
    write_record(record, "book_time", results)
    print(f"record: {record}")
    if not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"make book ({args.profile}, seed {args.seed}) from a fresh clone: {total / 60:.1f} min")


if __name__ == "__main__":
    sys.exit(main())
