"""Generic ast operators: the offline designer continues from programs it did not build, and
never edits a constant that is a contract index."""
import ast

import numpy as np

from coevolve.config import RunConfig
from coevolve.designers import designer_for
from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.designers.generic import mutate_generic, tunable_constants
from coevolve.domains import get_domain
from coevolve.program import Program

LLM_MINIGRID_POLICY = '''GOAL_IDX = 8
MAX_DEPTH = 40

def policy(obs, agent_pos, agent_dir):
    x, y = agent_pos
    if obs[x + 1, y, 0] == GOAL_IDX and agent_dir == 0:
        return 2
    if obs[x, y + 1, 0] in (2, 9):
        return 1
    for depth in range(3, MAX_DEPTH):
        if depth > 12:
            break
    if x < 5:
        return 0
    return 2
'''

LLM_PYGAME_ENV = '''import numpy as np

class CustomEnv:
    def __init__(self):
        self.width, self.height, self.agent_radius, self.speed = 400, 300, 10, 5.0
        self.max_steps = 300

    def reset(self, seed=None):
        self.pos = np.array([50.0, 150.0])
        self.goal = (320, 110, 60, 80)
        self.obstacles = [(180, 0, 20, 100)]
        self.steps = 0
        return self._obs(), {}

    def _obs(self):
        objects = [{"type": "zone", "pos": [350, 150], "size": [60, 80], "purpose": "goal"}]
        objects += [{"type": "obstacle", "pos": [o[0], o[1]], "size": [o[2], o[3]]} for o in self.obstacles]
        return {"agent_pos": list(self.pos), "agent_radius": self.agent_radius,
                "bounds": [self.width, self.height], "step_count": self.steps,
                "max_steps": self.max_steps, "objects": objects}

    def step(self, action):
        self.pos = self.pos + np.clip(np.array(action, dtype=float), -1, 1) * self.speed
        self.steps += 1
        done = abs(self.pos[0] - 350) < 30 and abs(self.pos[1] - 150) < 40
        return self._obs(), 1.0 if done else 0.0, done, self.steps >= self.max_steps, {}
'''


def codes(source):
    """The constants of comparisons with ==/in, of returns and of GOAL_IDX: contract indices."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Return, ast.Compare)) and not (
                isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.Lt, ast.Gt, ast.LtE, ast.GtE))):
            found += [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GOAL_IDX":
            found.append(node.value.value)
    return sorted(found, key=repr)


def test_contract_indices_are_not_tunable():
    values = sorted(c.value for c in tunable_constants(ast.parse(LLM_MINIGRID_POLICY)))
    assert values == [3, 5, 12, 40]  # range bound, thresholds, MAX_DEPTH; no code, no action


def test_generic_mutants_keep_every_contract_index():
    changed = set()
    for seed in range(40):
        mutant, note = mutate_generic(LLM_MINIGRID_POLICY, np.random.default_rng(seed))
        assert codes(mutant) == codes(LLM_MINIGRID_POLICY), note
        compile(mutant, "mutant", "exec")
        changed.add(note.split()[1])
    assert changed == {"perturb", "swap", "comparison"}


def test_the_offline_designer_continues_from_llm_programs_in_every_domain():
    for domain_name, kind, source in (("minigrid", "policy", LLM_MINIGRID_POLICY),
                                      ("pygame", "env", LLM_PYGAME_ENV)):
        domain = get_domain(domain_name)
        designer = designer_for(domain, RunConfig(domain=domain_name, search_steps=0))
        parent = Program(kind, domain_name, source)
        request = (EnvRequest(parent, 3, 4) if kind == "env" else
                   PolicyRequest(parent, domain.seed_env(), 3, 4))
        propose = designer.propose_envs if kind == "env" else designer.propose_policies
        mutants = propose(request, np.random.default_rng(0))
        assert len(mutants) == 4
        assert all(m.source != source and "generic" in m.origin.note for m in mutants)
