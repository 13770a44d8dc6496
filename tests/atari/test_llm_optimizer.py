"""The llm optimiser: splicing answers into programs, concurrent repair conversations, notes."""
import ast
import json

import numpy as np
import pytest

from coevolve.atari.evaluation import DOMAIN
from coevolve.atari.feedback import staged_feedback
from coevolve.atari.llm_optimizer import LLMOptimizer, splice_trainable
from coevolve.atari.optimizers import AtariRequest, make_optimizer
from coevolve.errors import UserInputError
from coevolve.llm import ChatClient, Reply
from coevolve.program import Program
from policies.atari import template_source

PONG = template_source("Pong")
BETTER = '''
@trainable
def select_action(predicted_y, obs):
    if predicted_y is None or "Player" not in obs:
        return 0
    return 2 if predicted_y < obs["Player"]["y"] + 7 else 3
'''


def function(source, name):
    return next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)


def test_splice_replaces_only_the_named_trainable_functions_and_keeps_decorators():
    answer = "import math\n\ndef helper():\n    return 1\n" + BETTER.replace("@trainable\n", "")
    source, replaced = splice_trainable(PONG, answer)
    assert replaced == ["select_action"]
    assert ast.unparse(function(source, "select_action").body[1]) == \
        "return 2 if predicted_y < obs['Player']['y'] + 7 else 3"
    assert [d.id for d in function(source, "select_action").decorator_list] == ["trainable"]
    assert ast.dump(function(source, "predict_ball_trajectory")) == \
        ast.dump(function(PONG, "predict_ball_trajectory"))
    names = [getattr(n, "name", None) for n in ast.parse(source).body]
    assert "helper" not in names and "import math" in source
    assert source.index("import math") < source.index("def trainable")


@pytest.mark.parametrize("answer,message", [
    ("def act(obs):\n    return 0\n", "defines none of the trainable functions"),
    ("def select_action(predicted_y, obs)\n    return 0\n", "syntax error at line 1"),
])
def test_splice_rejects_answers_without_usable_functions(answer, message):
    with pytest.raises(ValueError, match=message):
        splice_trainable(PONG, answer)


class Scripted:
    """A chat backend answering from a list, recording the conversations it was sent."""

    def __init__(self, answers):
        self.answers, self.seen = list(answers), []

    def send(self, model, messages, slot):
        self.seen.append((slot, messages))
        return Reply(self.answers.pop(0))


def optimizer(answers, tmp_path, rounds=2):
    backend = Scripted(answers)
    client = ChatClient(backend, "test-model")
    client.attach_transcript(str(tmp_path / "llm.jsonl"))
    return LLMOptimizer("Pong", client, rounds), backend


def propose(opt, check=None, k=1):
    request = AtariRequest(Program("policy", DOMAIN, PONG), 1, k, "Pong rollout ...",
                           staged_feedback("Pong", -20.0, 0.5), check=check)
    return opt.propose(request, np.random.default_rng(0))


def fenced(code):
    return f"Here you go.\n```python\n{code}\n```\n"


def test_prompt_holds_game_facts_program_trace_and_feedback(tmp_path):
    opt, backend = optimizer([fenced(BETTER)], tmp_path)
    [candidate] = propose(opt)
    assert candidate.origin.note == "first answer accepted; llm rewrote select_action"
    assert candidate.parent == Program("policy", DOMAIN, PONG).sha256
    (slot, messages), = backend.seen
    prompt = messages[1]["content"]
    for part in ("`predict_ball_trajectory`, `select_action`", "RIGHT paddle", "def act(obs)",
                 "Pong rollout ...", "The policy scored -20.0 +- 0.5", "The policy is failing"):
        assert part in prompt
    assert slot == "iter0001/policy/0/r0" and opt.usage()["requests"] == 1


def test_syntax_validation_and_runtime_errors_are_sent_back_for_repair(tmp_path):
    crashing = BETTER.replace("return 0", "return 1 / 0")
    imports_os = "import os\n" + BETTER
    answers = [fenced("def select_action(predicted_y, obs)\n    return 0"), fenced(imports_os),
               fenced(crashing), fenced(BETTER)]
    checked = []

    def check(program):
        checked.append(program)
        return "ZeroDivisionError: division by zero" if "1 / 0" in program.source else None

    opt, backend = optimizer(answers, tmp_path, rounds=3)
    [candidate] = propose(opt, check)
    note = candidate.origin.note
    assert "select_action" in note and "repaired after 3 rounds" in note
    repairs = [messages[-1]["content"] for _, messages in backend.seen[1:]]
    assert "syntax error at line 1" in repairs[0]
    assert "import of `os` is not allowed" in repairs[1]
    assert "ZeroDivisionError" in repairs[2]
    assert len(checked) == 2  # only programs that passed the static checks are rolled out
    fates = [json.loads(line) for line in (tmp_path / "llm.jsonl").read_text().splitlines()]
    assert [f["type"] for f in fates].count("candidate") == 1


def test_a_candidate_still_failing_after_its_repairs_comes_back_rejected(tmp_path):
    opt, backend = optimizer(["no code here, sorry", fenced(PONG), "```python\n```"], tmp_path)
    [candidate] = propose(opt)
    assert candidate.origin.note.startswith("rejected after 2 failed repairs") and \
        len(backend.seen) == 3
    last = json.loads((tmp_path / "llm.jsonl").read_text().splitlines()[-1])
    assert last["fate"].startswith("rejected") and "identical" in last["reasons"][1]


def test_candidates_are_requested_concurrently_in_their_own_slots(tmp_path):
    opt, backend = optimizer([fenced(BETTER), fenced(BETTER.replace("+ 7", "+ 8"))], tmp_path)
    candidates = propose(opt, k=2)
    assert len({c.sha256 for c in candidates}) == 2
    assert sorted(slot for slot, _ in backend.seen) == ["iter0001/policy/0/r0",
                                                        "iter0001/policy/1/r0"]


def test_exhausted_budget_stops_before_any_request(tmp_path):
    from coevolve.llm import Budget, BudgetExhausted

    opt, backend = optimizer([fenced(BETTER)], tmp_path)
    opt.client.budget = Budget(max_requests=1)
    propose(opt)
    with pytest.raises(BudgetExhausted, match="--resume"):
        propose(opt)
    assert len(backend.seen) == 1


def test_unknown_designer_is_a_user_error_and_llm_needs_a_client():
    with pytest.raises(UserInputError, match="unknown designer 'magic'"):
        make_optimizer("magic", "Pong", 4)
    with pytest.raises(TypeError, match="client"):
        make_optimizer("llm", "Pong", 4)
