"""The committed notebooks: no outputs, exactly one papermill `parameters` cell, sizes from profiles."""
from __future__ import annotations

import json
import re
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
    """No hard-coded sizes in code cells: epochs, widths, candidates... live in facegan/report/profiles.py."""
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for forbidden in ("epochs=", "candidates=", "iterations=", "synth_n="):
        assert forbidden not in code.replace(" ", ""), f"{path.name} hard-codes {forbidden}"


def _repository_url() -> str:
    config = (NB_DIR.parent / "_config.yml").read_text()
    m = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, flags=re.M)
    assert m, "_config.yml has no repository url"
    return m.group(1)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_begins_with_a_guarded_install(path):
    """Opened outside a checkout (Colab), the first code cell installs facegan; in a checkout it does nothing."""
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    src = "".join(first["source"])
    assert re.search(r"try:\s*\n\s+import facegan\s*\n\s*except ImportError:\s*\n\s+%pip install", src), src
    assert f'"git+{_repository_url()}"' in src
    assert "remove-cell" in first["metadata"].get("tags", [])        # not shown in the book


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_carries_no_machine_specific_path(path):
    text = path.read_text()
    for prefix in ("/work/", "/home/", "/tmp/", "/Users/", str(NB_DIR.parent)):
        assert prefix not in text, f"{path.name} contains {prefix!r}"
    nb = json.loads(text)
    params = "".join(next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))["source"])
    assert re.search(r"^workdir = None\b", params, flags=re.M), "the work directory must resolve at run time"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_a_chapter(path):
    """Overview -> sections -> summary, and a sentence of prose before every step of code."""
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# ") and "## Overview" in first
    assert "## Summary" in "".join(cells[-1]["source"]) and cells[-1]["cell_type"] == "markdown"
    setup = next(i for i, c in enumerate(cells) if "Edition(" in "".join(c["source"]))
    for i in range(setup + 1, len(cells)):
        if cells[i]["cell_type"] == "code":
            assert cells[i - 1]["cell_type"] == "markdown", f"{path.name}: code cell {i} has no prose before it"


def test_notebooks_carry_the_narrative():
    words = sum(len(re.findall(r"\S+", "".join(c["source"])))
                for p in PATHS for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "markdown")
    assert words >= 1500, f"the notebooks carry {words} words of Markdown"


def test_papermill_gets_only_parameters_that_differ_from_the_defaults():
    from facegan.report.build import notebook_parameters

    path = PATHS[0]
    same = dict(profile="smoke", data=None, workdir=None, seed=None, overrides={})
    assert notebook_parameters(path, **same) == {}
    assert notebook_parameters(path, **{**same, "profile": "quick"}) == {"profile": "quick"}
    assert notebook_parameters(path, **{**same, "overrides": {"n_show": 4}}) == {"overrides": {"n_show": 4}}
    from facegan.errors import FaceganError
    with pytest.raises(FaceganError, match="no parameter colour"):
        notebook_parameters(path, colour="red")


def test_executed_notebook_is_tidied_for_publishing(tmp_path):
    """The injected parameters cell stays (a download re-runs the same edition) but is not shown;
    papermill's record of paths and stderr do not reach the published notebook."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from facegan.report.build import tidy_executed

    nb = new_notebook(cells=[new_code_cell('profile = "smoke"', metadata={"tags": ["parameters"]}),
                             new_code_cell('profile = "quick"', metadata={"tags": ["injected-parameters"]}),
                             new_code_cell("print(1)", outputs=[new_output("stream", name="stderr", text="/x/y\n"),
                                                                new_output("stream", name="stdout", text="1\n")])])
    nb.metadata["papermill"] = {"input_path": "/abs/notebooks/a.ipynb", "output_path": "/abs/out/a.ipynb"}
    path = tmp_path / "a.ipynb"
    nbformat.write(nb, str(path))
    tidy_executed(path, "notebooks/a.ipynb")
    out = nbformat.read(str(path), as_version=4)
    assert out.cells[0].metadata["tags"] == ["parameters"]
    assert "remove-cell" in out.cells[1].metadata["tags"]
    assert [o["name"] for o in out.cells[2].outputs] == ["stdout"]
    assert out.metadata["papermill"] == {"input_path": "notebooks/a.ipynb", "output_path": "notebooks/a.ipynb"}
