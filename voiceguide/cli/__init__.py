"""The command line: the only place that parses arguments, prints and exits."""

from .app import cli, main, run

__all__ = ["cli", "main", "run"]
