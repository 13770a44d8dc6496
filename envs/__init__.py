"""Domains: simulators, program contracts, feasibility checks, episode runners, renderers.

Each sub-package is one domain and follows the protocol described in :mod:`envs.api`.
Nothing here imports :mod:`coevolve`.
"""
