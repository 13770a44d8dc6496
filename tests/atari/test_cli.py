"""``coevolve atari`` command: bad input exits with status 2 and one line."""
import argparse

import pytest

from coevolve.commands import atari


def call(argv):
    from coevolve.errors import UserInputError

    parser = argparse.ArgumentParser()
    atari.add_arguments(parser)
    try:
        return atari.main(parser.parse_args(argv)), ""
    except UserInputError as exc:
        return 2, str(exc)


@pytest.mark.parametrize("argv,message", [
    (["--game", "Tetris"], "unknown Atari game 'Tetris'; choose one of Pong, Breakout, "
     "SpaceInvaders or another OCAtari game: Adventure, AirRaid"),
    (["--game", "Adventure"], "no feedback stages for game 'Adventure'"),
    (["--game", "Pong", "--sticky", "1.5"], "sticky must be in [0, 1)"),
    (["--game", "Pong", "--designer", "llm"], "the llm designer needs --model NAME"),
    (["--game", "Pong", "--designer", "llm", "--model", "m", "--replay", "/nonexistent.jsonl"],
     "--replay /nonexistent.jsonl: no such transcript file"),
    (["--game", "Pong", "--episodes", "0"], "episodes must be at least 1"),
])
def test_bad_input_is_a_user_error(argv, message, tmp_path):
    code, text = call(argv + ["--out", str(tmp_path / "run")])
    assert code == 2 and message in text and "\n" not in text


@pytest.mark.parametrize("flag,value", [("--feedback", "vibes"), ("--designer", "magic"),
                                        ("--executor", "cloud")])
def test_a_value_outside_the_choices_is_refused_by_the_parser(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        call(["--game", "Pong", flag, value])
    assert exit_.value.code == 2 and f"invalid choice: '{value}'" in capsys.readouterr().err


def test_every_config_field_is_a_flag():
    from dataclasses import fields

    from coevolve.atari.loop import AtariConfig

    parser = argparse.ArgumentParser()
    atari.add_arguments(parser)
    given = vars(parser.parse_args([]))
    assert {f.name for f in fields(AtariConfig)} <= set(given)


def test_resume_without_a_run_and_rerun_over_a_run(tmp_path):
    code, text = call(["--game", "Pong", "--resume", "--out", str(tmp_path)])
    assert code == 2 and "nothing to resume" in text
    (tmp_path / "state.json").write_text("{}")
    code, text = call(["--game", "Pong", "--resume", "--out", str(tmp_path)])
    assert code == 2 and "earlier version (state.json)" in text
    (tmp_path / "config.json").write_text('{"game": "Pong"}')
    code, text = call(["--game", "Pong", "--out", str(tmp_path)])
    assert code == 2 and "--resume" in text
    code, text = call(["--game", "Breakout", "--resume", "--out", str(tmp_path)])
    assert code == 2 and "holds a Pong run, not Breakout" in text


def test_console_entry_point_exits_2_for_an_unknown_game(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "coevolve", "atari", "--game", "Tetris",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    if "Traceback" in done.stderr and "coevolve/commands/atari.py" not in done.stderr:
        pytest.fail("the coevolve CLI does not start: " + done.stderr.splitlines()[-1])
    assert done.returncode == 2
    assert done.stderr.strip().startswith("coevolve: unknown Atari game 'Tetris'; choose one of "
                                          "Pong, Breakout, SpaceInvaders or another OCAtari game")
    assert len(done.stderr.strip().splitlines()) == 1
