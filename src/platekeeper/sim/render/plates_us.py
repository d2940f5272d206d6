"""United States plates (12 x 6 in, 305 x 152 mm): many looks. A state name
line at the top and a slogan at the bottom in smaller type, coloured
characters, white, tinted, gradient or picture-like backgrounds, emblems
between groups, registration stickers, small stacked letters, bolt holes and
dealer frames that cover the edges. The looks are in the manner of real state
plates, not copies of any."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from platekeeper.sim.render import decor
from platekeeper.sim.render.decor import WHITE
from platekeeper.sim.render.font import CONDENSED, US_BLOCK, FontLook
from platekeeper.sim.render.plate_canvas import Color, PlateCanvas
from platekeeper.sim.render.plates_cis import sheet
from platekeeper.sim.render.raster import fill, vertical_gradient

Generator = np.random.Generator

NAVY: Color = (110, 40, 15)
MAROON: Color = (40, 30, 120)
DARK_GREEN: Color = (50, 100, 20)
RED: Color = (40, 30, 200)
BLACK: Color = (25, 25, 25)
ORANGE: Color = (20, 130, 245)


@dataclass(frozen=True)
class StateLook:
    """The elements of one state's plate design."""

    name: str
    name_font: str
    name_color: Color
    slogan: str
    ink: Color
    background: str  # white | tint | gradient | picture
    bg_colors: tuple[Color, Color]
    separator: str  # none | space | dash | emblem


_STATES: dict[str, StateLook] = {
    "ca": StateLook(
        "California",
        "script_bold",
        RED,
        "dmv.ca.gov",
        NAVY,
        "white",
        ((248, 248, 246), (248, 248, 246)),
        "none",
    ),
    "tx": StateLook(
        "TEXAS",
        "duplex",
        BLACK,
        "THE LONE STAR STATE",
        BLACK,
        "gradient",
        ((235, 225, 215), (250, 250, 250)),
        "emblem",
    ),
    "ny": StateLook(
        "NEW YORK",
        "duplex",
        NAVY,
        "EXCELSIOR",
        NAVY,
        "gradient",
        ((250, 250, 250), (90, 190, 245)),
        "dash",
    ),
    "fl": StateLook(
        "MYFLORIDA.COM",
        "duplex",
        DARK_GREEN,
        "Sunshine State",
        DARK_GREEN,
        "white",
        ((246, 246, 244), (246, 246, 244)),
        "emblem",
    ),
    "il": StateLook(
        "Illinois",
        "script_bold",
        RED,
        "LAND OF LINCOLN",
        MAROON,
        "picture",
        ((250, 250, 250), (225, 215, 205)),
        "space",
    ),
    "pa": StateLook(
        "PENNSYLVANIA",
        "duplex",
        WHITE,
        "visitPA.com",
        NAVY,
        "tint",
        ((246, 246, 244), (246, 246, 244)),
        "emblem",
    ),
    "oh": StateLook(
        "OHIO",
        "duplex",
        NAVY,
        "BIRTHPLACE OF AVIATION",
        BLACK,
        "picture",
        ((245, 230, 215), (200, 230, 240)),
        "dash",
    ),
    "az": StateLook(
        "ARIZONA",
        "duplex",
        NAVY,
        "GRAND CANYON STATE",
        MAROON,
        "picture",
        ((250, 245, 235), (70, 140, 235)),
        "space",
    ),
    "wa": StateLook(
        "Washington",
        "script",
        NAVY,
        "EVERGREEN STATE",
        NAVY,
        "picture",
        ((250, 245, 240), (215, 205, 190)),
        "space",
    ),
    "ga": StateLook(
        "GEORGIA",
        "triplex",
        BLACK,
        "IN GOD WE TRUST",
        BLACK,
        "white",
        ((246, 246, 244), (246, 246, 244)),
        "emblem",
    ),
}

_STATE_NAMES = [
    "ALABAMA",
    "ALASKA",
    "COLORADO",
    "CONNECTICUT",
    "DELAWARE",
    "IDAHO",
    "INDIANA",
    "IOWA",
    "KANSAS",
    "KENTUCKY",
    "LOUISIANA",
    "MAINE",
    "MARYLAND",
    "MICHIGAN",
    "MINNESOTA",
    "MISSOURI",
    "MONTANA",
    "NEBRASKA",
    "NEVADA",
    "OKLAHOMA",
    "OREGON",
    "TENNESSEE",
    "UTAH",
    "VERMONT",
    "VIRGINIA",
    "WISCONSIN",
    "WYOMING",
]
_SLOGANS = (
    "Heart of Dixie",
    "The Last Frontier",
    "Colorful",
    "Constitution State",
    "First State",
    "Famous Potatoes",
    "Crossroads of America",
    "Sportsman's Paradise",
    "Vacationland",
    "Great Lakes",
    "10,000 Lakes",
    "Show-Me State",
    "Big Sky Country",
    "The Good Life",
    "Silver State",
    "Native America",
    "Pacific Wonderland",
    "Volunteer State",
    "Life Elevated",
    "Green Mountains",
    "America's Dairyland",
    "Forever West",
)
_DEALERS = (
    "CITY MOTORS",
    "SMITH AUTO GROUP",
    "TOYOTA OF METRO",
    "HONDA WORLD",
    "AUTONATION",
    "DEALER SALES",
    "PREMIER FORD",
    "VALLEY CHEVROLET",
    "CARMAX",
    "SUN NISSAN",
)
_INKS = (NAVY, BLACK, MAROON, DARK_GREEN, RED, (90, 50, 20), (20, 20, 90))


