"""The package's shape: imports flow one way (data -> gan -> completion -> report, `cli` on top), with
no cycle even through imports inside functions; no function over ~80 lines or ~10 parameters, in
the package or the benchmarks; no machine-specific timings in the code, README or book."""
from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "facegan"
BENCHMARKS = REPO / "benchmarks"
# the stages in the order data flows; the shared modules at the top level come before all of them
LAYERS = ["facegan", "facegan.data", "facegan.gan", "facegan.completion", "facegan.report", "facegan.cli"]


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """Every facegan module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "facegan":
                found.add(name)
    return found


def layer(name: str) -> int:
    parts = name.split(".")
    if len(parts) > 2 or (len(parts) == 2 and f"facegan.{parts[1]}" in LAYERS):
        return LAYERS.index(".".join(parts[:2]))
    return 0                       # a shared top-level module (errors, images, records, ...)


def test_imports_flow_one_way_with_no_cycle():
    mods = modules()
    graph = {name: imports(path, set(mods)) - {name} for name, path in mods.items()}
    backwards = [f"{a} imports {b}" for a, deps in graph.items() for b in deps
                 if layer(b) > layer(a) and not a.endswith("__main__")]
    assert not backwards, backwards
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [dep]))
            if dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def functions():
    """Every function (and method) of the package and of the benchmarks."""
    for path in sorted(PACKAGE.rglob("*.py")) + sorted(BENCHMARKS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(REPO), node


def test_the_size_check_covers_the_package_and_the_benchmarks():
    checked = {path.parts[0] for path, _ in functions()}
    assert checked == {"facegan", "benchmarks"}


def test_no_function_is_over_80_lines_or_10_parameters():
    long, wide = [], []
    for path, fn in functions():
        lines = fn.end_lineno - fn.lineno + 1
        a = fn.args
        params = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg not in ("self", "cls")]
        params += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
        if lines > 80:
            long.append(f"{path}:{fn.lineno} {fn.name} ({lines} lines)")
        if len(params) > 10:
            wide.append(f"{path}:{fn.lineno} {fn.name} ({len(params)} parameters)")
    assert not long and not wide, long + wide


# a duration or speed measured on one machine, told in prose: "~2.5 min on 2 cores", "2x faster here"
TIMING = re.compile(r"(~|about |took |takes )\d[\d.,]*\s*(s|ms|min|minutes|h|hours)\b|"
                    r"\bon (a |one )?\d-core\b|\bon 2 cores\b|\d(\.\d+)?x faster here|"
                    r"2-core AMD EPYC", re.IGNORECASE)


def test_no_machine_specific_timings_in_code_readme_or_book():
    texts = list(PACKAGE.rglob("*.py")) + [REPO / "README.md"] + sorted((REPO / "book").glob("*.md"))
    texts += sorted((REPO / "notebooks").glob("*.ipynb"))
    hits = [f"{p.relative_to(REPO)}: {m.group(0)!r}" for p in texts
            for m in TIMING.finditer(p.read_text())]
    assert not hits, hits
