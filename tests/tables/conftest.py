"""The tables come from the optional extra 'bench'; without it these tests are skipped."""

import pytest

from nas_ops.tables import available

BOTH = available("nbgraph") and available("nb201")
needs_tables = pytest.mark.skipif(not BOTH, reason="the 'bench' extra is not installed")
