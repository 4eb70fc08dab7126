"""Load, chaos and benchmark programs (run with `python -m loadtests.<name>` or as scripts)."""
