# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/docsite/browser_check.py's reading of what Chromium returns (the docs step runs it in Chromium itself)."""

from __future__ import annotations

import importlib.util
import struct
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location('browser_check', REPO / 'docs/docsite/browser_check.py')
browser_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_check)


def png(width: int, height: int, pixel, filters=(0,)) -> bytes:
    """An RGB PNG whose rows use the given filter types in turn (each row encoded against the row above)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))

    raw, prior = b'', bytes(width * 3)
    for y in range(height):
        line = bytes(channel for x in range(width) for channel in pixel(x, y))
        kind = filters[y % len(filters)]
        encoded = bytearray(line)
        for i in range(len(line) if kind else 0):
            left = line[i - 3] if i >= 3 else 0
            up, corner = prior[i], prior[i - 3] if i >= 3 else 0
            if kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            else:
                predictor = (0, left, up, (left + up) // 2)[kind]
            encoded[i] = (line[i] - predictor) & 255
        raw += bytes([kind]) + bytes(encoded)
        prior = line
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def gradient(x, y):
    return (x * 7 % 256, y * 13 % 256, (x * y) % 256)


def test_every_filter_type_decodes_to_the_pixels_encoded():
    width, height, bpp, rows = browser_check.png_rows(png(9, 10, gradient, filters=(0, 1, 2, 3, 4)))
    assert (width, height, bpp) == (9, 10, 3)
    assert rows == [bytes(c for x in range(9) for c in gradient(x, y)) for y in range(10)]


def test_an_unstyled_page_without_the_options_is_refused():
    white = png(browser_check.WIDTH, browser_check.HEIGHT, lambda x, y: (255, 255, 255))
    found = browser_check.problems('<html><h1>caas.platform.kubectl_apply module</h1></html>', white)
    assert 'the parameters table has no row for option definition' in found
    assert any(problem.startswith('the theme looks unapplied: navigation column brightness 255') for problem in found)


def test_a_styled_page_with_every_option_passes():
    options = browser_check.read_docstring(str(browser_check.MODULE))['doc']['options']
    dom = 'caas.platform.kubectl_apply module' + ''.join(f'<tr id="parameter-{name}">' for name in options)
    styled = png(browser_check.WIDTH, browser_check.HEIGHT, lambda x, y: (52, 49, 49) if x < 300 else (252,) * 3)
    assert browser_check.problems(dom, styled) == []
