"""Any Unicode label draws: event names in Japanese or Korean, fab names, scenario labels.

Matplotlib draws a character its font lacks as an empty box and warns once per character (a
figure of Japanese event names printed ~360 warnings). So: where the machine has a font with CJK
glyphs (Noto Sans CJK, Source Han Sans, Nanum, IPA, WenQuanYi, ...), it is put behind DejaVu Sans
in the font family (matplotlib falls back glyph by glyph); where it has none, every text of a
figure is checked before saving, each run of characters no font can draw becomes "?", and one
warning says which font to install. No figure shows a box, and the log holds one line.
"""
from __future__ import annotations

import functools
import logging
import re
from typing import FrozenSet, List

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

log = logging.getLogger(__name__)
BASE_FONT = "DejaVu Sans"
CJK_HINTS = ("CJK", "Source Han", "Nanum", "IPAGothic", "IPAexGothic", "IPAPGothic", "WenQuanYi",
             "Droid Sans Fallback", "Noto Sans JP", "Noto Sans KR", "Noto Sans SC", "Unifont")
MISSING = "?"
_warned = False


@functools.lru_cache(maxsize=1)
def fallback_fonts() -> List[str]:
    """Installed font families with CJK glyphs, best first."""
    names = []
    for entry in font_manager.fontManager.ttflist:
        if any(h.lower() in entry.name.lower() for h in CJK_HINTS) and entry.name not in names:
            names.append(entry.name)
    return names


def font_family() -> List[str]:
    return [BASE_FONT, *fallback_fonts()]


@functools.lru_cache(maxsize=1)
def drawable() -> FrozenSet[int]:
    """Code points some font of the family can draw."""
    points = set()
    for family in font_family():
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family),
                                         fallback_to_default=False)
            points |= set(FT2Font(path).get_charmap())
        except (ValueError, RuntimeError, OSError):
            continue
    return frozenset(points)


def clean(text: str) -> str:
    """`text` with each run of characters no installed font draws replaced by "?"."""
    if text.isascii():
        return text
    ok = drawable()
    out = re.sub(r"[^\x00-\x7f]+", lambda m: "".join(
        c if ord(c) in ok or c.isspace() else "\0" for c in m.group()), text)
    if "\0" not in out:
        return text
    global _warned
    if not _warned:
        _warned = True
        log.warning("figures: no installed font draws some labels (e.g. %r); they are shown with "
                    "'?'. Install a font with CJK glyphs (Debian: fonts-noto-cjk) to draw them.",
                    text[:40])
    return re.sub("\0+", MISSING, out)


def _texts(artist):
    """Every Text under `artist`, without materialising tick objects: an Axis gives its label and
    offset text, and its tick labels are cleaned at their source (_clean_ticks). Walking an Axis's
    children would create every tick before the draw does (matplotlib.artist.findobj did: 15 % of
    the time a run spends on figures, benchmarks/benchmark.py --users)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    if isinstance(artist, Text):
        yield artist
    if isinstance(artist, Axis):
        yield artist.label
        yield artist.offsetText
        return
    for child in artist.get_children():
        yield from _texts(child)


def _clean_ticks(axis) -> None:
    """Tick labels made drawable at their source: the formatters that write strings (labels set
    with set_ticks/set_ticklabels, categories plotted as strings, a function), and the tick
    objects already made (set_ticklabels makes them); other formatters write numbers and dates."""
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FuncFormatter
    for which, formatter in (("major", axis.get_major_formatter()), ("minor", axis.get_minor_formatter())):
        if isinstance(formatter, FixedFormatter):
            formatter.seq = [clean(str(s)) for s in formatter.seq]
        elif isinstance(formatter, FuncFormatter):
            formatter.func = functools.partial(_cleaned, formatter.func)
        elif isinstance(formatter, StrCategoryFormatter):
            cleaned = StrCategoryFormatter({clean(k): v for k, v in formatter._units.items()})
            getattr(axis, f"set_{which}_formatter")(cleaned)
    for ticks in ("majorTicks", "minorTicks"):
        for tick in axis.__dict__.get(ticks, ()):  # only ticks that exist: none are made here
            for text in (tick.label1, tick.label2):
                if not text.get_text().isascii():
                    text.set_text(clean(text.get_text()))


def _cleaned(func, x, pos=None) -> str:
    return clean(str(func(x, pos)))


def make_drawable(fig) -> None:
    """Every text of `fig` (titles, labels, legends, annotations, ticks) made drawable."""
    from matplotlib.axis import Axis
    for t in _texts(fig):
        s = t.get_text()
        if s and not s.isascii():
            c = clean(s)
            if c != s:
                t.set_text(c)
    for ax in fig.get_axes():
        for axis in ax._axis_map.values():
            if isinstance(axis, Axis):
                _clean_ticks(axis)
