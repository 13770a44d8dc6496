"""The AST toolkit: reading programs, edits that keep comments and layout, the operator registry."""
import ast

import numpy as np
import pytest

from envs.codetools import (Draft, Operator, Registry, bindings, closure, constant_assignments, definitions,
                            module_bindings, parse, preamble_end, read_constants, references, reindent, write_constants)

MESSY = '''#!/usr/bin/env python
"""A program full of comments and odd layout."""
import math   # for sqrt
from os import (path,   # the odd import
                sep)

SIZE   =   8   # the grid size
NAMES = [  # one a line
    "a",
    "b",
]


# --- helpers ---------------------------------------------------------------
@staticmethod
def helper(x,
           y = 2):
    """Docstring
    over two lines."""
    if x < 3 :   # small
        return x*y
    elif x > 10:
        return  -1
    total = x ; total += 1  # two on one line
    return total  # done


class Thing:

    # a method comment
    def method(self):
        text = """keep
   this odd
indentation"""
        return text
'''


def edited(source, edit):
    draft = Draft(source)
    edit(draft.tree)
    result = draft.render()
    assert ast.dump(ast.parse(result)) == ast.dump(ast.parse(ast.unparse(draft.tree)))
    return result


def only_change(before: str, after: str, old: str, new: str):
    """``after`` is ``before`` with the one occurrence of ``old`` replaced by ``new``."""
    assert before.count(old) == 1
    assert after == before.replace(old, new)


def test_an_untouched_tree_renders_the_source_byte_for_byte():
    assert edited(MESSY, lambda tree: None) == MESSY


def test_a_changed_constant_rewrites_only_its_literal():
    def edit(tree):
        tree.body[3].value.value = 12
    only_change(MESSY, edited(MESSY, edit), "SIZE   =   8   #", "SIZE   =   12   #")


def test_a_replaced_expression_rewrites_only_its_text_and_gets_parentheses_when_needed():
    def edit(tree):
        ret = definitions(tree)["helper"].body[1].body[0]
        ret.value.right = ast.BinOp(ast.Name("y"), ast.Add(), ast.Constant(1))  # x*y -> x*(y + 1)
    after = edited(MESSY, edit)
    only_change(MESSY, after, "return x*y", "return x*(y + 1)")


def test_an_inserted_statement_adds_one_line_and_keeps_every_other():
    def edit(tree):
        body = definitions(tree)["helper"].body
        body.insert(len(body) - 1, ast.parse("total *= 2").body[0])
    after = edited(MESSY, edit)
    only_change(MESSY, after, "  # two on one line\n", "  # two on one line\n    total *= 2\n")


def test_a_removed_statement_loses_its_lines_and_nothing_else():
    def edit(tree):
        del tree.body[3]
    only_change(MESSY, edited(MESSY, edit), "SIZE   =   8   # the grid size\n", "")


def test_swapped_statements_move_with_their_text():
    source = "def f(x):\n    # first rule\n    if x:  # a\n        return 1\n    if not x:  # b\n        return 2\n"
    def edit(tree):
        body = tree.body[0].body
        body[0], body[1] = body[1], body[0]
    after = edited(source, edit)
    assert after == ("def f(x):\n    # first rule\n    if not x:  # b\n        return 2\n"
                     "    if x:  # a\n        return 1\n")


def test_an_edited_elif_stays_an_elif():
    def edit(tree):
        branch = definitions(tree)["helper"].body[1].orelse[0]
        branch.test.ops = [ast.GtE()]
    only_change(MESSY, edited(MESSY, edit), "elif x > 10:", "elif x >= 10:")
    def replace(tree):
        outer = definitions(tree)["helper"].body[1]
        outer.orelse[0] = ast.parse("if x > 20:\n    return 0").body[0]
    after = edited(MESSY, replace)
    only_change(MESSY, after, "elif x > 10:\n        return  -1", "elif x > 20:\n        return  0")


def test_statements_sharing_a_line_are_rewritten_with_their_block_and_the_rest_is_kept():
    def edit(tree):
        definitions(tree)["helper"].body.pop(2)  # total = x, the first of two on one line
    after = edited(MESSY, edit)
    assert "    total += 1\n" in after and "total = x" not in after
    start, end = MESSY.index("def helper"), MESSY.index("\n\n\nclass Thing")
    assert after.startswith(MESSY[:start]) and after.endswith(MESSY[end:])


def test_a_copied_in_definition_keeps_its_comments_and_its_strings():
    donor = 'class Other:\n        def method(self):\n            # donor comment\n            return """a\n   b"""\n'
    method = ast.parse(donor).body[0].body[0]
    draft = Draft(MESSY)
    draft.tree.body[-1].body.append(draft.copy_in(method, donor))
    after = draft.render()
    assert after.startswith(MESSY)
    assert after[len(MESSY):] == '\n    def method(self):\n        # donor comment\n        return """a\n   b"""\n'
    assert ast.parse(after).body[-1].body[-1].body[0].value.value == "a\n   b"


