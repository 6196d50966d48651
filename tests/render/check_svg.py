#!/usr/bin/env python3
"""Checks an SVG chart of memstats as another program would read it.

Usage: check_svg.py FILE.svg EXPECT_JSON
EXPECT_JSON: {"width": W, "height": H, "title": "...", "series": [...],
"note": "no samples" or absent}.

1. xml.etree parses it (well-formed XML); the root is an SVG <svg> with the
   stated width, height and viewBox; its <title> is the expected title (so
   escaping round-trips); there is one polygon.series per expected series,
   in order, with data-series naming it.
2. rsvg-convert renders it to a PNG whose IHDR states the same size, and
   whose pixels are not all alike (decoded here with zlib: no extra
   modules).
Prints what failed and exits 1; exits 0 when all holds.
"""
import json
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("check_svg.py: " + msg)
    sys.exit(1)


def check_xml(path, want):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail(f"not well-formed XML: {e}")
    if root.tag != SVG + "svg":
        fail(f"root is {root.tag}")
    w, h = str(want["width"]), str(want["height"])
    if (root.get("width"), root.get("height")) != (w, h):
        fail(f"size {root.get('width')}x{root.get('height')}, want {w}x{h}")
    if root.get("viewBox") != f"0 0 {w} {h}":
        fail(f"viewBox {root.get('viewBox')}")
    title = root.find(SVG + "title")
    if title is None or (title.text or "") != want["title"]:
        fail(f"title {title.text if title is not None else None!r}, "
             f"want {want['title']!r}")
    polys = [p for p in root.iter(SVG + "polygon")
             if p.get("class") == "series"]
    names = [p.get("data-series") for p in polys]
    if names != want["series"]:
        fail(f"series {names}, want {want['series']}")
    for p in polys:
        if len(p.get("points", "").split()) < 4:
            fail(f"series {p.get('data-series')!r} has too few points")
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    if "note" in want and want["note"] not in texts:
        fail(f"no text {want['note']!r} in {texts}")


def png_pixels(data):
    """(width, height, rows of RGBA bytes) of an 8-bit RGB(A) PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail(f"unexpected PNG format {ihdr}")
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        # The five PNG filters (RFC 2083, 6.3), undone left to right.
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                row[i] = (row[i] + a) & 0xFF
            elif ftype == 2:
                row[i] = (row[i] + b) & 0xFF
            elif ftype == 3:
                row[i] = (row[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                row[i] = (row[i] + pred) & 0xFF
        rows.append(bytes(row))
        prev = row
    return width, height, bpp, rows


def check_png(path, want):
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        r = subprocess.run(["rsvg-convert", "-f", "png", "-o", png.name, path],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            fail(f"rsvg-convert failed: {r.stderr}")
        width, height, bpp, rows = png_pixels(open(png.name, "rb").read())
    if (width, height) != (want["width"], want["height"]):
        fail(f"PNG is {width}x{height}")
    colours, non_white = set(), 0
    for row in rows:
        for i in range(0, len(row), bpp):
            px = row[i:i + 3]
            colours.add(px)
            non_white += px != b"\xff\xff\xff"
    if len(colours) < 3 or non_white < width * height // 100:
        fail(f"PNG looks blank: {len(colours)} colours, "
             f"{non_white} non-white pixels")
    # An area of each series has its palette colour (blended at 0.85 over
    # white), somewhere; the test passes the colours it expects.
    for hexcolour in want.get("colours", []):
        rgb = bytes(round(int(hexcolour[k:k + 2], 16) * 0.85 + 255 * 0.15)
                    for k in (1, 3, 5))
        if not any(max(abs(x - y) for x, y in zip(rgb, c)) <= 3
                   for c in colours):
            fail(f"no pixel of colour {hexcolour} (~{rgb.hex()})")


def main():
    if len(sys.argv) != 3:
        fail("usage: check_svg.py FILE.svg EXPECT_JSON")
    want = json.loads(sys.argv[2])
    check_xml(sys.argv[1], want)
    check_png(sys.argv[1], want)
    print("check_svg.py: ok")


if __name__ == "__main__":
    main()
