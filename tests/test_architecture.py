"""The package's import graph, read from the source (every import, those inside functions
and under TYPE_CHECKING too): stage packages on floors, imports only running down, no
circles, and each use leaving the chain at one place.

    python -m pytest -q tests/test_architecture.py     # the rules
    python tests/test_architecture.py                  # the floors and every import arrow
"""

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rppg"
SKIPPED = ("rppg.__main__",)  # ``python -m rppg``: the command itself, above everything


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every name ``path`` imports (absolute names; ``from a import b`` gives a and a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def module_of(name: str) -> str | None:
    """The rppg module an imported name lives in (the longest module prefix)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in GRAPH:
            return candidate
    return None


EDGES = {m: {t for t in map(module_of, names) if t and t != m} for m, names in GRAPH.items()}

FLOORS = {
    "base": 0,
    "io": 1,
    "signal": 1,
    "mask": 1,
    "batch": 1,
    "face": 2,
    "synth": 2,
    "chain": 3,
    "apps": 4,
}
"""The stage packages, bottom up: a module may import its own package and those on lower
floors. ``base`` is the top-level modules (errors, registry, config, runtime, assets, files)."""
ALLOWED = {
    "base": {"base"},
    "io": {"base", "io"},
    "signal": {"base", "signal"},
    "mask": {"base", "mask"},
    "batch": {"base", "batch"},
    "face": {"base", "io", "face"},
    "synth": {"base", "io", "signal", "synth"},
    "chain": {"base", "io", "signal", "mask", "face", "chain"},
    "apps": set(FLOORS),
}
"""What each package may import: the floors below it, narrowed to what it needs."""


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in FLOORS) else "base"


def reaches(module: str, target: str) -> bool:
    return any(name == target or name.startswith(target + ".") for name in GRAPH[module])


def test_every_module_is_in_a_stage_package_or_the_base():
    base = sorted(m for m in GRAPH if package_of(m) == "base" and m not in SKIPPED)
    assert base == [
        "rppg",
        "rppg.assets",
        "rppg.config",
        "rppg.errors",
        "rppg.files",
        "rppg.registry",
        "rppg.runtime",
    ]


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m not in SKIPPED))
def test_imports_run_down_only(module):
    mine = package_of(module)
    wrong = sorted(t for t in EDGES[module] if t not in SKIPPED and package_of(t) not in ALLOWED[mine])
    assert not wrong, f"{module} ({mine}) imports {wrong}"


def test_signal_imports_only_the_config():
    outside = {t for m in EDGES if package_of(m) == "signal" for t in EDGES[m] if package_of(t) != "signal"}
    assert outside == {"rppg.config"}


def test_no_import_circle():
    @cache
    def below(m: str) -> frozenset[str]:  # raises RecursionError on a circle
        return frozenset(EDGES[m]).union(*(below(t) for t in EDGES[m]))

    circles = sorted(m for m in EDGES if m in below(m))
    assert not circles


def test_nothing_below_apps_imports_apps():
    users = sorted(
        m for m in GRAPH if reaches(m, "rppg.apps") and package_of(m) != "apps" and m not in SKIPPED
    )
    assert users == []


def test_torch_only_in_the_mask_twin_and_training():
    users = sorted(m for m in GRAPH if reaches(m, "torch"))
    assert users == ["rppg.apps.train", "rppg.mask.losses", "rppg.mask.net_torch"]
    assert sorted(m for m in GRAPH if reaches(m, "rppg.mask.net_torch")) == ["rppg.apps.train"]


def test_onnx_only_in_the_mask_export():
    # onnx is optional (rppg[onnx]): only the exporter builds graphs, and only the export
    # command loads it.
    assert sorted(m for m in GRAPH if reaches(m, "onnx")) == ["rppg.mask.export"]
    assert sorted(m for m in GRAPH if reaches(m, "rppg.mask.export")) == ["rppg.apps.mask_commands"]


def test_one_face_stage():
    # Only the face stages compose detector and tracker (one face, and every face: the tracks
    # and a hinted face stage per face); everyone else asks them for crops.
    composers = sorted(
        m for m in GRAPH if reaches(m, "rppg.face.track") or reaches(m, "rppg.face.detect.make_detector")
    )
    # the package re-exports the detector's factory
    assert composers == ["rppg.face", "rppg.face.multi", "rppg.face.stage"]


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("rppg.apps.train", "rppg.apps.evaluate"),  # training does not depend on batch evaluation
        ("rppg.apps.train", "rppg.face.detect"),  # ... nor finds faces itself: the face stage does
        ("rppg.apps.train_data", "rppg.face.detect"),
        ("rppg.apps.live", "rppg.face"),  # the display draws what the estimator reports
        ("rppg.apps.live", "rppg.signal"),
        ("rppg.apps.live", "rppg.chain.pipeline"),
        ("rppg.apps.evaluate", "rppg.face"),
        ("rppg.chain.reference", "rppg.apps"),
    ],
)
def test_forbidden_import(module, forbidden):
    assert not reaches(module, forbidden), f"{module} imports {forbidden}"


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_modules_and_functions_stay_small():
    # Issue 18's limits, as `ruff format` leaves the files: a module over 400 lines or a
    # function over 60 is the moment to split it, not to pack it.
    long_modules, long_functions = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(module_name(path))
        assert "fmt: skip" not in text and "fmt: off" not in text, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long_functions.append(f"{module_name(path)}.{node.name}")
    assert long_modules == [] and long_functions == []


def test_shipped_data_is_files_not_a_module():
    assert not (PACKAGE.parent / "data" / "__init__.py").exists()
    assert not any(reaches(m, "rppg.data") for m in GRAPH)


def test_dask_only_in_the_cluster_module():
    # Dask is optional (rppg[cluster]): one module uses it, and only when a cluster is asked for.
    users = sorted(m for m in GRAPH if reaches(m, "distributed") or reaches(m, "dask"))
    assert users == ["rppg.batch.cluster"]
    assert sorted(m for m in GRAPH if reaches(m, "rppg.batch.cluster")) == ["rppg.batch.parallel"]


def test_dask_loads_only_when_a_cluster_is_used():
    code = "import sys, rppg.apps.cli, rppg.apps.evaluate, rppg.batch.cluster; print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not {"dask", "distributed"} & set(run.stdout.split())


if __name__ == "__main__":
    for floor in sorted(set(FLOORS.values())):
        packages = [p for p, f in FLOORS.items() if f == floor]
        print(f"floor {floor}: {', '.join(packages)}")
        for m in sorted(m for m in EDGES if package_of(m) in packages):
            print(f"  {m} -> {', '.join(sorted(EDGES[m])) or '-'}")


def test_the_help_loads_neither_numpy_nor_opencv():
    # `rppg --help` and each command's help build every parser: they must stay instant
    # (scripts/benchmark.py times it; the target is under 0.3 s).
    code = "import sys; from rppg.apps import cli; cli.build_parser(); cli.usage(); print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not {"numpy", "cv2", "scipy", "torch"} & set(run.stdout.split())
