"""Imports run one way: every import of the project's code points to its own layer or a lower one,
and no two modules import each other (directly or round a longer loop).

Every import statement counts: at module level, inside functions, under TYPE_CHECKING; relative
imports are resolved. A module of tileshop_pipelines that no layer names fails too, so a new
package is placed in the order when it is added.
"""

# The layer order, bottom to top (LAYERS below is the one the test applies; README.md's map of the
# code, "Where things live", explains it). A module imports its own layer or a lower one.
#    1  serving                                   HTTP serving, settings base, logs, redaction, listen
#    2  catalog, text, legacy, freshness, pdf     pure domain (pdf: PDF bytes -> text, in bounded workers)
#    3  crawl                                     fetching only
#    4  embedding
#    5  settings, bootstrap
#    6  store                                     all SQL
#    7  sample_catalog, alerts, acquisition
#    8  assistant                                 no FastAPI, no Dagster
#    9  evaluation, transfer
#   10  defs                                      Dagster wiring only
#   11  definitions, instance, local_runs, daemon, daemon_metrics, processes
#   12  cli
#   13  rag_app (layers 1-9 only), crawler (serving and crawl only), bench (anything)

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "tileshop_pipelines"

# Bottom to top; a module belongs to the layer whose prefix names it or one of its packages.
LAYERS: list[list[str]] = [
    [f"{PIPELINE}.serving"],
    [f"{PIPELINE}.catalog", f"{PIPELINE}.text", f"{PIPELINE}.legacy", f"{PIPELINE}.freshness", f"{PIPELINE}.pdf"],
    [f"{PIPELINE}.crawl"],
    [f"{PIPELINE}.embedding"],
    [f"{PIPELINE}.settings", f"{PIPELINE}.bootstrap"],
    [f"{PIPELINE}.store"],
    [f"{PIPELINE}.sample_catalog", f"{PIPELINE}.alerts", f"{PIPELINE}.acquisition"],
    [f"{PIPELINE}.assistant"],
    [f"{PIPELINE}.evaluation", f"{PIPELINE}.transfer"],
    [f"{PIPELINE}.defs"],
    [
        f"{PIPELINE}.definitions",
        f"{PIPELINE}.instance",
        f"{PIPELINE}.local_runs",
        f"{PIPELINE}.daemon",
        f"{PIPELINE}.daemon_metrics",
        f"{PIPELINE}.processes",
    ],
    [f"{PIPELINE}.cli"],
]


@dataclasses.dataclass(frozen=True)
class Allowance:
    """What an application of the top layer may import besides itself (`prefixes` None: anything)."""

    says: str
    prefixes: list[str] | None


APPLICATIONS: dict[str, Allowance] = {
    "rag_app": Allowance("layers 1-9 of tileshop_pipelines", [prefix for layer in LAYERS[:9] for prefix in layer]),
    "crawler": Allowance(
        "tileshop_pipelines.serving and tileshop_pipelines.crawl", [f"{PIPELINE}.serving", f"{PIPELINE}.crawl"]
    ),
    "bench": Allowance("anything", None),
}


@dataclasses.dataclass(frozen=True)
class Import:
    module: str
    path: Path
    line: int
    target: str

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.target}"


