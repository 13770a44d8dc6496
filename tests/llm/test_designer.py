"""The llm designer against a local server: prompts, repairs, rejections, order, budget, records."""
import itertools
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from coevolve.config import RunConfig
from coevolve.designers import make_designer
from coevolve.designers.base import EnvRequest, NoCandidate, PolicyRequest
from coevolve.domains import get_domain
from coevolve.errors import UserInputError
from coevolve.llm import BudgetExhausted, LLMUnavailable
from coevolve.llm.transcript import read_transcript
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.session import Session
from coevolve.store import RunStore

RNG = np.random.default_rng(0)


def designer_for(server, domain, tmp_path, **config):
    cfg = RunConfig(domain=domain.name, designer="llm", model="test-model", base_url=server.url,
                    **config)
    designer = make_designer("llm", domain, cfg)
    designer.attach_transcript(str(tmp_path / "llm.jsonl"))
    return designer


def toy_check(program):
    """The toy domain's rule: LEVEL at most 20."""
    namespace = {}
    exec(program.source, namespace)  # test programs only
    level = namespace.get("LEVEL")
    return None if isinstance(level, int) and level <= 20 else f"LEVEL {level} is above 20"


def counter_script(env_answer, policy_answer):
    """Distinct answers: ``env_answer(n)`` / ``policy_answer(n)`` for the n-th request of a kind."""
    counters, lock = {"env": itertools.count(), "policy": itertools.count()}, threading.Lock()

    def script(body):
        kind = "env" if "environment designer" in body["messages"][1]["content"] else "policy"
        with lock:
            n = next(counters[kind])
        return (env_answer if kind == "env" else policy_answer)(n)
    return script


def test_a_failed_check_is_repaired_quoting_the_reason(chat_server, toy_domain, tmp_path):
    chat_server.script = lambda body: ("```python\nLEVEL = 25\n```" if len(body["messages"]) == 2
                                       else "Fixed:\n```python\nLEVEL = 7\n```")
    designer = designer_for(chat_server, toy_domain, tmp_path)
    parent = toy_domain.seed_env()
    request = EnvRequest(parent, 3, 2, {"policy_0000": (1.0, 0.5)}, toy_check)
    programs = designer.propose_envs(request, RNG)
    assert [p.source for p in programs] == ["LEVEL = 7\n", "LEVEL = 7\n"]
    for program in programs:
        assert program.origin.designer == "llm" and program.origin.model == "test-model"
        assert program.origin.iteration == 3 and program.parent == parent.sha256
        assert program.origin.note == "repaired after 1 round (first problem: LEVEL 25 is above 20)"
    repair = next(b for b in chat_server.requests if len(b["messages"]) == 4)
    assert repair["messages"][2] == {"role": "assistant", "content": "```python\nLEVEL = 25\n```"}
    assert "Your program was rejected: LEVEL 25 is above 20" in repair["messages"][3]["content"]
    fates = [e for e in read_transcript(str(tmp_path / "llm.jsonl")) if e["type"] == "candidate"]
    assert sorted(e["slot"] for e in fates) == ["iter0003/env/0", "iter0003/env/1"]
    assert {e["fate"] for e in fates} == {programs[0].origin.note}


def test_a_candidate_failing_every_repair_is_returned_with_its_reason(chat_server, toy_domain,
                                                                       tmp_path):
    answers = iter(["I cannot do that.", "```python\nLEVEL = (\n```", ""])
    chat_server.script = lambda body: next(answers)
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [program] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert len(chat_server.requests) == 3
    assert program.origin.note == "rejected after 2 failed repairs: the answer was empty"
    assert program.source == ""
    reasons = [b["messages"][-1]["content"] for b in chat_server.requests[1:]]
    assert "holds no Python program" in reasons[0] and "syntax error at line 1" in reasons[1]


def test_no_repair_rounds_means_one_request(chat_server, toy_domain, tmp_path):
    chat_server.script = lambda body: "LEVEL = 99"
    designer = designer_for(chat_server, toy_domain, tmp_path, repair_rounds=0)
    [program] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert program.origin.note == "rejected: LEVEL 99 is above 20"
    assert len(chat_server.requests) == 1


