"""Seed policies, policy building blocks and mutation operators, one sub-package per domain."""