def _random_look(rng: Generator) -> StateLook:
    name = _STATE_NAMES[int(rng.integers(0, len(_STATE_NAMES)))]
    font = ["duplex", "triplex", "complex", "script_bold", "simplex"][int(rng.integers(0, 5))]
    display = name.title() if font.startswith("script") else name
    ink = _INKS[int(rng.integers(0, len(_INKS)))]
    bg_kind = ["white", "tint", "gradient", "picture"][int(rng.integers(0, 4))]
    c1 = tuple(float(v) for v in rng.uniform(215, 252, 3))
    c2 = tuple(float(v) for v in rng.uniform(120, 250, 3))
    return StateLook(
        display,
        font,
        _INKS[int(rng.integers(0, len(_INKS)))],
        _SLOGANS[int(rng.integers(0, len(_SLOGANS)))],
        ink,
        bg_kind,
        (c1, c2),  # type: ignore[arg-type]
        ["none", "space", "dash", "emblem"][int(rng.integers(0, 4))],
    )


def _background(c: PlateCanvas, look: StateLook, rng: Generator) -> None:
    top, bottom = look.bg_colors
    if look.background in ("gradient", "picture"):
        c.img[:] = vertical_gradient(c.h, c.w, top, bottom, np.float32)
    if look.background == "tint":
        fill(c.img, sheet(rng, (235, 238, 240), 10))
    if look.background == "picture":
        # Pale scenery: ridges of hills or mountains and a sun, under the text.
        for layer in range(int(rng.integers(1, 4))):
            base = rng.uniform(80, 140)
            xs = np.linspace(-5, 310, 14)
            ys = base - rng.uniform(0, 45, xs.size) * (0.6 if layer else 1.0)
            pts = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)] + [
                (310.0, 155.0),
                (-5.0, 155.0),
            ]
            c0, c1, c2 = (float(v) for v in rng.uniform(90, 220, 3))
            col = (c0, c1, c2)
            c.shape(pts, col, opacity=float(rng.uniform(0.25, 0.5)))
        if rng.random() < 0.5:
            c.ellipse(rng.uniform(40, 260), rng.uniform(40, 70), 22, 22, (90, 200, 250), relief=0.0)


def _split(text: str, sep: str) -> list[str]:
    if sep == "none":
        return [text]
    m = re.match(r"^([A-Z]+|[0-9]+)(.+)$", text)
    if m is None or len(text) < 5:
        return [text]
    return [m.group(1), m.group(2)]


def _emblem(c: PlateCanvas, rng: Generator, x: float, y: float, size: float, color: Color) -> None:
    kind = int(rng.integers(0, 3))
    if kind == 0:
        c.shape(decor.star_points(x, y, size * 0.5), color)
    elif kind == 1:
        c.ellipse(x, y, size * 0.42, size * 0.42, ORANGE)
        c.ellipse(x + size * 0.15, y - size * 0.4, size * 0.15, size * 0.08, DARK_GREEN)
    else:
        c.shape(
            [
                (x - size * 0.4, y - size * 0.45),
                (x + size * 0.4, y - size * 0.45),
                (x + size * 0.3, y + size * 0.45),
                (x - size * 0.3, y + size * 0.45),
            ],
            color,
        )


