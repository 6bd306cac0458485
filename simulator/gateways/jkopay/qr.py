"""A QR code encoder for the approval page (ISO/IEC 18004, written here: the venv has no QR
library): byte mode, error correction level M, versions 1-15 (up to 412 bytes, enough for
any payment URL), the mask with the lowest penalty; rendered as an SVG.

Steps: data bits (mode, length, bytes, terminator, padding) -> Reed-Solomon codewords per
block -> interleaving -> the function patterns (finders, separators, timing, alignment,
dark module, version info) -> the zigzag data placement -> masking -> format information.
"""

from __future__ import annotations

from functools import cache, lru_cache

Matrix = list[list[int]]

#: Level M per version: (EC codewords per block, [(blocks, data codewords per block), ...]).
BLOCKS_M = {
    1: (10, [(1, 16)]), 2: (16, [(1, 28)]), 3: (26, [(1, 44)]), 4: (18, [(2, 32)]),
    5: (24, [(2, 43)]), 6: (16, [(4, 27)]), 7: (18, [(4, 31)]), 8: (22, [(2, 38), (2, 39)]),
    9: (22, [(3, 36), (2, 37)]), 10: (26, [(4, 43), (1, 44)]), 11: (30, [(1, 50), (4, 51)]),
    12: (22, [(6, 36), (2, 37)]), 13: (22, [(8, 37), (1, 38)]), 14: (24, [(4, 40), (5, 41)]),
    15: (24, [(5, 41), (5, 42)]),
}
ALIGNMENT = {
    1: [], 2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38],
    8: [6, 24, 42], 9: [6, 26, 46], 10: [6, 28, 50], 11: [6, 30, 54], 12: [6, 32, 58],
    13: [6, 34, 62], 14: [6, 26, 46, 66], 15: [6, 26, 48, 70],
}
MASKS = (
    lambda r, c: (r + c) % 2 == 0, lambda r, c: r % 2 == 0, lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0, lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
)
LEVEL_M = 0b00
FINDER_LIKE = [1, 0, 1, 1, 1, 0, 1]


class TooLong(ValueError):
    """The text does not fit version 15 at level M."""


# -- Reed-Solomon over GF(256), polynomial 0x11D ------------------------------------------
@cache
def _tables() -> tuple[list[int], list[int]]:
    exp, log, x = [0] * 512, [0] * 256, 1
    for i in range(255):
        exp[i], log[x] = x, i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


def _multiply(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    exp, log = _tables()
    return exp[log[a] + log[b]]


@cache
def _generator(degree: int) -> tuple[int, ...]:
    exp, _ = _tables()
    poly = [1]
    for i in range(degree):
        poly = [a ^ _multiply(b, exp[i]) for a, b in zip([*poly, 0], [0, *poly], strict=True)]
    return tuple(poly)


def ec_codewords(data: list[int], degree: int) -> list[int]:
    """The Reed-Solomon remainder of `data` (`degree` codewords)."""
    generator = _generator(degree)
    rest = list(data) + [0] * degree
    for i in range(len(data)):
        factor = rest[i]
        if factor:
            for j, g in enumerate(generator):
                rest[i + j] ^= _multiply(g, factor)
    return rest[len(data):]


# -- data -----------------------------------------------------------------------------------
def _capacity(version: int) -> int:
    return sum(n * size for n, size in BLOCKS_M[version][1])


def choose_version(payload: bytes) -> int:
    """The smallest version whose level-M byte capacity holds the payload."""
    for version in BLOCKS_M:
        length_bits = 8 if version < 10 else 16
        if 4 + length_bits + 8 * len(payload) <= 8 * _capacity(version):
            return version
    raise TooLong(f"{len(payload)} bytes do not fit a version 15-M QR code")


def codewords(payload: bytes, version: int) -> list[int]:
    """Data and error correction codewords, interleaved, for the payload."""
    capacity = _capacity(version)
    bits = "0100" + format(len(payload), "08b" if version < 10 else "016b")
    bits += "".join(format(b, "08b") for b in payload)
    bits += "0" * min(4, 8 * capacity - len(bits))
    bits += "0" * (-len(bits) % 8)
    data = [int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)]
    data += [(0xEC, 0x11)[i % 2] for i in range(capacity - len(data))]
    degree, groups = BLOCKS_M[version]
    blocks, at = [], 0
    for count, size in groups:
        for _ in range(count):
            blocks.append(data[at:at + size])
            at += size
    out = [block[i] for i in range(max(map(len, blocks))) for block in blocks if i < len(block)]
    ecs = [ec_codewords(block, degree) for block in blocks]
    return out + [ec[i] for i in range(degree) for ec in ecs]


# -- the matrix -----------------------------------------------------------------------------
def _bch(value: int, generator: int, bits: int) -> int:
    rest = value << bits
    top = generator.bit_length()
    while rest.bit_length() >= top:
        rest ^= generator << (rest.bit_length() - top)
    return (value << bits) | rest


def format_bits(mask: int) -> int:
    """The 15 format bits of level M and `mask`."""
    return _bch((LEVEL_M << 3) | mask, 0b10100110111, 10) ^ 0b101010000010010


