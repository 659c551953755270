"""The package's shape, checked from its source: one import name, layers that point one way, no cycles.

The layers, bottom to top (README: "How the code is laid out"). A module may import its own
package and the layers below it; packages that share a layer do not import each other.
Imports are read from the code (every import, at any depth, TYPE_CHECKING ones too: a late
import that dodges a cycle is still a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("ecoute.core",),
    ("ecoute.connectors", "ecoute.models", "ecoute.warehouse"),
    ("ecoute.insights",),
    ("ecoute.reports",),
    ("ecoute.delivery",),
    ("ecoute.pipeline",),
    ("ecoute.flows",),
    ("ecoute.demo",),
    ("ecoute.bench",),
    ("ecoute.cli",),
)

# Function-level imports are allowed for start-up speed (the CLI) or heavy dependencies, and
# each says which on its own line or the line before; first-party ones only in the CLI.
LAZY_FIRST_PARTY_ALLOWED = ("ecoute.cli",)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a first-party module or package)
    line: int
    nested: bool  # inside a function or class body
    commented: bool  # a comment on the import's line or the line before


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """The pyproject's package-dir mapping: import name -> folder."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: root / folder for name, folder in config["tool"]["setuptools"]["package-dir"].items()}


def source_modules(dirs: Mapping[str, Path]) -> dict[str, Path]:
    """Every first-party module name -> its file, laid out as the wheel installs them."""
    modules: dict[str, Path] = {}
    for package, folder in dirs.items():
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder)
            parts = [*package.split("."), *relative.with_suffix("").parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The first-party module `name` refers to (itself, or its nearest package)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> Iterator[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, filename=str(path))
    is_package = path.name == "__init__.py"

    def commented(node: ast.stmt) -> bool:
        here = lines[node.lineno - 1]
        before = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return "#" in here or before.startswith("#")

    def visit(node: ast.AST, nested: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if (target := _resolve(alias.name, modules)) is not None:
                        yield Import(module, target, child.lineno, nested, commented(child))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module if is_package else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}".rstrip(".")
                for alias in child.names:
                    # `from ecoute.pipeline import topics` imports the module ecoute.pipeline.topics
                    target = _resolve(f"{base}.{alias.name}", modules) if f"{base}.{alias.name}" in modules else None
                    target = target or _resolve(base, modules)
                    if target is not None:
                        yield Import(module, target, child.lineno, nested, commented(child))
            else:
                yield from visit(child, inner)

    yield from visit(tree, False)


def all_imports(root: Path = ROOT) -> tuple[dict[str, Path], list[Import]]:
    modules = source_modules(package_dirs(root))
    found = [i for name, path in modules.items() for i in imports_of(name, path, modules)]
    return modules, found


def layer_of(module: str, layers: Sequence[Sequence[str]] = LAYERS) -> tuple[int, str] | None:
    for rank, packages in enumerate(layers):
        for package in packages:
            if module == package or module.startswith(package + "."):
                return rank, package
    return None


def upward_imports(found: Sequence[Import], layers: Sequence[Sequence[str]] = LAYERS) -> list[str]:
    """Imports that point up a layer or sideways to another package of the same layer."""
    wrong = []
    for imp in found:
        source, target = layer_of(imp.module, layers), layer_of(imp.target, layers)
        if source is None or target is None or source[1] == target[1]:
            continue
        if target[0] >= source[0]:
            wrong.append(f"{imp.module}:{imp.line} imports {imp.target} ({target[1]} is not below {source[1]})")
    return wrong


def cycles(found: Sequence[Import]) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), each a cycle of imports."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        if imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def _is_package_reexport(imp: Import, modules: Mapping[str, Path]) -> bool:
    """A package's __init__ importing its own modules (to re-export them) is not a cycle by itself."""
    return modules[imp.module].name == "__init__.py" and imp.target.startswith(imp.module + ".")


def _says_why(lines: Sequence[str], lineno: int) -> bool:
    """A comment on the import's line, or above the run of import lines it belongs to."""
    at = lineno - 1
    while True:
        if "#" in lines[at]:
            return True
        above = lines[at - 1].strip() if at > 0 else ""
        if above.startswith("#"):
            return True
        if not above.startswith(("import ", "from ")):
            return False
        at -= 1


