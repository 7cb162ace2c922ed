"""Build the PDF font chain from npm packages: `python -m fengqiao.mediation.fontbuild
NODE_MODULES OUT_DIR` (run by `make setup`; no system font package is needed).

The packages ship web fonts sliced by Unicode block (WOFF2, TrueType `glyf` outlines); each
family is merged back into one TrueType file with fontTools' public merger, which reportlab can
embed:

- NotoSerifSC-Regular.ttf  Noto Serif SC 400 (@fontsource/noto-serif-sc): the Chinese face
  for the common characters;
- HanaMinA.ttf             HanaMinA (hanamin): the BMP, i.e. the whole of the CJK Unified
  Ideographs, Extension A, compatibility ideographs, punctuation;
- HanaMinB.ttf             HanaMinB (hanamin): CJK Extensions B, C, D, E and F.

Each file is written under a temporary name and renamed when complete, so a half-built font is
never used; a family already built from the same slices (names and sizes, recorded next to it
in NAME.source) is left as it is.
"""

import glob
import os
import sys
import time

# Layout and vertical tables: reportlab draws glyphs by character map and advance width only,
# and merging the slices' layout tables is slow and pointless.
DROPPED = ["GSUB", "GPOS", "GDEF", "BASE", "STAT", "JSTF", "MATH", "vhea", "vmtx", "VORG"]

# (output file, slice pattern under node_modules, slices left out, a character it must map)
FAMILIES = (
    (
        "NotoSerifSC-Regular.ttf",
        "@fontsource/noto-serif-sc/files/noto-serif-sc-*-400-normal.woff2",
        (),
        "王",
    ),
    ("HanaMinA.ttf", "hanamin/HanaMinA.*.woff2", ("Private-Use-Area",), "\u3400"),
    ("HanaMinB.ttf", "hanamin/HanaMinB.*.woff2", (), "\U00020bb7"),
)
# Names set on the merged file (family, full name, PostScript name): the web-font slices of
# Noto Serif SC 400 carry the names of the instance they were cut from ("ExtraLight"), which
# would be the font's name in every PDF.
NAMES = {"NotoSerifSC-Regular.ttf": {1: "Noto Serif SC", 4: "Noto Serif SC Regular",
                                      6: "NotoSerifSC-Regular"}}  # fmt: skip


def build_family(slices: list[str], out: str, must_map: str) -> str:
    from fontTools.merge import Merger, Options

    font = Merger(options=Options(drop_tables=DROPPED)).merge(slices)
    font.flavor = None  # WOFF2 -> plain TrueType (sfnt)
    names = NAMES.get(os.path.basename(out), {})
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    if "glyf" not in font:
        raise SystemExit(f"{out}: the slices have no TrueType outlines")
    if ord(must_map) not in font.getBestCmap():
        raise SystemExit(f"{out}: U+{ord(must_map):04X} is missing from the merged font")
    tmp = out + ".tmp"
    font.save(tmp)
    os.replace(tmp, out)
    return f"{len(font.getBestCmap())} characters, {font['maxp'].numGlyphs} glyphs"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} NODE_MODULES OUT_DIR", file=sys.stderr)
        return 2
    node_modules, out_dir = argv[1], argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for name, pattern, left_out, must_map in FAMILIES:
        slices = sorted(
            p
            for p in glob.glob(os.path.join(node_modules, pattern))
            if not any(word in os.path.basename(p) for word in left_out)
        )
        if not slices:
            print(f"no slices match {pattern} under {node_modules}: run npm ci", file=sys.stderr)
            return 1
        out = os.path.join(out_dir, name)
        source = "".join(f"{os.path.basename(p)} {os.path.getsize(p)}\n" for p in slices)
        if os.path.exists(out) and _read(out + ".source") == source:
            continue
        started = time.monotonic()
        summary = build_family(slices, out, must_map)
        with open(out + ".source", "w", encoding="utf-8") as fh:
            fh.write(source)
        print(f"{out}: {len(slices)} slices, {summary}, {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
