"""Repository hygiene: licence, citation, launch buttons and the Pages workflow say what they should."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import facegan

REPO = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")          # Python 3.11+


def load_yaml(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def test_license_file_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 facegan contributors" in text


def test_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert "version" not in load_yaml("CITATION.cff")
    assert re.fullmatch(r"\d+\.\d+\.\d+", facegan.__version__)


def test_citation_names_the_report_and_the_study():
    cff = load_yaml("CITATION.cff")
    assert cff["cff-version"] == "1.2.0" and cff["license"] == "MIT"
    (study,) = cff["references"]
    assert study["title"] == "Generation and Completion of Human Face Images" and study["year"] == 2018
    assert [a["family-names"] for a in study["authors"]] == ["Jiang", "Liu", "Wang"]


def test_launch_buttons():
    cfg = load_yaml("_config.yml")
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert cfg["repository"]["url"].startswith("https://github.com/") and cfg["repository"]["branch"]


def test_pages_workflow_deploys_after_tests_and_never_cancels():
    wf = load_yaml(".github/workflows/book.yml")
    assert wf["concurrency"]["cancel-in-progress"] is False
    jobs = wf["jobs"]
    assert jobs["tests"]["uses"] == "./.github/workflows/tests.yml"
    assert jobs["build"]["needs"] == "tests" and jobs["deploy"]["needs"] == "build"
    assert "workflow_call" in load_yaml(".github/workflows/tests.yml")[True]     # YAML reads `on:` as True
    cache = next(s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "work/quick"
    assert "hashFiles('facegan/**', 'notebooks/**', 'pyproject.toml')" in cache["with"]["key"]


def test_conda_gpu_environment_installs_the_gpu_extra():
    pip = lambda name: next(d["pip"] for d in load_yaml(name)["dependencies"] if isinstance(d, dict))
    assert pip("environment-gpu.yml") == ["-e .[book,test,gpu]"]
    assert pip("environment.yml") == ["-e .[book,test]"]
    assert "environment-gpu.yml" in (REPO / "environment.yml").read_text()      # the CPU file says so
