#!/usr/bin/python3
"""Checks that a screenshot is a real picture, for docs/screenshots.sh:

  pngcheck.py FILE WIDTH MIN_HEIGHT MAX_HEIGHT MIN_KIB

FILE must be a PNG exactly WIDTH px wide, MIN_HEIGHT..MAX_HEIGHT px high, at
least MIN_KIB KiB, and not blank: at least 16 distinct colours, and no one
colour on more than 85 % of the pixels. Prints its size and colours.
Decodes 8-bit, non-interlaced PNGs (what Chromium, pngquant and optipng
write) with Python's zlib only.
"""

import os
import struct
import sys
import zlib


def fail(msg):
    sys.exit(f"pngcheck: {msg}")


def chunks(data):
    pos = 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    idat, palette = b"", None
    for kind, body in chunks(data):
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [body[i:i + 3] for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
    if depth != 8 or interlace:
        fail(f"{path}: bit depth {depth}, interlace {interlace}: not decoded here")
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    if ctype == 3:
        pal = palette or []
        px = [pal[v] for row in rows for v in row]
    else:
        px = [row[i:i + bpp] for row in rows for i in range(0, stride, bpp)]
    return w, h, px


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    path = sys.argv[1]
    width, min_h, max_h, min_kib = (int(x) for x in sys.argv[2:])
    if not os.path.isfile(path):
        fail(f"{path} is missing")
    kib = os.path.getsize(path) / 1024
    w, h, px = pixels(path)
    counts = {}
    for p in px:
        counts[p] = counts.get(p, 0) + 1
    top = max(counts.values()) / len(px)
    print(f"pngcheck: {path}: {w}x{h} px, {kib:.0f} KiB, {len(counts)} colours, "
          f"the commonest on {top:.0%} of the pixels")
    if w != width or not min_h <= h <= max_h:
        fail(f"{path} is {w}x{h} px; expected {width} px wide, {min_h} to {max_h} px high")
    if kib < min_kib:
        fail(f"{path} is {kib:.1f} KiB, under {min_kib} KiB")
    if len(counts) < 16 or top > 0.85:
        fail(f"{path} looks blank")


if __name__ == "__main__":
    main()
