"""The run ledger (SQLite, single writer) and reading runs back."""

from nas_ops.store.ledger import LEDGER_NAME, Ledger
from nas_ops.store.run import Individual, Run, Variation, load_run, run_contents

__all__ = ["LEDGER_NAME", "Individual", "Ledger", "Run", "Variation", "load_run", "run_contents"]