def test_concurrent_candidates_keep_their_index_order(chat_server, toy_domain, tmp_path):
    counter, lock = itertools.count(), threading.Lock()

    def script(body):
        with lock:
            n = next(counter)
        return {"content": f"LEVEL = {n + 5}", "delay": 0.3 - 0.1 * n}  # later ones answer first
    chat_server.script = script
    designer = designer_for(chat_server, toy_domain, tmp_path)
    programs = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 2, 3, {}, toy_check), RNG)
    answers = {e["slot"]: e["text"] for e in read_transcript(str(tmp_path / "llm.jsonl"))
               if e["type"] == "request"}
    assert [p.source for p in programs] == [answers[f"iter0002/env/{n}/r0"] + "\n" for n in range(3)]


def test_prompts_carry_the_contract_and_what_the_designer_responds_to(chat_server, tmp_path):
    domain = get_domain("minigrid")
    chat_server.script = lambda body: "def policy(obs, agent_pos, agent_dir):\n    return 2\n"
    designer = designer_for(chat_server, domain, tmp_path)
    env, policy = domain.seed_env(), domain.seed_policy()
    trace = "episode 0 (seed 5): error=None\noutcome: truncated after 256 of 256 steps"
    designer.propose_envs(EnvRequest(env, 4, 3, {"policy_0002": (0.75, 0.5, 0.4),
                                                 "policy_0000": (0.25, 1.0, 0.8)},
                                     measures={"width": 8, "solution_length": 12.5},
                                     trace=trace), RNG)
    prompts = [b["messages"][1]["content"] for b in chat_server.requests]
    assert all(domain.envs.DOC_ENV.strip() in p and env.source.strip() in p for p in prompts)
    assert all("- policy_0002: MSNE weight 0.75, succeeds in 50% of episodes, mean return 0.400\n"
               "- policy_0000: MSNE weight 0.25, succeeds in 100% of episodes, mean return 0.800\n"
               "The mixture as a whole succeeds in 62% of episodes, with mean return 0.500."
               in p for p in prompts)
    for part in ("harder", "solvable", "width 8, solution_length 12.5.", trace,
                 "- `_split(where, door, color)`: Wall off a column", "Imports: only numpy, "
                 "gymnasium, minigrid and these standard-library modules: abc, array,"):
        assert all(part in p for p in prompts), part
    assert all("os," not in p.split("Imports:")[1].split("Any other")[0] for p in prompts)
    focus = [line for p in prompts for line in p.splitlines() if "focus on this change" in line]
    assert len(set(focus)) == 3  # each candidate is steered by a different idea
    chat_server.requests.clear()
    level = "seed 5, 8 x 8 cells\n    01234567\n  0 ########"
    designer.propose_policies(PolicyRequest(policy, env, 4, 1, 0.25, trace,
                                            scores={"env_0000": 1.0, "env_0001": 0.5},
                                            level=level), RNG)
    [prompt] = [b["messages"][1]["content"] for b in chat_server.requests]
    for part in (domain.envs.DOC_POLICY.strip(), policy.source.strip(), env.source.strip(), trace,
                 "succeeds in 25% of the episodes", level,
                 "Its success on the earlier environments of the archive: env_0000 100%, "
                 "env_0001 50%."):
        assert part in prompt, part
    assert chat_server.requests[0]["messages"][0]["role"] == "system"


def test_the_level_drawing_shows_walls_goal_start_and_path():
    import types

    import envs.minigrid as minigrid
    import envs.pygame_nav as pygame_nav
    import policies.minigrid
    import policies.pygame_nav

    def load(source):
        module = types.ModuleType("program")
        exec(source, module.__dict__)  # the project's own seed programs
        return module
    grid = minigrid.draw_level(load(minigrid.SEED_ENV), load(policies.minigrid.SEED_POLICY), seed=3)
    rows = grid.splitlines()
    assert rows[2] == "  0 ########" and "G" in grid and "*" in grid and "legend:" in rows[-1]
    arena = pygame_nav.draw_level(load(pygame_nav.SEED_ENV), load(policies.pygame_nav.SEED_POLICY),
                                  seed=3)
    assert arena.count("S") >= 1 and "GGG" in arena and "*" in arena
    assert arena.splitlines()[-1].startswith("obstacles (x, y, w, h):")


