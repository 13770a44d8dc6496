"""Navigation policies for the pygame domain: the seed policy and the building blocks of the search.

Policy programs define ``policy(obs) -> (vx, vy)`` (see ``envs.pygame_nav.DOC_POLICY``); the offline
designer's programs are a genome of constants plus the blocks it selects (:mod:`.program`).
"""
from __future__ import annotations

from policies.pygame_nav.program import (REFERENCE_GENOME, SEED_GENOME, Genome, policy_program,
                                         read_genome)

SEED_POLICY = policy_program(SEED_GENOME)
"""Source of the seed policy: straight toward the goal centre."""

REFERENCE_POLICY = policy_program(REFERENCE_GENOME)
"""The reference solver of regret selection: the A* genome ``REFERENCE_GENOME``."""

BUILDING_BLOCKS_DOC = """\
Navigation policy building blocks (policies.pygame_nav.blocks), selected by a program's genome:
- straight-line pursuit (PLANNER = "straight"): head for the goal zone's centre at full speed.
- wall following (PLANNER = "wall_follow"): head for the goal; when that move would be rejected,
  turn by WALL_TURN degree steps until a move fits, so the agent slides along walls.
- grid A* with waypoint following (PLANNER = "astar"): an occupancy grid of GRID_CELL px cells
  inflated by the agent's radius plus MARGIN (MARGIN 0 as a fallback), 8-connected A* without
  corner cutting, then the cell centres as waypoints, each reached within WAYPOINT_TOL px. The plan
  is cached for the episode.
- visibility lookahead (LOOKAHEAD = n): head for the farthest of the next n waypoints in straight
  view on the inflated grid, which cuts the grid's staircase corners.
- periodic replanning (REPLAN_EVERY = n): plan again every n steps.
- stuck detection (STUCK_WINDOW = n): if the agent moved less than two steps' length in n steps,
  request a replan and escape in a random heading for n/3 steps.
- sliding (SLIDE = True): a move that would overlap an obstacle is turned by 25..100 degrees either
  way until it fits (the step length is learned from past moves).
- oscillation damping (DAMPING = d): blend d of the previous velocity into the new one.
- arrival (ARRIVE = True): within one step of the goal centre, shorten the move to land on it, so
  the disc fits goal zones barely wider than itself.
- regridding (REGRID = True): plan on cells of GRID_CELL x 1, 0.8, 1.25 and 0.65 in turn -- the
  next size when a grid finds no route, and one size further after every stuck escape -- so a
  passage that one grid's cells straddle badly is found on another.
- taut paths (SMOOTH = True): plan with no margin and head for the farthest of the next 8 waypoints
  that the disc reaches in a straight line (its exact geometry), sliding around a move that would
  be rejected -- close to the shortest route, for levels whose step budget leaves no detour.
Mutations (policies.pygame_nav.mutations.mutate_policy) switch the planner, toggle lookahead,
replanning, stuck detection, sliding, arrival, regridding, taut paths and damping, and rescale GRID_CELL,
MARGIN, WAYPOINT_TOL and WALL_TURN."""

__all__ = ["BUILDING_BLOCKS_DOC", "REFERENCE_POLICY", "SEED_POLICY", "Genome", "policy_program", "read_genome"]
