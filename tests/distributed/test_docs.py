"""docs/distributed.md: its config snippets are valid configs (checked without Ray)."""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path

from nas_ops.config import config_from_dict

DOC = Path(__file__).resolve().parents[2] / "docs" / "distributed.md"


def test_config_snippets_are_valid():
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 2
    for block in blocks:
        cfg = config_from_dict(tomllib.loads(textwrap.dedent(block)))
        assert cfg.evaluation.backend == "ray"
