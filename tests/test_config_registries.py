"""Config validation reads the registries, the one list of each kind of name: an unknown
algorithm, policy, evaluation backend or proxy is one line listing the registered names (and no
torch is imported to say so); a newly registered policy or algorithm is accepted, in code or
through an entry point; the typed ``fidelity`` and ``prefilter`` sections record exactly the
table they were read from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nas_ops.cli import main
from nas_ops.config import (
    PolicyConfig,
    PrefilterConfig,
    RunConfig,
    config_from_dict,
    config_from_record,
)
from nas_ops.engine.algorithms import ALGORITHMS, NSGA2
from nas_ops.engine.policies import POLICIES, PolicyContext, UniformPolicy, register_policy
from nas_ops.engine.policy_setup import policy_for
from nas_ops.errors import ConfigError
from nas_ops.evaluation import BACKENDS
from nas_ops.fidelity import FidelityConfig
from nas_ops.metrics.proxies import PROXIES
from tests.configs import tiny_dict, write_config
from tests.plugins import REPO, install_plugin, plugin_env, pyproject

TYPOS = {  # config override -> (where, registry)
    "algorithm": ({"search": {"algorithm": "nsga3"}}, "search.algorithm", ALGORITHMS),
    "policy": ({"policy": {"name": "bandit"}}, "policy.name", POLICIES),
    "backend": ({"evaluation": {"backend": "gpu"}}, "evaluation.backend", BACKENDS),
}


@pytest.mark.parametrize("kind", sorted(TYPOS))
def test_an_unknown_name_is_one_line_listing_the_registered_names(kind: str) -> None:
    override, where, registry = TYPOS[kind]
    value = next(iter(next(iter(override.values())).values()))
    with pytest.raises(ConfigError) as err:
        config_from_dict(override)
    assert str(err.value) == (f"{where} = {value!r} is not valid; choose one of: "
                              f"{', '.join(registry.in_order())}")
    section, key = where.split(".")
    assert registry.in_order()[0] == getattr(getattr(RunConfig(), section), key)  # the default


def test_an_unknown_proxy_lists_the_registered_proxies() -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({"search": {"prefilter": {"proxy": "jacov"}}})
    assert str(err.value) == (f"search.prefilter.proxy must be one of "
                              f"{', '.join(PROXIES.in_order())}, got 'jacov'")
    assert PROXIES.in_order() == ["grad_norm", "synflow", "naswot", "params"]


def test_an_unknown_algorithm_is_exit_2_and_one_line_at_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path / "cfg.toml", algorithm="nsga3")
    code = main(["search", str(cfg), "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"nas-ops: error: {cfg}: search.algorithm = 'nsga3' is not valid; choose one of: "
        f"{', '.join(ALGORITHMS.in_order())}"]


NO_TORCH = """
import sys
from nas_ops.config import ConfigError, config_from_dict
for bad in ({"search": {"algorithm": "nsga3"}}, {"policy": {"name": "bandit"}},
            {"evaluation": {"backend": "gpu"}}, {"search": {"prefilter": {"proxy": "jacov"}}}):
    try:
        config_from_dict(bad)
    except ConfigError as exc:
        print(exc)
    else:
        raise SystemExit(f"accepted {bad}")
config_from_dict({"search": {"prefilter": {"proxy": "synflow"},
                             "fidelity": {"rungs": [0.25, 1.0]}},
                  "policy": {"name": "frrmab"}, "evaluation": {"backend": "pool"}})
