# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opens a rendered page in headless Chromium and checks what a reader would see.

  browser_check.py SITE_HTML_DIR SCREENSHOT_PNG              a page of the docs site
  browser_check.py --health REPORT_HTML SCREENSHOT_PNG       the health report (playbooks/health.yml), all green

The docs site's page is kubectl_apply's: the DOM Chromium builds (after the theme's scripts ran) must carry the
module's title and a row for every option its DOCUMENTATION declares, and the screenshot must show the theme's
styles applied (a dark navigation column beside a light page; an unstyled page is white everywhere). The health
report must say "Healthy", list its sections with a row per node, and show the green verdict in the screenshot.
Exits 1 naming what is missing.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from ansible.parsing.plugin_docs import read_docstring

REPO = Path(__file__).resolve().parents[2]
PAGE = 'collections/caas/platform/kubectl_apply_module.html'
MODULE = REPO / 'plugins/modules/kubectl_apply.py'
WIDTH, HEIGHT = 1280, 1600
# The health report's verdict badge when healthy (playbooks/templates/health.html.j2, class ok).
VERDICT_GREEN = (0x1e, 0x7b, 0x34)
# Without these, Chromium reaches for Google's hosts at start, which this closed network refuses.
QUIET = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars')


def chromium(*args: str) -> subprocess.CompletedProcess:
    browser = shutil.which('chromium') or shutil.which('chromium-browser')
    if not browser:
        sys.exit('chromium is not installed (scripts/bootstrap installs the Debian package chromium)')
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *QUIET, f'--user-data-dir={profile}', *args],
                              capture_output=True, text=True, timeout=120, check=True)


def png_rows(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit, non-interlaced RGB(A) PNG."""
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, interlace = header[:4] + header[6:]
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f'unexpected PNG format (depth {depth}, colour type {colour}, interlace {interlace})')
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prior = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride if kind else 0):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prior[i], prior[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        prior = line
    return width, height, bpp, rows


def brightness(rows: list[bytes], bpp: int, left: int, right: int) -> int:
    """Mean brightness (0-255) of the columns left..right over the whole height, every fourth pixel."""
    values = [sum(row[x * bpp:x * bpp + 3]) // 3 for row in rows[::4] for x in range(left, right, 4)]
    return sum(values) // len(values)


def problems(dom: str, shot: bytes) -> list[str]:
    found = []
    doc = read_docstring(str(MODULE))['doc']
    title = 'caas.platform.kubectl_apply module'
    if title not in dom:
        found.append(f'the page has no title "{title}"')
    for option in doc['options']:
        if f'id="parameter-{option}"' not in dom:
            found.append(f'the parameters table has no row for option {option}')
    width, height, bpp, rows = png_rows(shot)
    if (width, height) != (WIDTH, HEIGHT):
        found.append(f'the screenshot is {width}x{height}, not {WIDTH}x{HEIGHT}')
        return found
    # The theme's navigation column is 300 px wide at this window size.
    navigation, page = brightness(rows, bpp, 0, 280), brightness(rows, bpp, 340, WIDTH)
    if navigation > 100 or page < 200:
        found.append(f'the theme looks unapplied: navigation column brightness {navigation} (want dark, <= 100), '
                     f'page {page} (want light, >= 200)')
    return found


def health_problems(dom: str, shot: bytes) -> list[str]:
    found = []
    for text in ('>Healthy<', '<h2>Problems</h2>', '<h2>Nodes</h2>', '<h2>Certificates</h2>', '<h2>etcd</h2>'):
        if text not in dom:
            found.append(f'the report has no {text}')
    if dom.count('<td class="yes">yes</td>') < 1:
        found.append('the report lists no Ready node')
    bpp, rows = png_rows(shot)[2:]
    green = sum(1 for row in rows for x in range(0, len(row), bpp) if tuple(row[x:x + 3]) == VERDICT_GREEN)
    if green < 200:
        found.append(f'the screenshot shows {green} pixels of the green verdict (want 200 or more)')
    return found


def main() -> None:
    health = sys.argv[1:2] == ['--health']
    args = sys.argv[2:] if health else sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    target, shot = Path(args[0]).resolve(), Path(args[1])
    page = target if health else target / PAGE
    url = page.as_uri()
    dom = chromium('--dump-dom', url).stdout
    chromium(f'--window-size={WIDTH},{HEIGHT}', f'--screenshot={shot.resolve()}', url)
    found = health_problems(dom, shot.read_bytes()) if health else problems(dom, shot.read_bytes())
    for problem in found:
        print(f'{page}: {problem}', file=sys.stderr)
    if found:
        sys.exit(1)
    print(f'{page}: checked in Chromium, screenshot {shot}')


if __name__ == '__main__':
    main()
