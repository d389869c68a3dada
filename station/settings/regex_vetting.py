"""Vetting a regular expression an admin configures (`rma.number_pattern`) before it runs.

Python's `re` backtracks, so a pattern with a quantifier inside another quantifier, such
as `(a+)+$`, takes exponential time on a near-miss: 26 characters took 6 s to classify,
and every scan at the bench runs the pattern. There is no timeout in `re`, so such
patterns are refused when the configuration is loaded, with the reason.

Contract: `backtracking_problem(pattern)` returns None for a pattern that is safe to run
on scans (at most `payloads.MAX_SCAN_LENGTH` characters), else a sentence naming the
problem. Refused: a repeat that can match many times (`+`, `*`, `{2,}`, `{1,5}`) around
another such repeat or around an alternation (`(a|aa)+`), unless each round starts or ends
with a character nothing else in it matches (`[0-9]+(-[0-9]+)*` is fine); three or more
repeats in a row that can match the same character (`\\d*\\d*\\d*`, polynomial time); and
backreferences. The pattern
must compile; checking that is the caller's job. Uses the standard library's own regular
expression parser (`re._parser`), so it sees the pattern exactly as `re` does.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")
_constants: Any = importlib.import_module("re._constants")

_REPEATS: Final = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT,
                             getattr(_constants, "POSSESSIVE_REPEAT", _constants.MAX_REPEAT)})


def _varies(low: int, high: int) -> bool:
    """A repeat that can match more than once and a varying number of times."""
    return high > 1 and high != low


def _children(op: Any, value: Any) -> list[Any]:
    """The sub-patterns directly inside one parsed item."""
    if op in _REPEATS:
        return [value[2]]
    if op is _constants.SUBPATTERN:
        return [value[-1]]
    if op is _constants.BRANCH:
        return list(value[1])
    if op in (_constants.ASSERT, _constants.ASSERT_NOT):
        return [value[1]]
    if op is _constants.GROUPREF_EXISTS:
        return [branch for branch in value[1:] if branch is not None]
    if op is getattr(_constants, "ATOMIC_GROUP", None):
        return [value]
    return []


_ATOMS: Final = frozenset({_constants.LITERAL, _constants.NOT_LITERAL, _constants.IN,
                           _constants.ANY, _constants.CATEGORY})


def _atoms(items: Any) -> list[Any]:
    """Every item that consumes one character, anywhere inside `items`."""
    found: list[Any] = []
    for op, value in items:
        if op in _ATOMS:
            found.append((op, value))
        for child in _children(op, value):
            found.extend(_atoms(child))
    return found


def _delimited(body: Any, state: Any) -> bool:
    """True when every round of a repeat starts (or ends) with a literal character that
    nothing else in the round can match, as `(-[0-9]+)*`: the rounds then split in one way
    only, so what is inside cannot backtrack against itself."""
    items = list(body)
    while len(items) == 1 and items[0][0] is _constants.SUBPATTERN:
        items = list(items[0][1][-1])
    for delimiter, rest in ((items[:1], items[1:]), (items[-1:], items[:-1])):
        if not delimiter or delimiter[0][0] is not _constants.LITERAL:
            continue
        char = chr(delimiter[0][1])
        if not any(_compiler.compile(_parser.SubPattern(state, [atom])).fullmatch(char)
                   for atom in _atoms(rest)):
            return True
    return False


#: The characters tried when asking whether repeats can match the same character.
_SAMPLE: Final = [chr(code) for code in range(32, 127)]


def _stacked(items: Any, state: Any) -> bool:
    """True when three or more repeats in a row can match the same character, as
    `\\d*\\d*\\d*`: matching then takes polynomial time (n³ and worse) on a near-miss."""
    run: list[set[str]] = []
    for op, value in items:
        if op in _REPEATS and value[1] <= 1:
            continue  # an optional item (`?`) neither ends a run nor adds to it
        if not (op in _REPEATS and _varies(value[0], value[1])):
            run = []
            continue
        atoms = [_compiler.compile(_parser.SubPattern(state, [atom]))
                 for atom in _atoms(value[2])]
        run.append({char for char in _SAMPLE if any(a.fullmatch(char) for a in atoms)})
        if len(run) >= 3 and any(sum(char in chars for chars in run) >= 3
                                 for char in set().union(*run)):
            return True
    return False


def _walk(pattern: Any, inside_repeat: bool, state: Any) -> str | None:
    if _stacked(pattern, state):
        return ("has three or more repeats in a row that can match the same characters "
                "(like \\d*\\d*\\d*), which can take very long on a near-miss scan; merge "
                "them into one repeat")
    for op, value in pattern:
        if op in (_constants.GROUPREF, _constants.GROUPREF_EXISTS):
            return "uses a backreference, which can make matching take very long"
        if op in _REPEATS:
            low, high = value[0], value[1]
            if _varies(low, high):
                if inside_repeat:
                    return ("has a repeat inside another repeat (like (a+)+), which can take "
                            "exponential time on a near-miss scan; write it with a single "
                            "repeat, e.g. [A-Z0-9-]+ or RMA-[0-9]{6}")
                problem = _walk(value[2], not _delimited(value[2], state), state)
                if problem:
                    return problem
                continue
        if op is _constants.BRANCH and inside_repeat:
            return ("repeats an alternation (like (a|aa)+), which can take exponential time "
                    "on a near-miss scan; use a character class, e.g. [AB]+, or a fixed count")
        for child in _children(op, value):
            problem = _walk(child, inside_repeat, state)
            if problem:
                return problem
    return None


def backtracking_problem(pattern: str) -> str | None:
    """Why `pattern` could backtrack catastrophically on a scan, or None if it cannot."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # a pattern that does not compile is reported by the caller
        return None
    return _walk(parsed, False, parsed.state)
