"""The package's import graph: each use leaves the chain at one place, and the lower floors
do not reach up. Read from the source (every import, also those inside functions)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rppg"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def reaches(module: str, target: str) -> bool:
    return any(name == target or name.startswith(target + ".") for name in GRAPH[module])


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("rppg.train", "rppg.evaluate"),  # training does not depend on batch evaluation
        ("rppg.train", "rppg.face"),  # ... nor finds faces itself: the face stage does
        ("rppg.live", "rppg.face"),  # the display draws what the estimator reports
        ("rppg.live", "rppg.signal"),
        ("rppg.live", "rppg.pipeline"),
        ("rppg.signal", "rppg.io"),  # the maths knows no files, faces or networks
        ("rppg.signal", "rppg.face"),
        ("rppg.signal", "rppg.model"),
        ("rppg.signal", "rppg.trace"),
        ("rppg.evaluate", "rppg.face"),
        ("rppg.reference", "rppg.evaluate"),
    ],
)
def test_forbidden_import(module, forbidden):
    assert not reaches(module, forbidden), f"{module} imports {forbidden}"


def test_torch_only_in_training():
    users = sorted(m for m in GRAPH if reaches(m, "torch"))
    assert users == ["rppg.losses", "rppg.model_torch", "rppg.train"]
    assert sorted(m for m in GRAPH if reaches(m, "rppg.model_torch")) == ["rppg.train"]


def test_one_face_stage():
    # Only the face stage composes detector and tracker; everyone else asks it for crops.
    users = sorted(
        m for m in GRAPH if reaches(m, "rppg.face.FaceTracker") or reaches(m, "rppg.face.make_detector")
    )
    assert users == ["rppg.crops"]


def test_shipped_data_is_files_not_a_module():
    assert not (PACKAGE.parent / "data" / "__init__.py").exists()
    assert not any(reaches(m, "rppg.data") for m in GRAPH)


def test_dask_only_in_the_cluster_module():
    # Dask is optional (rppg[cluster]): one module uses it, and only when a cluster is asked for.
    users = sorted(m for m in GRAPH if reaches(m, "distributed") or reaches(m, "dask"))
    assert users == ["rppg.cluster"]
    assert sorted(m for m in GRAPH if reaches(m, "rppg.cluster")) == ["rppg.parallel"]


def test_dask_loads_only_when_a_cluster_is_used():
    code = "import sys, rppg.cli, rppg.evaluate, rppg.cluster; print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not {"dask", "distributed"} & set(run.stdout.split())
