"""What designers are shown of episodes: a traced episode, the level drawn as text, a score.

Each is a function of the evaluator (or the executor) and the domain; the loop puts the results
into the designers' requests.
"""
from __future__ import annotations

from collections.abc import Callable

from coevolve.evaluate import Evaluator
from coevolve.program import Program
from coevolve.sandbox import Job


def failed_episode(evaluator: Evaluator, domain, policy: Program, env: Program,
                   any_episode: bool = False) -> tuple[int | None, str]:
    """(seed, text trace) of the first failed episode of ``policy`` on ``env``; with
    ``any_episode`` of the first episode when none failed; ``(None, "")`` otherwise."""
    episodes = evaluator.traces(policy, env)
    failed = [i for i, e in enumerate(episodes) if not e.success]
    if not failed and not (any_episode and episodes):
        return None, ""
    index = failed[0] if failed else 0
    episode = episodes[index]
    seed = evaluator.episode_job(policy, env, index).kwargs["seed"]
    body = domain.format_trace(episode.trace)
    return seed, f"episode {index} (seed {seed}): error={episode.error}\n{body}".strip()


def draw_level(executor, domain, policy: Program, env: Program, seed: int) -> str:
    """The seeded level drawn as text with the policy's path ("" if the domain cannot)."""
    if not domain.draws_levels:
        return ""
    [result] = executor.run([Job(domain.env_package, "draw_level", env.source, policy.source,
                                 {"seed": seed})])
    return result.value if isinstance(result.value, str) else ""


def success_on(evaluator: Evaluator, domain, env: Program) -> Callable[[Program], float]:
    """``score(policy)``: its (cached) success rate on ``env``, -1 for a policy that fails its
    static checks or only errs, for designers that search."""
    def score(policy: Program) -> float:
        if domain.validate(policy):
            return -1.0
        cell = evaluator.evaluate([(policy, env)])[0]
        return -1.0 if cell.errors and not cell.success_rate else cell.success_rate
    return score
