"""The run ledger (SQLite, single writer) and reading runs back."""

from nas_ops.store.ledger import LEDGER_NAME, Ledger
from nas_ops.store.run import (
    Individual,
    Objective,
    Run,
    Variation,
    load_run,
    run_contents,
    weights_path,
)

__all__ = ["LEDGER_NAME", "Individual", "Ledger", "Objective", "Run", "Variation", "load_run",
           "run_contents", "weights_path"]
