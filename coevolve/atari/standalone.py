"""The best policy written as a standalone script that needs only ``ocatari`` to run.

The file is the policy program followed by a ``__main__`` block holding the harness's own
episode loop (:func:`envs.atari.runner.play`) and what it calls -- the game's observation
builder, the environment constructor, their helpers and constants -- copied by source, so the
script plays exactly as the harness does, and prints the score.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import types

from envs.atari import get_game
from envs.atari.runner import open_env, play

_MAIN = """\
gymnasium.register_envs(ale_py)
random.seed(0)  # as the harness seeds an episode with seed 0
numpy.random.seed(0)
result = play(open_env({env_id!r}, {sticky!r}), act, {observe}, {n_actions}, {fire},
              seed=0, max_steps={max_steps})
print(f"score {{result['score']:g}} in {{result['steps']}} steps")
"""


def _names(code: types.CodeType) -> set[str]:
    """Global names a function's code (its nested code included) refers to."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def harness(*roots, imports: tuple[str, ...] = ()) -> str:
    """The source of ``roots`` and of every function, class and constant of ours they use
    (their dependency closure), after the import lines of the modules and library names they
    use, merged with ``imports``, each once."""
    imports, constants, definitions, seen = dict.fromkeys(imports, None), {}, [], set()
    todo = list(roots)
    while todo:
        item = todo.pop(0)
        if item.__name__ in seen:
            continue
        seen.add(item.__name__)
        definitions.append(textwrap.dedent(inspect.getsource(item)))
        space = vars(inspect.getmodule(item))
        code = item.__code__ if inspect.isfunction(item) else None
        names = _names(code) if code else set()
        for name in sorted(names):
            value = space.get(name)
            if isinstance(value, types.ModuleType):
                imports[f"import {value.__name__}" if value.__name__ == name
                        else f"import {value.__name__} as {name}"] = None
            elif inspect.isfunction(value) or inspect.isclass(value):
                if value.__module__.startswith("envs."):
                    todo.append(value)
                else:  # a library's, e.g. OCAtari: imported by name
                    imports[f"from {value.__module__} import {value.__name__}" + (
                        "" if value.__name__ == name else f" as {name}")] = None
            elif isinstance(value, (int, float, str, tuple)) and name.isupper():
                constants[name] = f"{name} = {value!r}"
    return "\n".join([*sorted(imports), *constants.values(), "", "",
                      "\n\n".join(definitions)])


def _without_main(source: str) -> str:
    """``source`` with any top-level ``if __name__ == "__main__":`` block removed."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not (
        isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")]
    return ast.unparse(tree)


def standalone_source(source: str, game: str, max_steps: int = 27000,
                      sticky: float = 0.25) -> str:
    """The policy ``source`` with a ``__main__`` block that plays one episode of ``game``."""
    spec = get_game(game)
    main = (harness(play, open_env, spec.observe, imports=(
        "import random", "import ale_py", "import gymnasium", "import numpy")) + "\n\n"
            + _MAIN.format(env_id=spec.env_id, sticky=float(sticky),
                           observe=spec.observe.__name__, n_actions=spec.n_actions,
                           fire=spec.fire_on_life_start, max_steps=int(max_steps)))
    return (_without_main(source) + '\n\n\nif __name__ == "__main__":\n'
            + textwrap.indent(main, "    "))
