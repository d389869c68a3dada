"""The tests' throw-away PostgreSQL cluster (tests/integration/pg_cluster.py) for the
benchmarks that start their own server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_pg_cluster() -> ModuleType:
    """tests/integration/pg_cluster.py, imported by path (tests/ is not a package)."""
    path = ROOT / "tests" / "integration" / "pg_cluster.py"
    spec = importlib.util.spec_from_file_location("pg_cluster", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pg_cluster"] = module
    spec.loader.exec_module(module)
    return module
