"""Third-party plugin packages for the entry-point tests: the pyproject of a one-package
distribution, its installation with ``pip install --target``, and the environment that runs the
checkout under test with what was installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nas_ops

REPO = str(Path(nas_ops.__file__).resolve().parents[1])  # the checkout under test


def pyproject(distribution: str, version: str, group: str, name: str) -> str:
    """The ``pyproject.toml`` of ``distribution``, whose one package (the distribution's name
    with ``_`` for ``-``) registers itself as ``name`` in the entry-point group ``group``."""
    package = distribution.replace("-", "_")
    return textwrap.dedent(f'''
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{distribution}"
        version = "{version}"

        [project.entry-points."{group}"]
        {name} = "{package}"

        [tool.setuptools]
        packages = ["{package}"]
        ''')


def install_plugin(tmp_path: Path, package: str, pyproject_text: str, module: str) -> Path:
    """Build the distribution whose package ``package`` is ``module`` (source text) under
    ``tmp_path / "src"`` and install it into ``tmp_path / "site"``, which it returns."""
    src, site = tmp_path / "src", tmp_path / "site"
    (src / package).mkdir(parents=True)
    (src / "pyproject.toml").write_text(pyproject_text)
    (src / package / "__init__.py").write_text(textwrap.dedent(module))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", "--target", str(site), str(src)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return site


def plugin_env(*paths: Path | str) -> dict[str, str]:
    """The environment of a subprocess that imports the checkout under test, then ``paths``."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([REPO, *map(str, paths)])
    return env
