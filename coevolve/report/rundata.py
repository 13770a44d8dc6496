"""What a report reads from a run directory, loaded once into plain frozen data.

Two kinds of run directory are recognised: a co-evolution run (``config.json`` with a
``domain``, ``iterations.jsonl``, ``payoff.csv``; optionally ``heldout.json`` and ``llm.jsonl``)
and an Atari run (``config.json`` with a ``game`` and ``iterations.jsonl``, or an earlier
version's ``state.json`` checkpoint; optionally ``summary.json``). Anything else is a
:class:`~coevolve.errors.UserInputError`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from coevolve.errors import UserInputError
from coevolve.payoff import PayoffMatrix
from coevolve.records import IterationRecord
from coevolve.store import RunStore

ATARI_SUMMARY = "summary.json"
"""The file name of an Atari run's JSON summary."""


@dataclass(frozen=True)
class RunData:
    """Everything the report shows, as read from the run directory."""

    root: str
    """The run directory."""
    kind: str
    """"coevolve" or "atari"."""
    config: dict
    """The run's config.json."""
    iterations: tuple = ()
    """The iterations.jsonl records, in order: :class:`IterationRecord` values of a
    co-evolution run, plain dicts of an Atari run."""
    payoffs: PayoffMatrix | None = None
    """Co-evolution: the payoff matrix of payoff.csv."""
    heldout: dict | None = None
    """heldout.json when present."""
    llm: tuple = ()
    """The llm.jsonl lines when present."""
    state: dict | None = None
    """Atari: an earlier version's state.json checkpoint when present."""
    summary: dict | None = None
    """Atari: the JSON summary when present."""


def load_run(root: str) -> RunData:
    """Read the run directory ``root``; a directory that holds no run is a user error."""
    if not os.path.isdir(root):
        raise UserInputError(f"{root}: no such run directory")
    store = RunStore(root)
    config = store.load_config()
    if not isinstance(config, dict):
        raise UserInputError(f"{store.path('config.json')} must hold a JSON object")
    if "game" in config or os.path.exists(store.path("state.json")):
        return _load_atari(root, config)
    if "domain" not in config:
        raise UserInputError(f"{root}: config.json names neither a domain nor a game; "
                             f"is this a coevolve run directory?")
    try:
        lines = store.iterations()
    except json.JSONDecodeError as exc:
        raise UserInputError(f"{store.path('iterations.jsonl')} has a malformed line: "
                             f"{exc}") from None
    if not lines:
        raise UserInputError(f"{root} has no finished iteration yet (iterations.jsonl is empty)")
    payoff_path = store.path("payoff.csv")
    if not os.path.exists(payoff_path):
        raise UserInputError(f"{root} has iterations but no payoff.csv")
    try:
        iterations = tuple(IterationRecord.from_json(line) for line in lines)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserInputError(f"{store.path('iterations.jsonl')} has a record this version "
                             f"cannot read ({type(exc).__name__}: {exc})") from None
    payoffs = PayoffMatrix.load_csv(payoff_path)
    _check_archive(store, iterations, payoffs)
    return RunData(root, "coevolve", config, iterations, payoffs,
                   heldout=_optional_json(store.path("heldout.json")),
                   llm=tuple(_optional_jsonl(store.path("llm.jsonl"))))


def _check_archive(store: RunStore, iterations, payoffs: PayoffMatrix) -> None:
    """Every archived program is on disk and has its row or column in payoff.csv."""
    labels = {"env": set(payoffs.env_labels), "policy": set(payoffs.policy_labels)}
    for record in iterations:
        for kind, entry in (("env", record.env), ("policy", record.policy)):
            if not entry:
                continue
            if entry.label not in labels[kind]:
                raise UserInputError(f"iteration {record.iteration} archived "
                                     f"{entry.label}, which payoff.csv does not hold")
            if not os.path.isfile(store.path(entry.file)):
                raise UserInputError(f"{store.path(entry.file)} is missing (archived in "
                                     f"iteration {record.iteration})")


def _load_atari(root: str, config: dict) -> RunData:
    iterations = tuple(_optional_jsonl(os.path.join(root, "iterations.jsonl")))
    state = _optional_json(os.path.join(root, "state.json"))
    summary = _optional_json(os.path.join(root, ATARI_SUMMARY))
    if not iterations and state is None and summary is None:
        raise UserInputError(f"{root} is an Atari run without a finished iteration or a "
                             f"summary yet")
    return RunData(root, "atari", config, iterations, state=state, summary=summary)


def _optional_json(path: str):
    """The parsed file, or None if it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise UserInputError(f"{path} is not valid JSON: {exc}") from None


def _optional_jsonl(path: str) -> list:
    """One parsed object per non-empty line; an unfinished last line is ignored."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
    except FileNotFoundError:
        return []
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number < len(lines):
                raise UserInputError(f"{path}, line {number}: malformed JSON: {exc}") from None
    return rows