def test_a_copied_in_node_edited_afterwards_is_unparsed():
    donor = "def g():\n    return 1  # one\n"
    draft = Draft("x = 0\n")
    node = draft.copy_in(ast.parse(donor).body[0], donor)
    node.body[0].value.value = 2
    draft.tree.body.append(node)
    assert draft.render() == "x = 0\n\n\ndef g():\n    return 2\n"


def test_a_new_import_lands_in_its_parenthesised_list_or_after_the_preamble():
    def edit(tree):
        tree.body[2].names.append(ast.alias("getcwd"))
    after = edited(MESSY, edit)
    assert "from os import path, sep, getcwd\n" in after
    assert after.replace("from os import path, sep, getcwd\n", "") == \
        MESSY.replace("from os import (path,   # the odd import\n                sep)\n", "")
    tree = ast.parse(MESSY)
    assert preamble_end(tree) == 3 and isinstance(tree.body[3], ast.Assign)
    assert preamble_end(ast.parse("x = 1\nimport os\n")) == 0


def test_reindent_leaves_multiline_strings_alone():
    text = 'def f():\n    s = """a\n  b"""\n    return s'
    assert reindent(text, "", "    ") == 'def f():\n        s = """a\n  b"""\n        return s'


def test_bindings_references_and_closure():
    tree = ast.parse("import os.path as p, sys\nA, (B, C) = 1, (2, 3)\nX: int = A\n"
                     "def f():\n    global G\n    return g() + A\n"
                     "def g():\n    return h\nh = 3\ndef unused():\n    return f()\n")
    assert [bindings(stmt) for stmt in tree.body[:3]] == [{"p", "sys"}, {"A", "B", "C"}, {"X"}]
    assert module_bindings(tree) == {"p", "sys", "A", "B", "C", "X", "f", "g", "h", "unused"}
    assert references(tree.body[3]) == ["G", "A", "g"]  # ast.walk order: breadth first
    binders = {name: stmt for stmt in tree.body for name in bindings(stmt)}
    assert closure(binders, ["f"]) == ["f", "A", "g", "h"]
    assert closure(binders, ["nothing"]) == []
    assert list(definitions(tree)) == ["f", "g", "unused"]


def test_constants_are_read_and_written_keeping_the_rest():
    source = "A = 1  # one\nB = [1,\n     2]\nC = f(3)\nA = 4\n"
    tree = ast.parse(source)
    assert list(constant_assignments(tree)) == ["A", "B", "C"]
    assert read_constants(tree, ["A", "B"]) == {"A": 4, "B": [1, 2]}
    with pytest.raises(ValueError, match="C must be a literal value"):
        read_constants(tree, ["C"])
    with pytest.raises(ValueError, match="not a level: it does not assign D, E at module level"):
        read_constants(tree, ["A", "D", "E"], required=["A", "D", "E"], what="a level")
    with pytest.raises(ValueError, match="level source does not parse"):
        parse("def (", "level source")
    assert write_constants(source, {"B": "[5]", "A": "7"}) == "A = 1  # one\nB = [5]\nC = f(3)\nA = 7\n"


def test_the_registry_draws_by_weight_among_the_operators_that_apply():
    heavy, light = Operator("heavy", str, 9.0), Operator("light", str, 1.0, applies=lambda n: n > 0)
    registry = Registry([heavy, light])
    draws = [registry.choose(np.random.default_rng(seed), 1).name for seed in range(200)]
    assert 150 < draws.count("heavy") < 200 and "light" in draws
    assert {registry.choose(np.random.default_rng(seed), 0).name for seed in range(20)} == {"heavy"}
    firsts = [registry.order(np.random.default_rng(seed), 1)[0].name for seed in range(200)]
    assert 150 < firsts.count("heavy") < 200
    assert registry.order(np.random.default_rng(0), 1) == registry.order(np.random.default_rng(0), 1)
    assert registry["light"] is light and len(registry) == 2 and list(registry) == [heavy, light]


def test_a_registry_of_equal_weights_draws_uniformly():
    registry = Registry(Operator(name, str) for name in "abc")
    rng, again = np.random.default_rng(3), np.random.default_rng(3)
    assert [op.name for op in registry.order(rng)] == ["abc"[k] for k in again.permutation(3)]
    assert registry.choose(rng).name == "abc"[int(again.integers(3))]


def test_registry_errors_name_the_problem():
    with pytest.raises(ValueError, match="repeat"):
        Registry([Operator("a", str), Operator("a", str)])
    with pytest.raises(ValueError, match="positive weight"):
        Registry([Operator("a", str, 0.0)])
    with pytest.raises(ValueError, match="no mutation operator applies"):
        Registry([Operator("a", str, applies=lambda s: False)]).choose(np.random.default_rng(0))


def test_a_removed_definition_takes_one_of_its_two_gaps_along():
    source = "def a():\n    pass\n\n\ndef b():\n    pass\n\n\ndef c():\n    pass\n"
    assert edited(source, lambda tree: tree.body.pop(1)) == "def a():\n    pass\n\n\ndef c():\n    pass\n"
