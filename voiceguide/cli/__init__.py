"""The command line: the only place that parses arguments, prints and exits."""

from .commands import cli, main, run

__all__ = ["cli", "main", "run"]
