"""Benchmark: crops per second of `facegan data prepare` on the real CelebA sample.

Times the whole prepare (read annotations, fingerprint, decode + crop + quality in worker processes,
write the cache and quality.csv) as the book's data stage runs it (all partitions, the profile's
`prepare_limit`; `--profile`, default quick) and, for a ratio within the same run, the same work in
one process. Writes the record benchmarks/results/prepare-<CPU class>.json.
Usage: python benchmarks/prepare.py [CELEBA_DIR] [--workers W] [--repeats R] [--record PATH]
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
from facegan.records import record_name, write_record
from facegan.report.profiles import get_profile, names

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "celeba-sample"
RESULTS = ROOT / "benchmarks" / "results"


def timed(source, workers: int, repeats: int, limit: int | None) -> tuple[float, int]:
    """Median crops per second of `repeats` prepares of `source` with `workers` processes, and the
    number of source images."""
    rates, n = [], 0
    with tempfile.TemporaryDirectory(prefix="facegan-bench-") as tmp:
        for r in range(repeats):
            t0 = time.perf_counter()
            m = prepare(source, Path(tmp) / "cache", partition="all", limit=limit, workers=workers,
                        progress=False, force=True)
            rates.append(m["n_source"] / (time.perf_counter() - t0))
            n = m["n_source"]
    return statistics.median(rates), n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=os.environ.get("FACEGAN_CELEBA_SAMPLE", DEFAULT))
    ap.add_argument("--profile", default="quick", choices=names(), help="whose prepare_limit (default quick)")
    ap.add_argument("--limit", type=int, default=None, help="images prepared at most (default: the profile's)")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--record", type=Path, default=None,
                    help="where the record goes (default benchmarks/results/prepare-<CPU class>.json)")
    args = ap.parse_args(argv)
    if not (Path(args.source) / "img_align_celeba").is_dir():
        print(f"no CelebA directory at {args.source}", file=sys.stderr)
        return 2
    cfg = get_profile(args.profile)
    limit = cfg["prepare_limit"] if args.limit is None else args.limit
    changed = {} if limit == cfg["prepare_limit"] else {"prepare_limit": limit}
    one, n = timed(args.source, 1, args.repeats, limit)
    par, _ = timed(args.source, args.workers, args.repeats, limit)
    print(f"images: {n}; cores: {os.cpu_count()}")
    print(f"1 process:  {one:,.0f} crops/s")
    print(f"{args.workers} processes: {par:,.0f} crops/s ({par / one:.2f}x)")
    results = {"profile": args.profile, "changed": changed, "data": Path(args.source).name, "images": n,
               "workers": args.workers, "repeats": args.repeats, "one_process_crops_per_s": one,
               "crops_per_s": par, "speedup": par / one}
    record = args.record or RESULTS / record_name("prepare")
    print(f"record: {write_record(record, 'prepare', results)}")
    print(f"crops per second: {par:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
