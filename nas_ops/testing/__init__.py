"""Conformance suites that any operator, search space or evaluator must pass.

Import the suite you need, e.g. ``from nas_ops.testing.operators import check_operator``; this
package imports nothing heavy by itself.
"""
