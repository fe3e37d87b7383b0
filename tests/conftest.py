"""Shared fixtures. Tests that need the real CelebA sample skip cleanly when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

REPO = Path(__file__).resolve().parents[1]
CELEBA_SAMPLE = Path(os.environ.get("FACEGAN_CELEBA_SAMPLE", REPO.parent / "shared" / "celeba-sample"))


@pytest.fixture(scope="session")
def celeba_sample() -> Path:
    """Path to ../shared/celeba-sample (real CelebA images); skips the test when absent."""
    if not (CELEBA_SAMPLE / "img_align_celeba").is_dir():
        pytest.skip(f"real CelebA sample not found at {CELEBA_SAMPLE} (set FACEGAN_CELEBA_SAMPLE)")
    return CELEBA_SAMPLE


def pytest_configure(config):
    """One scratch work directory per test session, shared by the book test and nbval's kernels
    (they inherit the environment), so the smoke pipeline's data and runs are made once."""
    if "FACEGAN_WORKDIR" not in os.environ:
        import tempfile

        os.environ["FACEGAN_WORKDIR"] = tempfile.mkdtemp(prefix="facegan-test-work-")
        config._facegan_tmp_workdir = os.environ["FACEGAN_WORKDIR"]


def pytest_unconfigure(config):
    tmp = getattr(config, "_facegan_tmp_workdir", None)
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        os.environ.pop("FACEGAN_WORKDIR", None)
