"""The operator API is genome-level: importing it must not import torch."""

from __future__ import annotations

import subprocess
import sys


def test_import_variation_does_not_import_torch() -> None:
    code = "import nas_ops.variation, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_variation_layer_itself_imports_no_torch() -> None:
    """Whatever nas_ops/__init__ imports: load the subpackage under an empty parent package."""
    code = (
        "import importlib.util, sys, types\n"
        "spec = importlib.util.find_spec('nas_ops')\n"
        "pkg = types.ModuleType('nas_ops')\n"
        "pkg.__path__ = list(spec.submodule_search_locations)\n"
        "sys.modules['nas_ops'] = pkg\n"
        "import nas_ops.variation\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'torch')\n"
        "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
