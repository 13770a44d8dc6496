"""A tiny domain for sandbox tests: an episode is one call of the policy."""
from envs.api import EpisodeResult


def run_episode(env_module, policy_module, *, seed, trace=False):
    """Success when the policy returns the parity of the seed."""
    action = policy_module.policy(seed)
    if not isinstance(action, int):
        return EpisodeResult(False, 0.0, 1, error=f"policy returned {type(action).__name__}")
    return EpisodeResult(action == seed % 2, float(action), 1, trace=[seed] if trace else None)


def call(env_module, policy_module):
    """Whatever the program's ``result()`` returns."""
    return policy_module.result()