def version_bits(version: int) -> int:
    """The 18 version bits (versions 7 and up)."""
    return _bch(version, 0b1111100100101, 12)


def _function_patterns(version: int) -> tuple[Matrix, Matrix]:
    """The modules every code of this version has, and which modules they are."""
    size = 17 + 4 * version
    grid = [[0] * size for _ in range(size)]
    fixed = [[0] * size for _ in range(size)]

    def put(r: int, c: int, dark: int) -> None:
        grid[r][c], fixed[r][c] = dark, 1

    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        for r in range(-1, 8):
            for c in range(-1, 8):
                if 0 <= top + r < size and 0 <= left + c < size:
                    ring = max(abs(r - 3), abs(c - 3))
                    put(top + r, left + c, int(ring != 2 and ring != 4))
    for i in range(8, size - 8):
        put(6, i, int(i % 2 == 0))
        put(i, 6, int(i % 2 == 0))
    centres = ALIGNMENT[version]
    corners = {(centres[0], centres[0]), (centres[0], centres[-1]),
               (centres[-1], centres[0])} if centres else set()
    for r in centres:
        for c in centres:
            if (r, c) in corners:
                continue  # it would overlap a finder
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    put(r + dr, c + dc, int(max(abs(dr), abs(dc)) != 1))
    for i in range(9):  # the format areas, filled after masking
        for r, c in ((8, i), (i, 8)):
            if not fixed[r][c]:
                put(r, c, 0)
    for i in range(8):
        put(8, size - 1 - i, 0)
        put(size - 1 - i, 8, 0)
    put(size - 8, 8, 1)  # the dark module, beside the second copy of the format bits
    if version >= 7:
        bits = version_bits(version)
        for i in range(18):
            dark = (bits >> i) & 1
            put(i // 3, size - 11 + i % 3, dark)
            put(size - 11 + i % 3, i // 3, dark)
    return grid, fixed


def _place(grid: Matrix, fixed: Matrix, data: list[int]) -> None:
    size = len(grid)
    bits = [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]
    index, upward, col = 0, True, size - 1
    while col > 0:
        if col == 6:
            col -= 1  # the vertical timing pattern
        rows = range(size - 1, -1, -1) if upward else range(size)
        for r in rows:
            for c in (col, col - 1):
                if not fixed[r][c]:
                    grid[r][c] = bits[index] if index < len(bits) else 0
                    index += 1
        upward = not upward
        col -= 2


def _with_format(grid: Matrix, mask: int) -> None:
    size, bits = len(grid), format_bits(mask)
    first = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8), (5, 8),
             (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)]
    second = [(size - 1 - i, 8) for i in range(7)] + [(8, size - 8 + i) for i in range(8)]
    for i in range(15):
        dark = (bits >> (14 - i)) & 1
        for r, c in (first[i], second[i]):
            grid[r][c] = dark


def penalty(grid: Matrix) -> int:
    """The standard penalty (runs, 2x2 blocks, finder-like patterns, dark balance)."""
    size, score = len(grid), 0
    lines = grid + [list(col) for col in zip(*grid, strict=True)]
    for line in lines:
        run, last = 0, -1
        for module in line:
            run = run + 1 if module == last else 1
            last = module
            if run == 5:
                score += 3
            elif run > 5:
                score += 1
        for i in range(size - 6):  # 1:1:3:1:1 with four light modules (or the edge) beside
            if line[i:i + 7] == FINDER_LIKE and not (any(line[max(0, i - 4):i])
                                                     and any(line[i + 7:i + 11])):
                score += 40
    for r in range(size - 1):
        for c in range(size - 1):
            if grid[r][c] == grid[r][c + 1] == grid[r + 1][c] == grid[r + 1][c + 1]:
                score += 3
    dark = sum(map(sum, grid))
    score += 10 * (abs(dark * 20 - size * size * 10) // (size * size))
    return score


def encode(text: str, *, mask: int | None = None, version: int | None = None) -> Matrix:
    """The QR matrix (1 = dark) of `text` as UTF-8 bytes."""
    payload = text.encode("utf-8")
    version = version or choose_version(payload)
    base, fixed = _function_patterns(version)
    _place(base, fixed, codewords(payload, version))
    best: tuple[int, Matrix] | None = None
    for candidate in range(8) if mask is None else (mask,):
        grid = [[v ^ int(not fixed[r][c] and MASKS[candidate](r, c))
                 for c, v in enumerate(row)] for r, row in enumerate(base)]
        _with_format(grid, candidate)
        score = penalty(grid) if mask is None else 0
        if best is None or score < best[0]:
            best = (score, grid)
    assert best is not None
    return best[1]


@lru_cache(maxsize=256)
def svg(text: str, *, module: int = 4, quiet: int = 4) -> str:
    """The QR code of `text` as an SVG document (dark modules as one path)."""
    grid = encode(text)
    size = (len(grid) + 2 * quiet) * module
    path = "".join(f"M{(c + quiet) * module} {(r + quiet) * module}h{module}v{module}"
                   f"h-{module}z" for r, row in enumerate(grid) for c, v in enumerate(row) if v)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" '
            f'aria-label="QR code"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{path}"/></svg>')
