"""Code 128 module widths for labels: python-barcode's symbol tables, our code-set choice.

`encode` returns the whole symbol (start, data, mod-103 check, stop) as alternating
bar/space widths in modules; quiet zones are the caller's job. The symbol values, their
bar patterns and the stop pattern are python-barcode's (`barcode.charsets.code128`). The
choice between code sets B and C stays here: B covers every printable ASCII character and
C packs digit pairs, and switching is chosen to give the fewest symbols, which keeps bars
as wide as possible on a label of fixed width. python-barcode 0.16.1 chooses greedily
(e.g. 101 modules for "A12345" where 90 suffice) and drops a leading "99" pair from the
data (its issue #251, fixed upstream after that release).
"""

from __future__ import annotations

import itertools
from typing import Final

from barcode.charsets import code128 as tables  # type: ignore[import-untyped]

#: Symbol values 0..105 as module strings, "1" a bar module and "0" a space module.
_PATTERNS: Final[tuple[str, ...]] = tables.CODES
#: python-barcode keeps the stop pattern's final two-module bar apart from the rest.
_STOP: Final[str] = tables.STOP + "11"
_SET_B: Final[dict[str, int]] = tables.B
_CODE_C: Final[int] = tables.B["TO_C"]  # in code set B: switch to C
_CODE_B: Final[int] = tables.C["TO_B"]  # in code set C: switch to B
_START_B: Final[int] = tables.START_CODES["B"]
_START_C: Final[int] = tables.START_CODES["C"]

_SYMBOL_MODULES: Final = 11
_STOP_MODULES: Final = len(_STOP)

_B: Final = 0
_C: Final = 1
_Cost = tuple[int, int]  # (symbols, set switches); compared lexicographically
_UNREACHABLE: Final[_Cost] = (1 << 62, 1 << 62)


class Code128Error(ValueError):
    """Text that Code 128 (code sets B and C) cannot carry."""


def _check_text(text: str) -> None:
    if not text:
        raise Code128Error("cannot encode empty text as Code 128")
    for index, char in enumerate(text):
        if not 32 <= ord(char) <= 126:
            raise Code128Error(
                f"character {char!r} at position {index} cannot be encoded; "
                "Code 128 labels accept printable ASCII only (space to '~')"
            )


def _is_digit_pair(text: str, index: int) -> bool:
    return index + 1 < len(text) and text[index].isdigit() and text[index + 1].isdigit()


def _stay_costs(text: str, cost: list[list[_Cost]], i: int) -> tuple[_Cost, _Cost]:
    """Cost of encoding text[i:] if the next symbol is written in set B, and in set C."""
    stay_b = (cost[i + 1][_B][0] + 1, cost[i + 1][_B][1])
    if not _is_digit_pair(text, i):
        return stay_b, _UNREACHABLE
    return stay_b, (cost[i + 2][_C][0] + 1, cost[i + 2][_C][1])


def _switched(cost: _Cost) -> _Cost:
    return cost[0] + 1, cost[1] + 1


def _symbol_values(text: str) -> list[int]:
    """Start value followed by data values (including set switches), fewest symbols first.

    Dynamic programming from the end: cost[i][s] is the cost of text[i:] while set s is
    active. Ties go to fewer switches, then to code set B.
    """
    _check_text(text)
    n = len(text)
    cost: list[list[_Cost]] = [[(0, 0), (0, 0)] for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        stay_b, stay_c = _stay_costs(text, cost, i)
        cost[i][_B] = min(stay_b, _switched(stay_c))
        cost[i][_C] = min(stay_c, _switched(stay_b))

    current = _C if cost[0][_C] < cost[0][_B] else _B
    values = [_START_C if current == _C else _START_B]
    i = 0
    while i < n:
        stay_b, stay_c = _stay_costs(text, cost, i)
        if current == _B and _switched(stay_c) < stay_b:
            values.append(_CODE_C)
            current = _C
        elif current == _C and _switched(stay_b) <= stay_c:
            values.append(_CODE_B)
            current = _B
        if current == _C:
            values.append(int(text[i : i + 2]))
            i += 2
        else:
            values.append(_SET_B[text[i]])
            i += 1
    return values


def _checksum(values: list[int]) -> int:
    return (values[0] + sum(weight * value for weight, value in enumerate(values[1:], 1))) % 103


def encode(text: str) -> list[int]:
    """Module widths of the full symbol for `text`: bar, space, bar, ... ending on the stop bar.

    Raises Code128Error for empty text or any character outside printable ASCII (32..126).
    """
    values = _symbol_values(text)
    values.append(_checksum(values))
    modules = "".join(_PATTERNS[value] for value in values) + _STOP
    return [len(list(run)) for _, run in itertools.groupby(modules)]


def total_modules(text: str) -> int:
    """Width of the symbol for `text` in modules, without quiet zones; raises like `encode`."""
    return len(_symbol_values(text)) * _SYMBOL_MODULES + _SYMBOL_MODULES + _STOP_MODULES
