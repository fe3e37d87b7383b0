"""The committed notebooks: no outputs, exactly one papermill `parameters` cell, sizes from profiles."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from facegan.report.build import NOTEBOOKS

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = [NB_DIR / f"{n}.ipynb" for n in NOTEBOOKS]


def test_every_listed_notebook_exists_and_nothing_else():
    assert sorted(p.name for p in NB_DIR.glob("*.ipynb")) == sorted(p.name for p in PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_has_exactly_one_parameters_cell_with_the_profile(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} parameters cells"
    src = "".join(tagged[0]["source"])
    for name in ("profile", "data", "workdir", "seed"):
        assert f"{name} =" in src, f"{path.name}: parameters cell lacks {name!r}"
    assert 'profile = "smoke"' in src, "notebooks default to the smoke profile so nbval stays fast"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_sizes_come_from_the_profile(path):
    """No hard-coded sizes in code cells: epochs, widths, candidates... live in facegan/profiles.py."""
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for forbidden in ("epochs=", "candidates=", "iterations=", "synth_n="):
        assert forbidden not in code.replace(" ", ""), f"{path.name} hard-codes {forbidden}"