def draw_us(
    fmt: str, fields: tuple[str, ...], two_line: bool, rng: Generator, s: float
) -> PlateCanvas:
    """A US passenger plate in the manner of ``fmt``'s state (random for generic)."""
    state = fmt.removeprefix("us_")
    look = _STATES[state] if state in _STATES and rng.random() < 0.85 else _random_look(rng)
    text = fields[0]
    c = PlateCanvas(305, 152, s, look.bg_colors[0], corner_mm=rng.uniform(6, 12))
    _background(c, look, rng)
    c.emboss = float(rng.uniform(0.3, 1.2)) if rng.random() < 0.7 else 0.0
    if look.name == "PENNSYLVANIA":
        c.rect(0, 0, 305, 30, NAVY)
        c.rect(0, 132, 305, 20, (40, 190, 240))
    if rng.random() < 0.4:
        c.border(1.0, 1.5, 9.0, look.ink, relief=0.5)
    # The top line: state name (sometimes moved to the bottom).
    name_h = float(rng.uniform(14, 22)) * (1.3 if look.name_font.startswith("script") else 1.0)
    c.label(
        look.name,
        152,
        8 + (22 - name_h) / 2,
        name_h,
        look.name_color,
        font=look.name_font,
        max_w_mm=230,
        relief=0.3,
    )
    c.label(
        look.slogan,
        152,
        134,
        float(rng.uniform(8, 12)),
        look.name_color if rng.random() < 0.5 else look.ink,
        font="duplex",
        max_w_mm=220,
    )
    char_font: FontLook = US_BLOCK if rng.random() < 0.75 else CONDENSED
    h = float(rng.uniform(64, 76))
    w = h * float(rng.uniform(0.46, 0.56))
    groups = _split(text, look.separator)
    x0, x1 = 22.0, 283.0
    if rng.random() < 0.2:
        # Small stacked letters at the left (plate type / county codes): decoration.
        pair = "".join(decor_letters(rng, 2))
        c.text(pair[0], 16, 50, 24, char_font, look.ink, cell=False, record=False)
        c.text(pair[1], 16, 80, 24, char_font, look.ink, cell=False, record=False)
        x0 = 36.0
    base = 40 + h
    if len(groups) == 2 and look.separator in ("dash", "emblem", "space"):
        gap = 22.0 if look.separator != "space" else 12.0
        w0 = c.text_width(groups[0], char_font, h, w_mm=w, gap_mm=3)
        w1 = c.text_width(groups[1], char_font, h, w_mm=w, gap_mm=3)
        squeeze = min(1.0, (x1 - x0) / (w0 + w1 + gap))
        total = (w0 + w1 + gap) * squeeze
        x = x0 + ((x1 - x0) - total) / 2
        c.text(groups[0], x, base - h, h, char_font, look.ink, w_mm=w * squeeze, gap_mm=3 * squeeze)
        mid = x + (w0 + gap / 2) * squeeze
        if look.separator == "dash":
            c.rect(mid - 5, base - h / 2 - 2.5, 10, 5, look.ink, relief=1.0)
        elif look.separator == "emblem":
            _emblem(c, rng, mid, base - h / 2, 20 * squeeze, look.ink)
        c.text(
            groups[1],
            x + (w0 + gap) * squeeze,
            base - h,
            h,
            char_font,
            look.ink,
            w_mm=w * squeeze,
            gap_mm=3 * squeeze,
        )
    else:
        c.groups([(text, h, w)], x0, x1, base, char_font, look.ink, gap_mm=3)
    _stickers(c, rng)
    for bx in (63.0, 241.0):
        decor.bolt(c, rng, bx, 14, 3.5, plate=look.bg_colors[0])
        if rng.random() < 0.3:
            decor.bolt(c, rng, bx, 138, 3.5, plate=look.bg_colors[1])
    if rng.random() < 0.45:
        _frame(c, rng)
    return c


def decor_letters(rng: Generator, n: int) -> list[str]:
    """Letters for decoration that is not part of the plate text."""
    return [str("ABCDEFGHKLMNPRSTVX"[int(rng.integers(0, 18))]) for _ in range(n)]


def _stickers(c: PlateCanvas, rng: Generator) -> None:
    """Registration month/year stickers in the corners."""
    colours = [
        (40, 200, 250),
        (60, 60, 230),
        (200, 120, 40),
        (60, 180, 60),
        (220, 220, 220),
        (160, 60, 160),
    ]
    for corner in range(int(rng.integers(0, 3))):
        col = colours[int(rng.integers(0, len(colours)))]
        x = 10.0 if corner == 0 else 255.0
        y = float(rng.choice([6.0, 118.0]))
        c.rect(x, y, 40, 26, col, radius=2)
        c.label(
            f"{int(rng.integers(20, 30))}", x + 20, y + 6, 14, BLACK, font="simplex", weight=1.5
        )


def _frame(c: PlateCanvas, rng: Generator) -> None:
    """A dealer frame: a band round the edge, thicker at the bottom, with text."""
    chrome = rng.random() < 0.4
    col: Color = (185, 185, 190) if chrome else (22, 22, 24)
    top = float(rng.uniform(3, 9))
    side = float(rng.uniform(3, 8))
    bottom = float(rng.uniform(14, 24))
    c.rect(0, 0, 305, top, col)
    c.rect(0, 0, side, 152, col)
    c.rect(305 - side, 0, side, 152, col)
    c.rect(0, 152 - bottom, 305, bottom, col)
    dealer = _DEALERS[int(rng.integers(0, len(_DEALERS)))]
    text_col: Color = (30, 30, 30) if chrome else (235, 235, 235)
    c.label(
        dealer,
        152,
        152 - bottom + bottom * 0.25,
        bottom * 0.5,
        text_col,
        font="duplex",
        max_w_mm=240,
    )
