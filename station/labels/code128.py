"""Code 128 encoder producing module widths, so labels need no third-party barcode library.

`encode` returns the whole symbol (start, data, mod-103 check, stop) as alternating
bar/space widths in modules; quiet zones are the caller's job. Only code sets B and C are
used: B covers every printable ASCII character and C packs digit pairs, and the switching
between them is chosen to give the fewest symbols, which keeps bars as wide as possible.
"""

from __future__ import annotations

from typing import Final

#: Bar/space widths of symbol values 0..105, six elements (11 modules) each.
_PATTERNS: Final[tuple[str, ...]] = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",
    "132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222",
    "123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131",
    "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321",
    "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121",
    "313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321",
    "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224",
    "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113",
    "114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412",
    "211214", "211232",
)
_STOP: Final = "2331112"

_CODE_C: Final = 99  # in code set B: switch to C
_CODE_B: Final = 100  # in code set C: switch to B
_START_B: Final = 104
_START_C: Final = 105

_SYMBOL_MODULES: Final = 11
_STOP_MODULES: Final = 13

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
            values.append(ord(text[i]) - 32)
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
    widths = [int(w) for value in values for w in _PATTERNS[value]]
    widths.extend(int(w) for w in _STOP)
    return widths


def total_modules(text: str) -> int:
    """Width of the symbol for `text` in modules, without quiet zones; raises like `encode`."""
    return len(_symbol_values(text)) * _SYMBOL_MODULES + _SYMBOL_MODULES + _STOP_MODULES
