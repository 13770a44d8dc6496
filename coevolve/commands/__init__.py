"""Command-line sub-commands; see :mod:`coevolve.cli`."""
