"""The one place tests build run configs: a tiny search (4 + 4 x 2 evaluations of 200-sample
MNIST-1D, one epoch, local backend) with any value overridden.

``tiny_dict(**over)`` is the TOML-shaped dict, ``tiny_config(**over)`` the validated
:class:`RunConfig`, and ``write_config(path, **over)`` the TOML file (for the CLI and
``load_config``). An override is a shortcut (``seed``, ``algorithm``, ``population``, ``offspring``,
``generations``, ``backend``, ``workers``, ``device``, ``epochs``, ``n_train``, ``operators``) or
``section__key`` (``study__base_models=2``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nas_ops.config import RunConfig, config_from_dict

_SHORTCUTS = {"algorithm": "search", "population": "search", "offspring": "search",
              "generations": "search", "backend": "evaluation", "workers": "evaluation",
              "device": "evaluation", "epochs": "budget", "n_train": "task",
              "operators": "policy"}


def tiny_dict(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"seed": 1, "task": {"name": "mnist1d", "n_train": 200},
                            "search": {"population": 4, "offspring": 4, "generations": 2},
                            "evaluation": {"backend": "local"}, "budget": {"epochs": 1}}
    for key, value in over.items():
        if key == "seed":
            data["seed"] = value
        elif key in _SHORTCUTS:
            data.setdefault(_SHORTCUTS[key], {})[key] = value
        elif "__" in key:
            section, name = key.split("__", 1)
            data.setdefault(section, {})[name] = value
        else:
            raise TypeError(f"tiny config: unknown override {key!r}")
    if "study" in data:  # tiny bases are at chance level: a tiny study varies them anyway
        data["study"].setdefault("children_at_chance", True)
    return data


def tiny_config(**over: Any) -> RunConfig:
    return config_from_dict(tiny_dict(**over))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def toml_text(data: dict[str, Any]) -> str:
    """``data`` as TOML; the [budget] table comes last, so that text appended to it lands there."""
    lines = [f"seed = {data['seed']}"] if "seed" in data else []
    sections = [k for k in data if k not in ("seed", "budget")] + ["budget"] * ("budget" in data)
    for section in sections:
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in data[section].items()]
    return "\n".join(lines) + "\n"


def write_config(path: Path, *, extra: str = "", **over: Any) -> Path:
    """The tiny config with ``over`` as a TOML file at ``path``; ``extra`` is appended raw (keys
    for [budget], or whole tables)."""
    path.write_text(toml_text(tiny_dict(**over)) + extra)
    return path


# The smallest capacity-allocation study TOML (one GP task, one conv architecture, 8 samples).
TINY_CAPACITY = """
[study]
signal_length = 8
n_train = 8
n_test = 4
epochs = 1
analysis_points = 1

[[tasks]]
name = "gp"
kind = "gp"

[[architectures]]
name = "conv"
kind = "conv"
"""

# A capacity study of one GP task and five epochs; the tests append its [[architectures]].
CAPACITY_GP = """
[study]
seed = 3
signal_length = 16
n_train = 32
n_test = 8
epochs = 5
analysis_points = 2

[[tasks]]
name = "gp"
kind = "gp"
length_scale = 2.0
"""

UNET_RELU = """
[[architectures]]
name = "unet-relu"
kind = "unet"
channels = 2
activation = "relu"
"""
