"""Taking the program out of a model's answer: fences, prose, truncation, think blocks."""
import pytest

from coevolve.llm.extract import (ExtractionError, TruncatedAnswer, extract_program,
                                  fenced_blocks, read_program)

POLICY = "def policy(obs):\n    return 1\n"


@pytest.mark.parametrize("answer", [
    f"```python\n{POLICY}```",
    f"Here is the improved policy:\n\n```python\n{POLICY}```\n\nIt turns less often.",
    f"```py\n{POLICY}```",
    f"```\n{POLICY}```",
    f"~~~python\n{POLICY}~~~",
    f"```python\n{POLICY}",  # unclosed fence (answer cut off after the code)
    POLICY,  # bare code
    f"Sure! Here is the program:\n\n{POLICY}\nThis policy always turns right.\nHope this helps!",
    f"Sure\n{POLICY}Done",  # single words parse as names: dropped
    f"<think>maybe ```python\nbroken(\n``` first</think>\n```python\n{POLICY}```",
    f"```python\n    {POLICY.replace(chr(10), chr(10) + '    ')}```",  # indented block
])
def test_the_program_is_found(answer):
    assert extract_program(answer, ("policy",)) == POLICY


@pytest.mark.parametrize("answer", [
    "```python\nimport math\n\ndef helper():\n    return 3\n\ndef policy(obs):\n    x = helper(\n",
    "import math\n\ndef helper():\n    return 3\n\ndef policy(obs):\n    x = [1,\n",
    "```python\ndef policy(obs):\n    if obs:\n",
])
def test_an_unfinished_answer_is_reported_as_cut_off_never_trimmed(answer):
    with pytest.raises(TruncatedAnswer, match=r"cut off after \d+ lines.*shorter complete program"):
        extract_program(answer)


def test_a_docstring_after_return_and_comments_are_kept():
    source = 'def policy(obs):\n    return 1\n    """unreachable docstring"""\n# trailing comment\n'
    assert extract_program(f"```python\n{source}```") == source


def test_a_syntax_error_inside_the_program_is_reported_not_trimmed():
    answer = "```python\ndef policy(obs):\n    x = = 1\n    return x\n\ndef helper():\n    return 2\n```"
    with pytest.raises(ExtractionError, match=r"syntax error at line 2: .*`x = = 1`"):
        extract_program(answer)


def test_the_block_defining_the_contract_wins_over_a_usage_example():
    answer = f"```python\n{POLICY}```\nUse it like this:\n```python\naction = policy(obs)\n```"
    assert extract_program(answer, ("policy",)) == POLICY
    revised = "def policy(obs):\n    return 2\n"
    answer = f"Original:\n```python\n{POLICY}```\nRevised:\n```python\n{revised}```"
    assert extract_program(answer, ("policy",)) == revised


def test_python_blocks_are_preferred_to_other_languages():
    answer = f"Run it with:\n```bash\npython run.py\n```\n```python\n{POLICY}```"
    assert extract_program(answer, ("policy",)) == POLICY


@pytest.mark.parametrize("answer, message", [
    ("", "the answer was empty"),
    ("  \n\t", "the answer was empty"),
    ("<think>I will write it.</think>", "the answer was empty"),
    ("I cannot help with that.", "holds no Python program"),
    ("```python\n```", "no Python code"),
    ("```python\ndef policy(obs)\n    return 1\n```", "syntax error at line 1"),
])
def test_answers_without_a_program_say_why(answer, message):
    with pytest.raises(ExtractionError, match=message):
        extract_program(answer)


def test_fenced_blocks_reads_info_strings_and_unclosed_blocks():
    text = "a\n```Python\nx = 1\n```\nb\n```json\n{}\n```\n```\ny = 2"
    assert fenced_blocks(text) == [("python", "x = 1", True), ("json", "{}", True),
                                   ("", "y = 2", False)]
