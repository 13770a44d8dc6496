"""The driving domain's policy programs: a genome over the driver's blocks, and its mutation operators."""
import types

import numpy as np
import pytest

from coevolve.validate import validate_source
from envs.driving import ALLOWED_IMPORTS
from policies.driving import SEED_POLICY, read_genome
from policies.driving.mutations import OPERATORS as POLICY_OPERATORS, mutate_policy


def test_policy_mutations_toggle_blocks_and_keep_programs_standalone():
    rng, source, notes = np.random.default_rng(1), SEED_POLICY, []
    for _ in range(30):
        source, note = mutate_policy(source, rng)
        notes.append(note)
    genome = read_genome(source)
    assert any(note.startswith(("follow", "lights", "pedestrians", "ttc_brake", "pass_parked")) for note in notes)
    assert genome != read_genome(SEED_POLICY)
    assert validate_source(source, ("policy",), ALLOWED_IMPORTS) == []
    program = types.ModuleType("policy")
    exec(source, program.__dict__)
    steer, throttle, brake = program.policy({"speed_mps": 0.0, "lateral_hist4": [0.0] * 4, "yaw_error_hist4": [0.0] * 4,
                                            "steer_cmd_hist4": [0.0] * 4, "traffic_light": {"exists": False}})
    assert -1 <= steer <= 1 and 0 <= throttle <= 1 and 0 <= brake <= 1


def test_read_genome_rejects_out_of_range_genes():
    with pytest.raises(ValueError, match="cruise_mps"):
        read_genome(SEED_POLICY.replace("'cruise_mps': 7.0", "'cruise_mps': 70.0"))
    assert len(POLICY_OPERATORS) == 1 + 5 + 14
