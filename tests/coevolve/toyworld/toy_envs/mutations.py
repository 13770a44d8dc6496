import ast


def bump(source, name, rng, low, high):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            delta = int(rng.integers(low, high))
            node.value += delta
            return ast.unparse(tree) + "\n", f"{name} {delta:+d}"
    raise ValueError("no integer constant to change")


def mutate_env(source, rng):
    return bump(source, "LEVEL", rng, 0, 4)
