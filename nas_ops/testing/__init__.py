"""The conformance suite that any variation operator must pass (``nas_ops.testing.operators``;
there is none yet for search spaces or evaluators).

Import it where you need it, e.g. ``from nas_ops.testing.operators import check_operator``; this
package imports nothing heavy by itself.
"""