def test_the_budget_leaves_out_candidates_then_stops_at_the_iteration_boundary(
        chat_server, toy_domain, tmp_path):
    chat_server.script = counter_script(lambda n: f"LEVEL = {n + 2}",  # never the parent
                                        lambda n: "def policy():\n    return 1\n")
    designer = designer_for(chat_server, toy_domain, tmp_path, max_requests=3)
    programs = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 4, {}, toy_check), RNG)
    assert len(programs) == 4 and len(chat_server.requests) == 3
    [missing] = [p for p in programs if isinstance(p, NoCandidate)]
    assert missing.reason.startswith("not written: LLM budget exhausted")
    fates = [e["fate"] for e in read_transcript(str(tmp_path / "llm.jsonl")) if e["type"] == "candidate"]
    assert sum(f.startswith("not written: LLM budget exhausted") for f in fates) == 1
    with pytest.raises(BudgetExhausted, match="stops before iteration 2"):
        designer.propose_envs(EnvRequest(toy_domain.seed_env(), 2, 4, {}, toy_check), RNG)


def test_a_run_records_usage_and_stops_cleanly_when_the_budget_is_spent(chat_server, toy_domain,
                                                                         tmp_path):
    chat_server.script = counter_script(lambda n: f"LEVEL = {n % 5 + 2}\nN = {n}\n",
                                        lambda n: f"N = {n}\ndef policy():\n    return {n % 4 + 1}\n")
    cfg = RunConfig(domain="toy", iterations=5, episodes=3, candidates=2, workers=1,
                    designer="llm", model="test-model", base_url=chat_server.url, max_requests=6)
    root = str(tmp_path / "run")
    state = Session.create(cfg, root, progress=Progress(quiet=True))
    try:
        with pytest.raises(BudgetExhausted, match="stops before iteration 3"):
            run(state, cfg.iterations)
    finally:
        state.close()
    records = RunStore(root).iterations()
    assert [r["iteration"] for r in records] == [0, 1, 2]
    assert [r["llm"]["requests"] for r in records] == [0, 4, 6]
    assert records[2]["llm"]["total_tokens"] == 6 * 120
    policy = records[2]["counts"]["policy"]  # the budget ran out mid-iteration
    assert policy == {"proposed": 2, "accepted": 0, "rejected": {"not_written": 2}}
    assert all("LLM budget exhausted" in c["reason"] for c in records[2]["candidates"]
               if c["kind"] == "policy")
    notes = {c["note"] for r in records for c in r["candidates"] if c["sha256"]}
    assert notes == {"first answer accepted"}
    entries = read_transcript(str(tmp_path / "run" / "llm.jsonl"))
    assert sum(e["type"] == "request" for e in entries) == 6


def test_bad_llm_settings_fail_before_the_run_directory_is_written(toy_domain, tmp_path,
                                                                    monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cfg = RunConfig(domain="toy", designer="llm", model="m", base_url="https://api.example.com/v1")
    with pytest.raises(UserInputError, match="OPENAI_API_KEY is not set"):
        Session.create(cfg, str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_an_unusable_endpoint_stops_the_iteration_with_its_reason(chat_server, toy_domain,
                                                                  tmp_path):
    chat_server.script = lambda body: {"status": 404, "content": "model 'test-model' not found"}
    designer = designer_for(chat_server, toy_domain, tmp_path)
    with pytest.raises(LLMUnavailable, match="model 'test-model' not found"):
        designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 2, {}, toy_check), RNG)


def test_the_command_line_reports_a_missing_key_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "coevolve", "run", "--domain", "minigrid",
                             "--designer", "llm", "--model", "gpt-4o-mini", "--out", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coevolve: OPENAI_API_KEY is not set, and https://api.openai.com/v1 needs one "
        "(set it to any value for a server that checks none)"]
    assert not out.exists()


def test_an_unchanged_parent_is_sent_back_for_a_change(chat_server, toy_domain, tmp_path):
    parent = toy_domain.seed_env()
    chat_server.script = lambda body: (parent.source if len(body["messages"]) == 2 else "LEVEL = 3")
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [program] = designer.propose_envs(EnvRequest(parent, 1, 1, {}, toy_check), RNG)
    assert program.source == "LEVEL = 3\n"
    assert "identical to the current one" in program.origin.note
