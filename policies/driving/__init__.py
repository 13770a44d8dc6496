"""Driving policies: the seed policy and the building blocks of the offline search.

Policy programs define ``policy(obs) -> (steer, throttle, brake)`` (see ``envs.driving.DOC_POLICY``);
the offline designer's programs are a genome of constants plus the driver it tunes (:mod:`.program`).
"""
from __future__ import annotations

from envs.driving.driver import SEED_GENOME
from policies.driving.program import policy_program, read_genome

SEED_POLICY = policy_program(SEED_GENOME)
"""Source of the seed policy: lane keeping (Stanley) and cruise control, nothing else."""

BUILDING_BLOCKS_DOC = """\
Driving policy building blocks (envs.driving.driver, copied into every program), selected and tuned
by the program's GENOME:
- lateral control: Stanley (`lateral` "stanley": heading error gain `k_heading`, cross-track gain
  `k_cross` over speed) or pure pursuit (`lateral` "pure_pursuit": a point `lookahead_s` seconds ahead).
- speed: a PI controller toward the cruise speed `cruise_mps` (`kp_speed`, `ki_speed`), capped in turns.
- car following (`follow`): IDM-style target speed behind the nearest lead car, time headway
  `headway_s`, jam gap `min_gap_m`.
- light compliance with a stop-line guard (`lights`): stop `stop_margin_m` before the stop line on
  red, and on yellow when a hard stop is still possible; full brake once at the margin.
- pedestrian yielding (`pedestrians`): stop before a pedestrian in the lane, or due to enter it
  within `ped_horizon_s`.
- TTC emergency braking (`ttc_brake`): full brake when the lead's TTC drops below `ttc_s` within 15 m.
- passing a curb-parked blocker (`pass_parked`): a standing car right of the lane centre is passed
  on the left with `pass_margin_m` clearance at `pass_speed_mps`, when no oncoming car is within
  `pass_clear_m`.
The seed policy has lane keeping and cruise control only. Mutations (policies.driving.mutations)
switch the lateral controller, toggle each block and rescale each numeric gene within its bounds.
The reference driver of the feasibility check is the same driver with every block on."""

__all__ = ["BUILDING_BLOCKS_DOC", "SEED_POLICY", "policy_program", "read_genome"]
