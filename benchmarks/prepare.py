"""Benchmark: crops per second of `facegan data prepare` on the real CelebA sample.

Times the whole prepare (read annotations, fingerprint, decode + crop + quality in worker processes,
write the cache and quality.csv) and, for a ratio within the same run, the same work in one process.
Usage: python benchmarks/prepare.py [CELEBA_DIR] [--workers W] [--repeats R]
The last line is the headline: `crops per second: <value>` (parallel, all cores, median of repeats).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from facegan.data.prepare import prepare

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "celeba-sample"


def timed(source, workers: int, repeats: int) -> tuple[float, int]:
    rates, n = [], 0
    with tempfile.TemporaryDirectory(prefix="facegan-bench-") as tmp:
        for r in range(repeats):
            t0 = time.perf_counter()
            m = prepare(source, Path(tmp) / "cache", workers=workers, progress=False, force=True)
            rates.append(m["n_source"] / (time.perf_counter() - t0))
            n = m["n_source"]
    return statistics.median(rates), n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=os.environ.get("FACEGAN_CELEBA_SAMPLE", DEFAULT))
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not (Path(args.source) / "img_align_celeba").is_dir():
        print(f"no CelebA directory at {args.source}", file=sys.stderr)
        return 2
    one, n = timed(args.source, 1, args.repeats)
    par, _ = timed(args.source, args.workers, args.repeats)
    print(f"images: {n}; cores: {os.cpu_count()}")
    print(f"1 process:  {one:,.0f} crops/s")
    print(f"{args.workers} processes: {par:,.0f} crops/s ({par / one:.2f}x)")
    print(f"crops per second: {par:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
