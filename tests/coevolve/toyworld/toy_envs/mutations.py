import ast
import re


def bump(source, name, rng, low, high):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            delta = int(rng.integers(low, high))
            node.value += delta
            return ast.unparse(tree) + "\n", f"{name} {delta:+d}"
    raise ValueError("no integer constant to change")


def mutate_env(source, rng):
    """LEVEL raised by 0..3, or (when the program sets ``FALL = n``) moved by -n..3."""
    fall = re.search(r"^FALL = (\d+)", source, re.MULTILINE)
    return bump(source, "LEVEL", rng, -int(fall.group(1)) if fall else 0, 4)
