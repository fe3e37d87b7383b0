"""The supervised-inpainting stage: an inpainter trained for the job on the edition's training crops
(the profile's `inpainter` entry, an `InpainterSpec`), trained once and reused, resumed if cut short.

Like a GAN run, its directory is named by its spec but not by its length, and its config.json
records the `facegan train-inpainter` command line that trains it again.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from facegan.report.data_stage import prepared_cache
from facegan.report.edition import Edition, short_hash


def inpainter_spec(ed: Edition):
    """The edition's InpainterSpec: its profile entry, at the edition's seed."""
    from facegan.completion.inpainter_training import InpainterSpec

    return InpainterSpec.from_settings(**ed.settings["inpainter"], seed=ed.seed)


def inpainter_dir(ed: Edition) -> Path:
    spec = inpainter_spec(ed)
    return ed.data_dir / "inpainters" / f"b{spec.base}-{short_hash(json.dumps(spec.identity(), sort_keys=True))}"


def trained_inpainter(ed: Edition):
    """The edition's inpainter after the profile's epochs: loaded if trained, resumed if cut short,
    else trained."""
    from facegan.completion.inpainter_training import load_inpainter, train_inpainter
    from facegan.rundir import read_history, resumable

    spec, out = inpainter_spec(ed), inpainter_dir(ed)
    if len(read_history(out)) >= spec.epochs and (out / "inpainter.weights.h5").is_file():
        return load_inpainter(out)
    resume = resumable(out)
    print(f"training the supervised inpainter (base {spec.base}, {spec.epochs} epochs) in {out.name}",
          file=sys.stderr)
    return train_inpainter(prepared_cache(ed), out, spec, resume=resume, verbose=2)
