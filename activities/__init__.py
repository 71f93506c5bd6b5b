"""Activities: every side effect of the invoice workflow, each safe to run twice."""
