"""`facegan book`: execute the notebooks with papermill at a profile, then build the Jupyter Book.

The notebooks in notebooks/ are committed without outputs. They are executed into a staging
copy of the book (``_build/src``) next to book/, _config.yml and _toc.yml, together with the tables
rendered from the committed records (book/_generated/, `facegan.report.records`), and Jupyter Book
1.x (Sphinx, warnings as errors) renders that copy; the HTML is then at ``_build/html``. Before the
notebooks run, TensorFlow's kernels are chosen for this machine and the build's time is estimated.

Papermill is given only the parameters that differ from the notebooks' defaults (usually just
`profile`); the defaults (work directory, seed) resolve at run time inside the package, so an
executed notebook, rendered or downloaded, carries no path of the machine that built it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from facegan.errors import FaceganError
from facegan.report.records import write_generated
from facegan.report.edition import default_workdir, find_root  # noqa: F401  (re-exported)
from facegan.report.profiles import get_profile

NOTEBOOKS = ("01_data", "02_models", "03_training", "04_completion", "05_evaluation")


def _stage(root: Path, stage: Path) -> None:
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, stage / name)
    shutil.copytree(root / "book", stage / "book")
    (stage / "notebooks").mkdir()


def notebook_parameters(notebook: Path, **wanted) -> dict:
    """The `wanted` parameters whose value differs from the notebook's own default (papermill's
    reading of its `parameters` cell), i.e. what papermill has to inject."""
    import ast

    import papermill as pm

    defaults = {name: ast.literal_eval(p["default"]) for name, p in pm.inspect_notebook(str(notebook)).items()}
    unknown = sorted(set(wanted) - set(defaults))
    if unknown:
        raise FaceganError(f"{notebook.name} has no parameter {', '.join(unknown)} in its parameters cell")
    return {k: v for k, v in wanted.items() if v != defaults[k]}


def execute_notebook(src: Path, dst: Path, parameters: dict, cwd: Path) -> None:
    """Run one notebook with papermill; a failure names the notebook and the failing cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(src), str(dst), parameters=parameters, kernel_name="python3",
                            cwd=str(cwd), progress_bar=sys.stderr.isatty(), log_output=False,
                            # what the notebook prints (training epochs, ...) also shows live here
                            stdout_file=sys.stdout, stderr_file=sys.stderr)
    except PapermillExecutionError as e:
        last = (e.evalue or "").strip().splitlines()
        raise FaceganError(
            f"notebook {src.name} failed in cell {e.exec_count} ({e.ename}: "
            f"{last[-1] if last else ''}); the partly executed notebook is {dst}") from None
    tidy_executed(dst, f"notebooks/{src.name}")


def tidy_executed(path: Path, name: str) -> None:
    """Make an executed notebook fit to publish: papermill's injected parameters cell is kept (a
    downloaded notebook re-runs the same edition) but not shown (the page shows the parameters cell
    once), its record of input/output paths becomes the notebook's name, and stderr (TensorFlow's
    start-up lines, warnings with library paths) is dropped."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if key in meta:
            meta[key] = name
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream"
                                                             and o.get("name") == "stderr")]
    nbformat.write(nb, str(path))


def start_kernels(profile: str, overrides: dict | None) -> None:
    """Before any notebook runs: TensorFlow's kernels chosen for this machine (measured once, see
    `facegan.gan.speed`; the notebooks' kernels inherit the setting), and how long the build
    should take here."""
    from facegan.gan.speed import choose_kernels, load_choice
    from facegan.report.estimate import estimate_book
    from facegan.report.preflight import role_specs

    cfg = get_profile(profile, **(overrides or {}))
    if not cfg["choose_kernels"]:             # a profile too small for the choice to matter
        return
    specs = role_specs(cfg)                   # one TrainSpec per role of the profile
    choice = choose_kernels(specs) or load_choice()
    text = estimate_book(cfg, specs, choice)
    if text:
        print(text, flush=True)


def build_book(profile: str = "quick", data: str | None = None, workdir: str | None = None,
               seed: int | None = None, output: str | None = None, notebooks=NOTEBOOKS,
               strict: bool = True, root: str | None = None, overrides: dict | None = None) -> Path:
    """Execute `notebooks` at `profile` and build the HTML book; returns the path of index.html.

    `overrides` (profile settings, e.g. {"generation_gan.epochs": 4}) reach the notebooks' `overrides` parameter.
    """
    get_profile(profile, **(overrides or {}))      # an unknown profile or setting fails here, not in a kernel
    repo = find_root(root)
    if data is not None:
        data = str(Path(data).expanduser().resolve())
        if not Path(data).is_dir():
            raise FaceganError(f"data {data}: no such directory (expected CelebA's layout: "
                               "img_align_celeba/ and the list_*.txt files)", setting="data")
    elif get_profile(profile)["requires_real_data"]:
        raise FaceganError(f"profile {profile!r} needs real CelebA: give the CelebA directory as data "
                           "(`facegan book --data /path/to/celeba`; see book/reproduce.md)")
    out = Path(output).resolve() if output else repo / "_build"
    stage = out / "src"
    _stage(repo, stage)
    write_generated(stage / "book" / "_generated", repo)     # the tables of records the book includes
    wanted = {"profile": profile, "data": data,
              "workdir": str(Path(workdir).expanduser().resolve()) if workdir else None,
              "seed": None if seed is None else int(seed), "overrides": dict(overrides or {})}
    start_kernels(profile, overrides)
    t0 = time.time()
    for i, name in enumerate(notebooks, 1):
        src = repo / "notebooks" / f"{name}.ipynb"
        if not src.is_file():
            raise FaceganError(f"notebook {src} is missing")
        print(f"[{i}/{len(notebooks)}] executing {src.relative_to(repo)} (profile {profile})",
              flush=True)
        t = time.time()
        execute_notebook(src, stage / "notebooks" / src.name, notebook_parameters(src, **wanted), repo)
        print(f"      done in {time.time() - t:.0f} s", flush=True)
    print("building the HTML with jupyter-book", flush=True)
    jb = Path(sys.executable).parent / "jupyter-book"
    jb = str(jb) if jb.exists() else shutil.which("jupyter-book")
    if not jb:
        raise FaceganError("jupyter-book is not installed: pip install -e '.[book]' (or run `make book`)")
    cmd = [jb, "build", str(stage), "--builder", "html"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise FaceganError(f"jupyter-book build failed (exit {proc.returncode}):\n{tail}")
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(stage / "_build" / "html", html)
    index = html / "index.html"
    print(f"book built in {time.time() - t0:.0f} s: {index}", flush=True)
    return index