def find_modules(root: Path, packages: Iterable[str]) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's __init__) for every .py file of `packages` under `root`."""
    modules: dict[str, tuple[Path, bool]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules[".".join(parts)] = (path, is_package)
    return modules


def _known(name: str, modules: Mapping[str, object]) -> str | None:
    """The project module `name` imports: itself, else its longest known prefix (a name defined in
    a module: `from pkg.mod import func`); None for a module outside the project."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def read_imports(root: Path, modules: Mapping[str, tuple[Path, bool]]) -> list[Import]:
    """Every import statement of every module, resolved to the project module it loads."""
    found: list[Import] = []
    for module, (path, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from pkg import sub` loads pkg.sub when it is a module; otherwise a name of pkg.
                names = [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"] or [base]
            else:
                continue
            for name in names:
                target = _known(name, modules)
                if target is not None and target != module:
                    found.append(Import(module, path.relative_to(root), node.lineno, target))
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def _layer_of(module: str, layers: Sequence[Sequence[str]]) -> int | None:
    for index, prefixes in enumerate(layers):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_violations(
    imports: Iterable[Import],
    modules: Iterable[str],
    pipeline: str,
    layers: Sequence[Sequence[str]],
    applications: Mapping[str, Allowance],
) -> list[str]:
    """(a) An import that points up the order, and a pipeline module no layer names."""
    failures = [
        f"{module}: not in any layer of the order (place it in LAYERS)"
        for module in sorted(modules)
        if _under(module, [pipeline]) and module != pipeline and _layer_of(module, layers) is None
    ]
    for imp in imports:
        top = imp.module.split(".")[0]
        if top in applications:
            allowance = applications[top]
            if allowance.prefixes is not None and not _under(imp.target, [top, *allowance.prefixes]):
                failures.append(f"{imp.where()}: {top} may import only itself and {allowance.says}")
        elif top == pipeline:
            if imp.target == pipeline:
                continue  # the package's own __init__
            if imp.target.split(".")[0] in applications:
                failures.append(f"{imp.where()}: {pipeline} never imports the applications on top of it")
                continue
            source, target = _layer_of(imp.module, layers), _layer_of(imp.target, layers)
            if source is not None and target is not None and target > source:
                failures.append(f"{imp.where()}: layer {source + 1} imports layer {target + 1} (up the order)")
    return failures


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def import_cycles(imports: Iterable[Import]) -> list[str]:
    """(b) Every group of modules that import each other, with the imports that close the loop."""
    imports = list(imports)
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    failures = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        edges = sorted({imp.where() for imp in imports if imp.module in members and imp.target in members})
        failures.append(f"import cycle between {', '.join(component)}:\n    " + "\n    ".join(edges))
    return failures


def check(
    root: Path, pipeline: str, layers: Sequence[Sequence[str]], applications: Mapping[str, Allowance]
) -> list[str]:
    modules = find_modules(root, [pipeline, *applications])
    imports = read_imports(root, modules)
    return layer_violations(imports, modules, pipeline, layers, applications) + import_cycles(imports)


def test_imports_run_down_the_layers_and_close_no_cycle():
    failures = check(PROJECT_ROOT, PIPELINE, LAYERS, APPLICATIONS)
    if failures:
        pytest.fail(f"{len(failures)} import rule(s) broken:\n" + "\n".join(failures), pytrace=False)


# --- the checker itself fails when it should -----------------------------------------------
def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


SYNTHETIC_LAYERS = [["pkg.low"], ["pkg.mid"], ["pkg.high"]]
SYNTHETIC_APPS = {"app": Allowance("pkg.low", ["pkg.low"])}


def _synthetic(tmp_path: Path, **extra: str) -> list[str]:
    files = {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "",
        "pkg/low/base.py": "VALUE = 1\n",
        "pkg/mid.py": "from pkg.low.base import VALUE\n",
        "pkg/high.py": "from . import mid\n",
        "app/__init__.py": "",
        "app/main.py": "from pkg.low import base\n",
    }
    files.update({name.replace("__", "/") + ".py": text for name, text in extra.items()})
    return check(_package(tmp_path, files), "pkg", SYNTHETIC_LAYERS, SYNTHETIC_APPS)


def test_the_checker_passes_a_package_that_keeps_the_rules(tmp_path):
    assert _synthetic(tmp_path) == []


def test_the_checker_fails_on_an_upward_import_inside_a_function(tmp_path):
    failures = _synthetic(tmp_path, pkg__low__helper="def helper():\n    from pkg.high import mid\n")
    assert failures == [
        f"{Path('pkg/low/helper.py')}:2: pkg.low.helper imports pkg.high: layer 1 imports layer 3 (up the order)"
    ]


def test_the_checker_fails_on_an_application_importing_past_its_allowance(tmp_path):
    failures = _synthetic(tmp_path, app__extra="import pkg.mid\n")
    assert failures == [f"{Path('app/extra.py')}:1: app.extra imports pkg.mid: app may import only itself and pkg.low"]


def test_the_checker_fails_on_a_module_outside_every_layer(tmp_path):
    assert _synthetic(tmp_path, pkg__stray="") == ["pkg.stray: not in any layer of the order (place it in LAYERS)"]


def test_the_checker_fails_on_a_cycle_closed_under_type_checking(tmp_path):
    failures = _synthetic(
        tmp_path,
        pkg__low__one="from pkg.low import two\n",
        pkg__low__two="from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .one import thing\n",
    )
    assert len(failures) == 1
    assert failures[0].startswith("import cycle between pkg.low.one, pkg.low.two:")
    assert f"{Path('pkg/low/one.py')}:1: pkg.low.one imports pkg.low.two" in failures[0]
    assert f"{Path('pkg/low/two.py')}:4: pkg.low.two imports pkg.low.one" in failures[0]
