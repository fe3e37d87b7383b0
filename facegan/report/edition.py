"""An edition of the report: the settings it is built with, and where its files live.

Every notebook starts from the same five parameters (profile, data, workdir, seed, overrides) and
turns them into one `Edition`. The stages (`data_stage`, `training`, `completion`, `evaluation`)
take it and keep what they make under its work directory, so notebooks run in order (papermill),
alone (nbval, Jupyter) or again, with one result. Sizes come only from the profile
(`facegan.report.profiles`); nothing here computes anything.

Work directory layout (keyed by data source, so two data sets never mix)::

    WORK/<data tag>/celeba/                rendered synthetic CelebA (tag synth-n<N>-seed<S>)
    WORK/<data tag>/cache/                 prepared crops (facegan data prepare)
    WORK/<data tag>/runs/w0.5-<hash>/      a training run (facegan train), reused and resumed
    WORK/<data tag>/completion-<hash>.npz  completed held-out faces (Figs. 4, 7, 8)
    WORK/<data tag>/eval-<split>-<hash>/   metrics.csv / metrics.md (facegan evaluate)

The data tag is celeba-<folder>-<hash> for real CelebA given as `data`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from facegan.errors import FaceganError
from facegan.report.profiles import get_profile


@dataclass
class Edition:
    """The settings one edition of the report is built with (a notebook's parameters, resolved)."""

    profile: str = "smoke"
    data: str | None = None          # CelebA directory; None = synthetic CelebA
    workdir: str | None = None       # None: $FACEGAN_WORKDIR/PROFILE, else <repo>/work/PROFILE
    seed: int | None = None          # None: the profile's seed
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        self.settings = get_profile(self.profile, **(self.overrides or {}))
        if self.seed is None:
            self.seed = int(self.settings["seed"])
        if self.data is None and self.settings["requires_real_data"]:
            raise FaceganError(f"profile {self.profile!r} needs real CelebA: pass data= in the notebook "
                               f"or `facegan book --profile {self.profile} --data DIR`")
        # resolved here, at run time, so a notebook never carries the build machine's paths
        self.work = (Path(self.workdir).expanduser() if self.workdir else default_workdir(self.profile)).resolve()
        self.work.mkdir(parents=True, exist_ok=True)

    def spec(self, role: str):
        """The TrainSpec of the edition's `role` GAN (one of `ROLES`): its profile entry, at the
        edition's seed."""
        from facegan.gan.spec import TrainSpec

        return TrainSpec.from_settings(**self.settings[role], seed=self.seed)

    def method(self, name: str | None = None):
        """The completion Method `name` (default: the edition's) with the edition's search settings."""
        from facegan.completion.methods import get_method

        settings = dict(self.settings["completion"])
        default = settings.pop("method")
        return get_method(name or default, **settings)

    @property
    def data_label(self) -> str:
        """The data source in words, for captions (a folder name, never a full path)."""
        if self.data:
            return f"real CelebA ({Path(self.data).expanduser().resolve().name}/)"
        return f"synthetic CelebA ({self.settings['synth_n']:,} faces)"

    @property
    def data_dir(self) -> Path:
        """WORK/<data tag>: everything derived from one data source."""
        if self.data:
            src = Path(self.data).expanduser().resolve()
            tag = f"celeba-{src.name}-{short_hash(str(src))}"
        else:
            tag = f"synth-n{self.settings['synth_n']}-seed{self.seed}"
        return self.work / tag


def short_hash(text: str) -> str:
    """Eight hex digits naming a setting in a file name."""
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root: the nearest directory upwards holding _config.yml, _toc.yml and notebooks/."""
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / "_config.yml").is_file() and (d / "_toc.yml").is_file() and (d / "notebooks").is_dir():
            return d
    raise FaceganError(f"no facegan book found at or above {here} (looked for _config.yml, _toc.yml "
                       "and notebooks/): run `facegan book` inside a clone of the facegan repository")


def default_workdir(profile: str) -> Path:
    """Where a profile's data, runs and results live: $FACEGAN_WORKDIR/PROFILE, else <repo>/work/PROFILE
    (or ./work/PROFILE outside a clone, e.g. a notebook opened in Colab)."""
    base = os.environ.get("FACEGAN_WORKDIR")
    if base:
        return Path(base).expanduser().resolve() / profile
    try:
        return find_root() / "work" / profile
    except FaceganError:
        return Path.cwd().resolve() / "work" / profile