assert "torch" not in sys.modules, "torch imported"
"""


def test_config_typos_are_reported_without_importing_torch() -> None:
    res = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=REPO), timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.strip().splitlines()) == 4


class _FirstPolicy(UniformPolicy):
    """A policy registered by a test."""

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> _FirstPolicy:
        return cls()


def test_a_newly_registered_policy_is_accepted_and_built() -> None:
    with pytest.raises(ConfigError, match="policy.name = '_test_first' is not valid"):
        config_from_dict(tiny_dict(policy__name="_test_first"))
    register_policy("_test_first", reads_diagnosis=True)(_FirstPolicy)
    try:
        with pytest.raises(ConfigError, match="policy.name = '_test_first' reads each parent's "
                                              "diagnosis, but evaluation.diagnose = false"):
            config_from_dict(tiny_dict(policy__name="_test_first"))
        cfg = config_from_dict(tiny_dict(policy__name="_test_first", evaluation__diagnose=True))
        policy = policy_for(cfg, 3, None)
        assert isinstance(policy, _FirstPolicy) and policy.name == "_test_first"
    finally:
        POLICIES.unregister("_test_first")


class _Copy(NSGA2):
    """NSGA-II under another name (an algorithm registered by a test)."""


def test_a_newly_registered_algorithm_is_accepted() -> None:
    with pytest.raises(ConfigError, match="search.algorithm = '_test_copy' is not valid"):
        config_from_dict(tiny_dict(algorithm="_test_copy"))
    ALGORITHMS.register("_test_copy", _Copy)
    try:
        assert config_from_dict(tiny_dict(algorithm="_test_copy")).search.algorithm == \
            "_test_copy"
    finally:
        ALGORITHMS.unregister("_test_copy")


PYPROJECT = pyproject("nasops-walk", "0.2.0", "nas_ops.algorithms", "walk")

MODULE = '''
"""A third-party search algorithm (NSGA-II under another name)."""
from nas_ops.engine.algorithms import ALGORITHMS, NSGA2


@ALGORITHMS.decorator("walk")
class Walk(NSGA2):
    pass
'''

CHECK = '''
import sys
from nas_ops.config import ConfigError, config_from_dict
from nas_ops.engine.algorithms import ALGORITHMS
try:
    cfg = config_from_dict({"search": {"algorithm": "walk"}})
except ConfigError as exc:
    print(exc)
else:
    print(cfg.search.algorithm, "|", ALGORITHMS.origin("walk"), "|", "torch" in sys.modules)
'''


@pytest.mark.slow
def test_an_entry_point_algorithm_is_accepted_by_config_validation(tmp_path: Path) -> None:
    site = install_plugin(tmp_path, "nasops_walk", PYPROJECT, MODULE)

    def check(*paths: str) -> str:
        res = subprocess.run([sys.executable, "-c", CHECK], env=plugin_env(*paths),
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    assert check(str(site)) == "walk | nasops-walk 0.2.0 | False"
    assert check() == ("search.algorithm = 'walk' is not valid; choose one of: "
                       f"{', '.join(ALGORITHMS.in_order())}")


TABLES: list[dict[str, Any]] = [
    {"fidelity": {"rungs": [0.25, 1.0], "keep": 0.5}},
    {"fidelity": {"keep": 0.25, "rungs": [0.25, 0.5, 1]}},  # key order and an integer kept
    {"fidelity": {"rungs": [0.25, 1.0], "rule": "median", "min_history": 2,
                  "stopped_select": True}},
    {"prefilter": {"proxy": "synflow"}},
    {"prefilter": {"oversample": 3, "proxy": "naswot"}, "fidelity": {"rungs": [0.5, 1.0]}},
]


@pytest.mark.parametrize("tables", TABLES)
def test_the_typed_sections_record_the_table_as_written(tables: dict[str, Any]) -> None:
    cfg = config_from_dict(tiny_dict(**{f"search__{k}": v for k, v in tables.items()}))
    assert isinstance(cfg.search.fidelity, FidelityConfig)
    assert isinstance(cfg.search.prefilter, PrefilterConfig)
    recorded = cfg.to_dict()
    for key in ("fidelity", "prefilter"):
        assert json.dumps(recorded["search"].get(key)) == json.dumps(tables.get(key))
    again = config_from_record(json.loads(json.dumps(recorded)))
    assert again == cfg and json.dumps(again.to_dict()) == json.dumps(recorded)
    keys = list(recorded["search"])
    assert keys[-len(tables):] == [k for k in ("fidelity", "prefilter") if k in tables]


def test_sections_built_in_python_record_what_differs_from_the_defaults() -> None:
    fid = FidelityConfig((0.25, 1.0), rule="median")
    assert fid.enabled and fid.to_dict() == {"rungs": [0.25, 1.0], "rule": "median"}
    assert FidelityConfig.from_table(fid.to_dict()) == fid
    assert PrefilterConfig("params", 4).to_dict() == {"proxy": "params", "oversample": 4}
    assert not FidelityConfig().enabled and FidelityConfig().to_dict() == {}
    assert "fidelity" not in RunConfig().to_dict()["search"]
    with pytest.raises(ConfigError, match="search.fidelity.keep is for rule = 'halving'"):
        FidelityConfig((0.25, 1.0), keep=0.3, rule="median")
    with pytest.raises(ConfigError, match="search.prefilter must be a table, got 3"):
        config_from_dict({"search": {"prefilter": 3}})
