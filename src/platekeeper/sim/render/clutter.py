"""Text that is not a plate: shop boards, billboards, road signs, street-name
plaques, route numbers. Real roadside frames are full of it, and a plate
detector trained only on plates over plain backgrounds fires on every one, so
scenes scatter these around (some deliberately plate-like: black on white in
a plate face)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from platekeeper.sim.render.font import CONDENSED, DIN, FE, GOST, FontLook, glyph_mask

Generator = np.random.Generator
Image = NDArray[np.uint8]

WORDS = (
    "DORIXONA",
    "APTEKA",
    "MAGAZIN",
    "OZIQ-OVQAT",
    "BANK",
    "KAFE",
    "RESTORAN",
    "AVTO SERVIS",
    "SHINOMONTAJ",
    "TAXI",
    "BOZOR",
    "MEHMONXONA",
    "HOTEL",
    "SALE",
    "OPEN",
    "STOP",
    "AMIR TEMUR",
    "MUSTAQILLIK",
    "CHILONZOR",
    "YUNUSOBOD",
    "TOSHKENT",
    "SAMARQAND",
    "BUXORO",
    "BEELINE",
    "UCELL",
    "UZMOBILE",
    "PAYME",
    "CLICK",
    "KAPITALBANK",
    "HAMKORBANK",
    "ARTEL",
    "CHEVROLET",
    "SPARK",
    "NEXIA",
    "COBALT",
    "GENTRA",
    "DAMAS",
    "LACETTI",
    "MALIBU",
    "ISUZU",
    "TOYOTA",
    "PARKING",
    "METRO",
    "EXIT",
    "MARKET",
    "PHARMACY",
    "DIESEL",
    "PROPAN",
    "METAN",
    "AI-92",
    "SUPERMARKET",
    "KORZINKA",
    "MAKRO",
    "HAVAS",
    "ATM",
    "24/7",
    "CARGO",
    "EXPRESS",
    "BUS",
)
_INKS: tuple[tuple[int, int, int], ...] = (
    (255, 255, 255),
    (20, 20, 20),
    (0, 200, 255),
    (40, 40, 200),
    (160, 60, 10),
)
_BOARDS: tuple[tuple[int, int, int], ...] = (
    (160, 60, 10),
    (40, 40, 200),
    (40, 140, 40),
    (20, 20, 20),
    (240, 240, 240),
    (0, 190, 250),
    (120, 30, 120),
    (200, 120, 0),
    (60, 60, 60),
)


def phone(rng: Generator) -> str:
    """A phone-number-looking string (digits in groups, like plates)."""
    if rng.random() < 0.5:
        a, b, c, d = (
            rng.integers(33, 100),
            rng.integers(100, 1000),
            rng.integers(10, 100),
            rng.integers(10, 100),
        )
        return f"+998 {a} {b} {c} {d}"
    a, b, c, d = (
        rng.integers(70, 80),
        rng.integers(200, 300),
        rng.integers(10, 100),
        rng.integers(10, 100),
    )
    return f"({a}) {b}-{c}-{d}"


def alnum(rng: Generator) -> str:
    """A short plate-like code: house numbers, route numbers, prices, codes."""
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return f"{rng.integers(1, 200)}{'ABV'[int(rng.integers(0, 3))]}"
    if kind == 1:
        series = "".join("ABCEHKMPTX"[int(i)] for i in rng.integers(0, 10, 2))
        return f"{rng.integers(10, 99)} {series} {rng.integers(100, 999)}"
    if kind == 2:
        return f"{rng.integers(1000, 99999):,}".replace(",", " ")
    return f"No {rng.integers(1, 150)}"


def word(rng: Generator) -> str:
    """One sign word."""
    return WORDS[int(rng.integers(0, len(WORDS)))]


def _blend(
    img: Image, cover: NDArray[np.uint8], x: int, y: int, color: tuple[int, int, int]
) -> None:
    h, w = cover.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(img.shape[1], x + w), min(img.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = cover[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)[..., None] / 255.0
    region = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (region + (np.asarray(color, np.float32) - region) * a).astype(np.uint8)


def stroke_text(
    img: Image,
    text: str,
    x: float,
    y: float,
    h: float,
    color: tuple[int, int, int],
    look: FontLook = DIN,
    max_w: float | None = None,
) -> float:
    """Upper-case text in the plate typeface (top-left at x, y); returns its width."""
    text = "".join(
        ch if ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ- " else " " for ch in text.upper()
    )
    hp = max(4, round(h))
    gap = hp * 0.12
    widths = [look.width(ch) * hp if ch != " " else hp * 0.35 for ch in text]
    total = sum(widths) + gap * max(0, len(text) - 1)
    squeeze = min(1.0, max_w / total) if max_w and total > 0 else 1.0
    cx = x
    for ch, w in zip(text, widths, strict=True):
        gw = max(1, round(w * squeeze))
        if ch != " ":
            _blend(img, glyph_mask(ch, look, hp, gw), round(cx), round(y), color)
        cx += gw + gap * squeeze
    return cx - x


def hershey_text(
    img: Image,
    text: str,
    x: float,
    y: float,
    h: float,
    color: tuple[int, int, int],
    font: int = cv2.FONT_HERSHEY_DUPLEX,
    max_w: float | None = None,
) -> None:
    """Mixed-case text in a Hershey face (top-left at x, y)."""
    if h < 4:
        return
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = h / max(th, 1)
    if max_w and tw * scale > max_w:
        scale = max_w / tw
    thick = max(1, round(h * scale / scale * 0.08))
    cv2.putText(
        img, text, (round(x), round(y + th * scale)), font, scale, color, thick, cv2.LINE_AA
    )


def draw_sign(img: Image, rng: Generator, x: int, y: int, w: int, h: int) -> None:
    """One sign board of a random kind filling the box (x, y, w, h)."""
    if w < 8 or h < 6:
        return
    kind = rng.random()
    x1, y1 = x + w, y + h
    if kind < 0.3:
        # Shop board: coloured panel, one big word, sometimes a phone line.
        board = _BOARDS[int(rng.integers(0, len(_BOARDS)))]
        ink = _INKS[int(rng.integers(0, len(_INKS)))]
        if ink == board:
            ink = (255, 255, 255) if sum(board) < 380 else (20, 20, 20)
        cv2.rectangle(img, (x, y), (x1, y1), board, -1)
        lines = 2 if rng.random() < 0.4 else 1
        th = h * (0.55 if lines == 1 else 0.4)
        look = (DIN, FE, CONDENSED, GOST)[int(rng.integers(0, 4))]
        stroke_text(img, word(rng), x + w * 0.06, y + h * 0.1, th, ink, look, max_w=w * 0.88)
        if lines == 2:
            hershey_text(img, phone(rng), x + w * 0.06, y + h * 0.6, h * 0.25, ink, max_w=w * 0.88)
    elif kind < 0.5:
        # Plate-like plaque: black on white with a border (street names, house numbers).
        cv2.rectangle(img, (x, y), (x1, y1), (235, 235, 232), -1)
        cv2.rectangle(img, (x, y), (x1, y1), (30, 30, 30), max(1, h // 14))
        text = alnum(rng) if rng.random() < 0.6 else word(rng)
        stroke_text(
            img,
            text,
            x + w * 0.08,
            y + h * 0.2,
            h * 0.6,
            (25, 25, 25),
            (DIN, FE, GOST)[int(rng.integers(0, 3))],
            max_w=w * 0.84,
        )
    elif kind < 0.7:
        # Direction sign: blue or green, white lines of text and an arrow.
        board = (150, 80, 0) if rng.random() < 0.5 else (60, 120, 0)
        cv2.rectangle(img, (x, y), (x1, y1), board, -1)
        cv2.rectangle(img, (x + 2, y + 2), (x1 - 2, y1 - 2), (240, 240, 240), max(1, h // 30))
        n = int(rng.integers(1, 4))
        for i in range(n):
            line = f"{word(rng).title()} {rng.integers(2, 400)} km"
            hershey_text(
                img,
                line,
                x + w * 0.08,
                y + h * (0.12 + 0.8 * i / n),
                h * 0.5 / n,
                (245, 245, 245),
                max_w=w * 0.84,
            )
    elif kind < 0.82:
        # Speed-limit or route-number disc.
        r = min(w, h) // 2
        cx, cy = x + w // 2, y + h // 2
        cv2.circle(img, (cx, cy), r, (40, 40, 210), -1, cv2.LINE_AA)
        cv2.circle(img, (cx, cy), int(r * 0.78), (245, 245, 245), -1, cv2.LINE_AA)
        num = str(int(rng.choice([20, 40, 50, 60, 70, 80, 90, 100])))
        stroke_text(
            img, num, cx - r * 0.55, cy - r * 0.45, r * 0.9, (20, 20, 20), DIN, max_w=r * 1.1
        )
    else:
        # Billboard: picture-like blocks, a headline and a phone number.
        for _ in range(int(rng.integers(3, 7))):
            bx0, by0 = int(rng.integers(x, x1)), int(rng.integers(y, y1))
            bx1, by1 = int(rng.integers(bx0, x1 + 1)), int(rng.integers(by0, y1 + 1))
            col = tuple(int(v) for v in rng.integers(0, 256, 3))
            cv2.rectangle(img, (bx0, by0), (bx1, by1), col, -1)
        ink = _INKS[int(rng.integers(0, len(_INKS)))]
        stroke_text(
            img,
            word(rng),
            x + w * 0.05,
            y + h * 0.08,
            h * 0.3,
            ink,
            (DIN, FE)[int(rng.integers(0, 2))],
            max_w=w * 0.9,
        )
        hershey_text(img, phone(rng), x + w * 0.05, y + h * 0.7, h * 0.18, ink, max_w=w * 0.9)
