"""The approval page's QR encoder (simulator/gateways/jkopay/qr.py), checked by reading its
codes back the way a scanner does: the format bits (both copies) name level M and the mask,
the version bits (both copies) the version, every Reed-Solomon block has zero syndromes,
and the unmasked, de-interleaved data is byte mode holding exactly the text. (During
development the matrices were also compared module for module with segno 1.6.6's for
versions 1-15 and all eight masks; segno is not a dependency, so that comparison is not
repeated here.)"""

from __future__ import annotations

import base64
import re

import pytest
from paylab.simulator.gateways.jkopay import qr

TEXTS = ["a", "http://127.0.0.1:8080/jkopay/onlinepay/ord_1?token=" + "x" * 32,
         "訂單 " * 20, "y" * 300, "z" * 400]


def syndromes_are_zero(block: list[int], degree: int) -> bool:
    exp, _ = qr._tables()
    for i in range(degree):
        value = 0
        for byte in block:
            value = qr._multiply(value, exp[i]) ^ byte
        if value:
            return False
    return True


def read(grid: list[list[int]]) -> tuple[int, int, str]:
    """(version, mask, text) of a level-M byte-mode code, as a reader recovers them."""
    size = len(grid)
    version = (size - 17) // 4
    first = [grid[8][c] for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [grid[r][8] for r in (7, 5, 4, 3,
                                                                                   2, 1, 0)]
    second = [grid[size - 1 - i][8] for i in range(7)] + [grid[8][size - 8 + i]
                                                          for i in range(8)]
    assert first == second, "the two copies of the format bits differ"
    bits = int("".join(map(str, first)), 2)
    mask = next(m for m in range(8) if qr.format_bits(m) == bits)
    if version >= 7:
        upper = sum(grid[i // 3][size - 11 + i % 3] << i for i in range(18))
        lower = sum(grid[size - 11 + i % 3][i // 3] << i for i in range(18))
        assert upper == lower == qr.version_bits(version)
    _, fixed = qr._function_patterns(version)
    modules = []
    upward, col = True, size - 1
    while col > 0:
        col -= col == 6
        for r in range(size - 1, -1, -1) if upward else range(size):
            modules += [(r, c) for c in (col, col - 1) if not fixed[r][c]]
        upward, col = not upward, col - 2
    raw = [grid[r][c] ^ int(qr.MASKS[mask](r, c)) for r, c in modules]
    words = [int("".join(map(str, raw[i:i + 8])), 2) for i in range(0, len(raw) - 7, 8)]
    degree, groups = qr.BLOCKS_M[version]
    sizes = [size_ for n, size_ in groups for _ in range(n)]
    blocks: list[list[int]] = [[] for _ in sizes]
    at = 0
    for i in range(max(sizes)):
        for b, block_size in enumerate(sizes):
            if i < block_size:
                blocks[b].append(words[at])
                at += 1
    for _ in range(degree):
        for block in blocks:
            block.append(words[at])
            at += 1
    assert all(syndromes_are_zero(block, degree) for block in blocks)
    data = "".join(format(w, "08b") for block in blocks for w in block[:-degree])
    assert data[:4] == "0100", "not byte mode"
    length_bits = 8 if version < 10 else 16
    length = int(data[4:4 + length_bits], 2)
    start = 4 + length_bits
    payload = bytes(int(data[start + 8 * i:start + 8 * i + 8], 2) for i in range(length))
    return version, mask, payload.decode("utf-8")


@pytest.mark.parametrize("text", TEXTS, ids=["short", "url", "utf8", "300-bytes", "400-bytes"])
def test_a_code_reads_back_as_its_text(text: str) -> None:
    grid = qr.encode(text)
    version, _, found = read(grid)
    assert found == text and version == qr.choose_version(text.encode())
    for mask in (0, 5, 7):
        assert read(qr.encode(text, mask=mask))[1:] == (mask, text)


def test_the_finders_timing_and_dark_module_are_in_place() -> None:
    grid = qr.encode(TEXTS[1])
    size = len(grid)
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        ring = [grid[top][left + i] for i in range(7)]
        assert ring == [1] * 7 and grid[top + 3][left + 3] == 1 and grid[top + 1][left + 1] == 0
    assert [grid[6][c] for c in range(8, size - 8)] == [int(c % 2 == 0)
                                                        for c in range(8, size - 8)]
    assert grid[size - 8][8] == 1


def test_too_long_a_text_is_refused_and_the_svg_draws_the_modules() -> None:
    with pytest.raises(qr.TooLong):
        qr.encode("w" * 413)
    drawn = qr.svg("abc")
    assert drawn.startswith("<svg") and len(re.findall(r"M\d+ \d+h4v4h-4z", drawn)) == sum(
        map(sum, qr.encode("abc")))
    assert base64.b64decode(base64.b64encode(drawn.encode())).decode() == drawn
