"""A domain's RUN_DEFAULTS fill the run flags the user left out, and only those."""
import argparse

from coevolve.commands.run import add_arguments, domain_defaults


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_driving_defaults_apply_only_to_flags_not_given():
    assert domain_defaults(parse("--domain", "driving")) == {"episodes": 3, "candidates": 2, "search_steps": 2}
    assert domain_defaults(parse("--domain", "driving", "--episodes", "7")) == {"candidates": 2, "search_steps": 2}
    assert domain_defaults(parse("--domain", "minigrid")) == {}
    assert domain_defaults(parse()) == {}