@pytest.fixture(scope="module")
def tree() -> tuple[dict[str, Path], list[Import]]:
    return all_imports()


def test_every_module_belongs_to_a_layer(tree: tuple[dict[str, Path], list[Import]]) -> None:
    modules, _ = tree
    assert [m for m in modules if m != "ecoute" and layer_of(m) is None] == []


def test_layers_point_one_way(tree: tuple[dict[str, Path], list[Import]]) -> None:
    _, found = tree
    assert upward_imports(found) == []


def test_no_import_cycles(tree: tuple[dict[str, Path], list[Import]]) -> None:
    modules, found = tree
    assert cycles([i for i in found if not _is_package_reexport(i, modules)]) == []


def test_function_level_imports_are_few_and_say_why(tree: tuple[dict[str, Path], list[Import]]) -> None:
    modules, found = tree
    first_party = [
        f"{i.module}:{i.line} -> {i.target}"
        for i in found
        if i.nested and not any(i.module.startswith(p) for p in LAZY_FIRST_PARTY_ALLOWED)
    ]
    assert first_party == []
    silent = []
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and not _says_why(lines, inner.lineno):
                    silent.append(f"{name}:{inner.lineno}")
    assert silent == [], "a function-level import needs a comment saying why it is late"


# --- the checker itself catches what it should -----------------------------------------------


def _planted(tmp_path: Path, files: Mapping[str, str]) -> tuple[dict[str, Path], list[Import]]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools.package-dir]\n"ecoute" = "ecoute"\n"ecoute.warehouse" = "warehouse"\n', encoding="utf-8"
    )
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return all_imports(tmp_path)


def test_checker_reports_a_planted_back_edge(tmp_path: Path) -> None:
    _, found = _planted(
        tmp_path,
        {
            "ecoute/__init__.py": "",
            "ecoute/core/__init__.py": "",
            "ecoute/core/records.py": "def late():\n    from ecoute.warehouse.load import x  # planted\n",
            "warehouse/__init__.py": "",
            "warehouse/load.py": "from ecoute.core.records import late\nx = 1\n",
        },
    )
    assert upward_imports(found) == [
        "ecoute.core.records:2 imports ecoute.warehouse.load (ecoute.warehouse is not below ecoute.core)"
    ]
    assert cycles(found) == [["ecoute.core.records", "ecoute.warehouse.load"]]


def test_checker_reports_siblings_importing_each_other(tmp_path: Path) -> None:
    _, found = _planted(
        tmp_path,
        {
            "ecoute/__init__.py": "",
            "ecoute/models/__init__.py": "from ecoute.warehouse import load\n",
            "warehouse/__init__.py": "",
            "warehouse/load.py": "",
        },
    )
    assert upward_imports(found) == [
        "ecoute.models:1 imports ecoute.warehouse.load (ecoute.warehouse is not below ecoute.models)"
    ]


# --- the wheel -------------------------------------------------------------------------------


def test_wheel_installs_one_top_level_name(tmp_path: Path) -> None:
    """`ecoute/` alone: `models`, `flows` and `connectors` are other projects' names on PyPI."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ecoute-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"ecoute"}
    for expected in (
        "ecoute/connectors/rss.py",
        "ecoute/models/artifacts/sentiment-branch/branch.safetensors",
        "ecoute/warehouse/migrations/001_init.sql",
        "ecoute/flows/listen.py",
        "ecoute/reports/templates/report.html.j2",
        "ecoute/templates/demo.toml",
    ):
        assert expected in names
    modules = source_modules(package_dirs())
    missing = [
        m
        for m, p in modules.items()
        if f"{m.replace('.', '/')}{'/__init__' if p.name == '__init__.py' else ''}.py" not in names
    ]
    assert missing == [], "a package folder is missing from pyproject's package list"


def test_prefect_entrypoints_resolve() -> None:
    """Every deployment in prefect.yaml names a flow that loads from the installed package (a worker does just this)."""
    yaml = pytest.importorskip("yaml")
    from prefect.flows import load_flow_from_entrypoint  # late: prefect is slow to import, only this test needs it

    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    assert deployments
    for deployment in deployments:
        entrypoint = deployment["entrypoint"]
        flow = load_flow_from_entrypoint(entrypoint)
        assert flow.name, entrypoint
