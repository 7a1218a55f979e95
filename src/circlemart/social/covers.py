"""Demo note covers drawn with Pillow, in the styles creators use: text covers (a big bold
headline on a colour or gradient background with stickers, tape and doodles) and flat
illustrations (plates, cups, leaves, suns, bottles, gadgets, clothes).

Everything is deterministic for a given `random.Random`, so the same seed draws the same
covers. Shapes are drawn at twice the size and scaled down, which smooths their edges.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

SCALE = 2
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT_GLOBS = ("*CJK*", "*wqy*", "*Hei*", "*Han*")

INK: Colour = (34, 34, 38)
WHITE: Colour = (255, 255, 255)
RED: Colour = (255, 36, 66)
PALETTES: list[tuple[Colour, Colour, Colour]] = [
    # background top, background bottom, accent
    ((255, 228, 236), (255, 245, 229), (255, 84, 112)),
    ((222, 242, 255), (236, 230, 255), (76, 110, 245)),
    ((226, 247, 232), (255, 250, 222), (46, 160, 98)),
    ((255, 241, 205), (255, 219, 196), (240, 110, 40)),
    ((238, 230, 255), (255, 228, 244), (150, 90, 220)),
    ((255, 250, 240), (246, 236, 220), (190, 120, 70)),
    ((210, 240, 240), (235, 250, 245), (20, 150, 150)),
    ((40, 44, 62), (70, 60, 96), (255, 200, 80)),
]


@cache
def font_path() -> str | None:
    """A font with Chinese glyphs if the machine has one (None: Pillow's built-in font)."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    for root in (Path("/usr/share/fonts"), Path("/usr/local/share/fonts")):
        if not root.is_dir():
            continue
        for pattern in FONT_GLOBS:
            for found in sorted(root.rglob(pattern)):
                if found.suffix.lower() in {".ttc", ".ttf", ".otf"}:
                    return str(found)
    return None


@cache
def font(size: int) -> Font:
    path = font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow: fixed-size bitmap font
        return ImageFont.load_default()


def _is_wide(text: str) -> bool:
    return any(ord(char) > 0x2E80 for char in text)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> list[str]:
    """Lines no wider than `width`: Chinese breaks anywhere, Latin text between words."""
    units = list(text) if _is_wide(text) else text.split(" ")
    joiner = "" if _is_wide(text) else " "
    lines: list[str] = []
    current = ""
    for unit in units:
        trial = f"{current}{joiner}{unit}" if current else unit
        if current and draw.textlength(trial, font=face) > width:
            lines.append(current)
            current = unit
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _fit(
    draw: ImageDraw.ImageDraw, text: str, width: int, start: int, max_lines: int
) -> tuple[Font, list[str]]:
    """The largest size (from `start` down) that fits in `max_lines` without leaving one or
    two lonely characters on the last line."""
    size = start
    while True:
        face = font(size)
        lines = wrap(draw, text, face, width)
        lonely = len(lines) > 1 and _is_wide(text) and len(lines[-1]) <= 2
        if (len(lines) <= max_lines and not lonely) or size <= 24:
            return face, lines[:max_lines]
        size = int(size * 0.9)


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour, diagonal: bool) -> Image.Image:
    # Drawn small and scaled up: a gradient has no detail to lose.
    small = (max(8, size[0] // 16), max(8, size[1] // 16))
    mask = Image.linear_gradient("L").resize(small)
    if diagonal:
        mask = mask.rotate(-30, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    mask = mask.resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _mix(first: Colour, second: Colour, amount: float) -> Colour:
    return (
        int(first[0] + (second[0] - first[0]) * amount),
        int(first[1] + (second[1] - first[1]) * amount),
        int(first[2] + (second[2] - first[2]) * amount),
    )


def _bold_text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, face: Font, fill: Colour
) -> None:
    size = getattr(face, "size", 20)
    draw.text(
        xy, text, font=face, fill=fill, stroke_width=max(1, int(size) // 30), stroke_fill=fill
    )


def _star(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, fill: Colour, points: int = 5
) -> None:
    corners = []
    for index in range(points * 2):
        angle = math.pi / points * index - math.pi / 2
        reach = radius if index % 2 == 0 else radius * 0.45
        corners.append((cx + math.cos(angle) * reach, cy + math.sin(angle) * reach))
    draw.polygon(corners, fill=fill)


def _ellipse_points(
    cx: float, cy: float, rx: float, ry: float, angle: float, steps: int = 40
) -> list[tuple[float, float]]:
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    points = []
    for step in range(steps):
        t = 2 * math.pi * step / steps
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a))
    return points


def _leaf(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, length: float, angle: float, fill: Colour
) -> None:
    points = []
    for step in range(41):
        t = step / 40
        x = (t - 0.5) * length
        y = math.sin(math.pi * t) * length * 0.22
        points.append((x, y))
    points += [(x, -y) for x, y in reversed(points)]
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    draw.polygon(
        [(cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a) for x, y in points], fill=fill
    )
    vein = _mix(fill, WHITE, 0.35)
    half = length * 0.42
    draw.line(
        [(cx - half * cos_a, cy - half * sin_a), (cx + half * cos_a, cy + half * sin_a)],
        fill=vein,
        width=max(2, int(length / 60)),
    )


# --- Text covers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverText:
    headline: str
    tag: str  # the sticker: "干货", "必看", "Must try"
    subline: str  # a small line: "收藏备用", "save for later"


def _sticker(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    cx: float,
    cy: float,
    radius: float,
    text: str,
    fill: Colour,
) -> None:
    shape = rng.choice(["circle", "star", "burst"])
    if shape == "circle":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)
    else:
        _star(draw, cx, cy, radius * 1.25, fill, points=5 if shape == "star" else 12)
    face = font(int(radius * (0.6 if _is_wide(text) else 0.3)))
    box = draw.textbbox((0, 0), text, font=face)
    draw.text(
        (cx - (box[2] - box[0]) / 2 - box[0], cy - (box[3] - box[1]) / 2 - box[1]),
        text,
        font=face,
        fill=WHITE,
    )


def _confetti(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    colours: list[Colour],
    count: int,
) -> None:
    for _index in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(6, 16) * SCALE
        colour = rng.choice(colours)
        kind = rng.randrange(3)
        if kind == 0:
            draw.ellipse((x, y, x + size, y + size), fill=colour)
        elif kind == 1:
            _star(draw, x, y, size, colour)
        else:
            draw.rounded_rectangle(
                (x, y, x + size * 2.2, y + size * 0.8), radius=size * 0.4, fill=colour
            )


def text_cover(rng: random.Random, text: CoverText, size: tuple[int, int]) -> Image.Image:
    """A big-headline cover in one of four layouts."""
    width, height = size[0] * SCALE, size[1] * SCALE
    top, bottom, accent = rng.choice(PALETTES)
    dark = sum(top) < 300
    layout = rng.choice(["poster", "paper", "block", "split"])
    ink = WHITE if dark else INK
    if layout == "paper":
        picture = Image.new("RGB", (width, height), (255, 251, 240))
    elif layout == "block":
        picture = Image.new("RGB", (width, height), accent)
        ink = WHITE
    else:
        picture = _gradient((width, height), top, bottom, diagonal=rng.random() < 0.5)
    draw = ImageDraw.Draw(picture)
    margin = int(width * 0.1)
    inner = width - 2 * margin
    headline_size = int(width * (0.16 if _is_wide(text.headline) else 0.13))

    if layout == "paper":
        for rule in range(int(height * 0.12), height, int(58 * SCALE)):
            draw.line([(0, rule), (width, rule)], fill=(232, 226, 210), width=SCALE)
        tape = Image.new("RGBA", (int(width * 0.34), int(46 * SCALE)), (*accent, 110))
        tape = tape.rotate(rng.uniform(-8, 8), expand=True, resample=Image.Resampling.BICUBIC)
        picture.paste(tape, (int(width * 0.33), int(height * 0.05)), tape)
        face, lines = _fit(draw, text.headline, inner, headline_size, 4)
        line_height = int(getattr(face, "size", 20) * 1.3)
        y: float = height * 0.2
        for line in lines:
            # A highlighter stroke under each line.
            length = draw.textlength(line, font=face)
            draw.rectangle(
                (margin - 6, y + line_height * 0.5, margin + length + 6, y + line_height * 0.92),
                fill=_mix(accent, WHITE, 0.6),
            )
            _bold_text(draw, (margin, y), line, face, INK)
            y += line_height
        _star(draw, width - margin, height * 0.78, 40 * SCALE, accent)
        draw.text(
            (margin, height * 0.86),
            text.subline,
            font=font(int(width * 0.05)),
            fill=(120, 110, 100),
        )
    else:
        face, lines = _fit(draw, text.headline, inner, headline_size, 4)
        line_height = int(getattr(face, "size", 20) * 1.28)
        block_height = line_height * len(lines)
        y = (height - block_height) / 2 if layout in {"poster", "block"} else height * 0.22
        if layout == "block":
            pad = 28 * SCALE
            draw.rounded_rectangle(
                (margin - pad, y - pad, width - margin + pad, y + block_height + pad),
                radius=36 * SCALE,
                fill=_mix(accent, (0, 0, 0), 0.18),
            )
        if layout == "split":
            draw.rectangle((0, height * 0.62, width, height), fill=accent)
            _confetti(draw, rng, width, int(height * 0.6), [accent, _mix(accent, WHITE, 0.5)], 10)
        elif layout != "block":
            _confetti(
                draw, rng, width, height, [accent, _mix(accent, WHITE, 0.5), (255, 210, 90)], 14
            )
        else:
            _confetti(draw, rng, width, height, [WHITE, _mix(accent, WHITE, 0.5)], 18)
        for line in lines:
            length = draw.textlength(line, font=face)
            x = (width - length) / 2 if layout != "split" else margin
            _bold_text(draw, (x, y), line, face, ink)
            y += line_height
        if layout == "split":
            draw.text(
                (margin, height * 0.7), text.subline, font=font(int(width * 0.065)), fill=WHITE
            )
        else:
            sub_face = font(int(width * 0.05))
            length = draw.textlength(text.subline, font=sub_face)
            draw.text(
                ((width - length) / 2, y + line_height * 0.3), text.subline, font=sub_face, fill=ink
            )
    if text.tag:
        radius = 64 * SCALE
        _sticker(
            draw,
            rng,
            width - margin - radius * 0.3,
            margin + radius * 0.6,
            radius,
            text.tag,
            RED if layout != "block" else INK,
        )
    return picture.reduce(SCALE)


# --- Illustrated covers ----------------------------------------------------------------------


def _plate(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    cx, cy, radius = w * 0.5, h * 0.52, w * 0.36
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(250, 250, 250))
    draw.ellipse(
        (cx - radius * 0.78, cy - radius * 0.78, cx + radius * 0.78, cy + radius * 0.78),
        fill=(238, 236, 232),
    )
    foods = [(230, 120, 60), (250, 200, 70), (120, 180, 90), (200, 60, 60), (245, 160, 120)]
    for _index in range(rng.randrange(4, 8)):
        angle = rng.uniform(0, 2 * math.pi)
        reach = rng.uniform(0, radius * 0.45)
        x, y = cx + math.cos(angle) * reach, cy + math.sin(angle) * reach
        size = rng.uniform(0.12, 0.2) * radius
        draw.polygon(
            _ellipse_points(x, y, size, size * 0.7, rng.uniform(0, math.pi)), fill=rng.choice(foods)
        )
    for _index in range(3):
        _leaf(
            draw,
            cx + rng.uniform(-0.3, 0.3) * radius,
            cy + rng.uniform(-0.3, 0.3) * radius,
            radius * 0.25,
            rng.uniform(0, math.pi),
            (70, 150, 80),
        )
    # Chopsticks.
    x = cx + radius * 1.12
    draw.rounded_rectangle(
        (x, cy - radius, x + 12 * SCALE, cy + radius), radius=6 * SCALE, fill=accent
    )
    draw.rounded_rectangle(
        (x + 22 * SCALE, cy - radius, x + 34 * SCALE, cy + radius), radius=6 * SCALE, fill=accent
    )


def _cup(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    cx, base = w * 0.48, h * 0.7
    draw.ellipse(
        (cx - w * 0.34, base - h * 0.04, cx + w * 0.34, base + h * 0.06), fill=(250, 250, 248)
    )
    top, bottom = base - h * 0.3, base
    body = [
        (cx - w * 0.22, top),
        (cx + w * 0.22, top),
        (cx + w * 0.17, bottom),
        (cx - w * 0.17, bottom),
    ]
    draw.polygon(body, fill=accent)
    draw.ellipse(
        (cx + w * 0.14, top + h * 0.06, cx + w * 0.32, top + h * 0.2),
        outline=accent,
        width=14 * SCALE,
    )
    draw.ellipse((cx - w * 0.22, top - h * 0.03, cx + w * 0.22, top + h * 0.03), fill=(120, 78, 50))
    draw.ellipse(
        (cx - w * 0.08, top - h * 0.012, cx + w * 0.08, top + h * 0.012), fill=(235, 210, 180)
    )
    for offset in (-0.09, 0.0, 0.09):
        x = cx + w * offset
        draw.arc(
            (x - 30 * SCALE, top - h * 0.2, x + 30 * SCALE, top - h * 0.08),
            200,
            340,
            fill=WHITE,
            width=8 * SCALE,
        )
        draw.arc(
            (x - 30 * SCALE, top - h * 0.12, x + 30 * SCALE, top - h * 0.02),
            20,
            160,
            fill=WHITE,
            width=8 * SCALE,
        )
    for _index in range(rng.randrange(3, 6)):
        x, y = rng.uniform(w * 0.1, w * 0.9), rng.uniform(h * 0.8, h * 0.95)
        draw.polygon(
            _ellipse_points(x, y, 22 * SCALE, 14 * SCALE, rng.uniform(0, math.pi)),
            fill=(110, 70, 45),
        )


def _plant(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    cx, top = w * 0.5, h * 0.62
    greens = [(60, 140, 80), (90, 170, 100), (40, 110, 70)]
    for _index in range(rng.randrange(6, 10)):
        angle = rng.uniform(-math.pi * 0.95, -math.pi * 0.05)
        length = rng.uniform(0.22, 0.34) * w
        x = cx + math.cos(angle) * length * 0.55
        y = top + math.sin(angle) * length * 0.55
        _leaf(draw, x, y, length, angle, rng.choice(greens))
    draw.polygon(
        [
            (cx - w * 0.2, top),
            (cx + w * 0.2, top),
            (cx + w * 0.15, h * 0.86),
            (cx - w * 0.15, h * 0.86),
        ],
        fill=accent,
    )
    draw.rectangle(
        (cx - w * 0.22, top - 10 * SCALE, cx + w * 0.22, top + 24 * SCALE),
        fill=_mix(accent, (0, 0, 0), 0.15),
    )


def _sun(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    cx, cy, radius = w * rng.uniform(0.35, 0.65), h * 0.3, w * 0.15
    for step in range(12):
        angle = math.pi * 2 * step / 12
        draw.line(
            [
                (cx + math.cos(angle) * radius * 1.3, cy + math.sin(angle) * radius * 1.3),
                (cx + math.cos(angle) * radius * 1.7, cy + math.sin(angle) * radius * 1.7),
            ],
            fill=(255, 190, 60),
            width=10 * SCALE,
        )
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(255, 200, 70))
    peaks: list[tuple[float, float]] = [(0, h * 0.7)]
    for index in range(5):
        peaks.append((w * (index + 0.5) / 5, h * rng.uniform(0.45, 0.6)))
        peaks.append((w * (index + 1) / 5, h * 0.7))
    draw.polygon([*peaks, (w, h), (0, h)], fill=_mix(accent, (40, 60, 80), 0.3))
    for row in range(4):
        y = h * (0.76 + row * 0.06)
        for column in range(6):
            x = w * column / 5
            draw.arc(
                (x - 40 * SCALE, y - 14 * SCALE, x + 40 * SCALE, y + 14 * SCALE),
                200,
                340,
                fill=WHITE,
                width=5 * SCALE,
            )


def _bottle(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    shades = [accent, _mix(accent, WHITE, 0.45), (250, 246, 240)]
    for index, (x, height) in enumerate(((0.3, 0.42), (0.55, 0.5), (0.75, 0.32))):
        cx, bottom = w * x, h * 0.82
        body_w = w * (0.16 if index != 1 else 0.2)
        draw.rounded_rectangle(
            (cx - body_w / 2, bottom - h * height, cx + body_w / 2, bottom),
            radius=24 * SCALE,
            fill=shades[index],
        )
        draw.rounded_rectangle(
            (
                cx - body_w * 0.3,
                bottom - h * height - h * 0.07,
                cx + body_w * 0.3,
                bottom - h * height + 4,
            ),
            radius=8 * SCALE,
            fill=INK if index != 2 else accent,
        )
        draw.rounded_rectangle(
            (
                cx - body_w * 0.36,
                bottom - h * height * 0.6,
                cx + body_w * 0.36,
                bottom - h * height * 0.35,
            ),
            radius=6 * SCALE,
            fill=WHITE,
        )
    for _index in range(6):
        _star(
            draw,
            rng.uniform(0.1, 0.9) * w,
            rng.uniform(0.08, 0.35) * h,
            rng.uniform(10, 20) * SCALE,
            WHITE,
        )


def _gadget(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    kind = rng.randrange(3)
    if kind == 0:  # phone
        draw.rounded_rectangle((w * 0.3, h * 0.2, w * 0.7, h * 0.82), radius=40 * SCALE, fill=INK)
        screen = (w * 0.32, h * 0.23, w * 0.68, h * 0.79)
        draw.rounded_rectangle(screen, radius=28 * SCALE, fill=accent)
        for row in range(4):
            for column in range(3):
                x = w * (0.36 + column * 0.11)
                y = h * (0.28 + row * 0.09)
                draw.rounded_rectangle(
                    (x, y, x + w * 0.07, y + w * 0.07),
                    radius=12 * SCALE,
                    fill=_mix(accent, WHITE, 0.5 + 0.1 * ((row + column) % 3)),
                )
    elif kind == 1:  # headphones
        cx, cy = w * 0.5, h * 0.5
        draw.arc(
            (cx - w * 0.3, cy - h * 0.28, cx + w * 0.3, cy + h * 0.2),
            180,
            360,
            fill=INK,
            width=26 * SCALE,
        )
        for side in (-1, 1):
            x = cx + side * w * 0.3
            draw.rounded_rectangle(
                (x - w * 0.09, cy - h * 0.04, x + w * 0.09, cy + h * 0.16),
                radius=36 * SCALE,
                fill=accent,
            )
            draw.rounded_rectangle(
                (x - w * 0.05, cy, x + w * 0.05, cy + h * 0.12),
                radius=20 * SCALE,
                fill=_mix(accent, (0, 0, 0), 0.25),
            )
    else:  # keyboard and laptop
        draw.rounded_rectangle((w * 0.15, h * 0.3, w * 0.85, h * 0.62), radius=18 * SCALE, fill=INK)
        draw.rectangle((w * 0.18, h * 0.33, w * 0.82, h * 0.59), fill=accent)
        draw.polygon(
            [(w * 0.08, h * 0.64), (w * 0.92, h * 0.64), (w * 0.86, h * 0.7), (w * 0.14, h * 0.7)],
            fill=(200, 200, 206),
        )
        for row in range(3):
            for column in range(10):
                x = w * (0.13 + column * 0.075)
                y = h * (0.76 + row * 0.045)
                draw.rounded_rectangle(
                    (x, y, x + w * 0.06, y + h * 0.035),
                    radius=6 * SCALE,
                    fill=WHITE if (row + column) % 4 else accent,
                )


def _clothes(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    draw.line([(w * 0.1, h * 0.16), (w * 0.9, h * 0.16)], fill=(140, 110, 80), width=10 * SCALE)
    colours = [accent, _mix(accent, WHITE, 0.5), (245, 238, 225), (70, 80, 110)]
    for index, x in enumerate((0.28, 0.72)):
        cx = w * x
        draw.arc(
            (cx - 24 * SCALE, h * 0.16, cx + 24 * SCALE, h * 0.16 + 40 * SCALE),
            180,
            360,
            fill=INK,
            width=5 * SCALE,
        )
        top = h * 0.22
        shirt = [
            (cx - w * 0.08, top),
            (cx - w * 0.2, top + h * 0.06),
            (cx - w * 0.16, top + h * 0.14),
            (cx - w * 0.12, top + h * 0.12),
            (cx - w * 0.12, top + h * 0.42),
            (cx + w * 0.12, top + h * 0.42),
            (cx + w * 0.12, top + h * 0.12),
            (cx + w * 0.16, top + h * 0.14),
            (cx + w * 0.2, top + h * 0.06),
            (cx + w * 0.08, top),
        ]
        colour = colours[(index + rng.randrange(4)) % 4]
        if index == 1:  # a dress
            shirt = [
                *shirt[:4],
                (cx - w * 0.18, top + h * 0.55),
                (cx + w * 0.18, top + h * 0.55),
                *shirt[-4:],
            ]
        draw.polygon(shirt, fill=colour)
        draw.ellipse(
            (cx - w * 0.04, top - h * 0.012, cx + w * 0.04, top + h * 0.03),
            fill=_mix(colour, (0, 0, 0), 0.2),
        )


def _dumbbell(
    draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour
) -> None:
    cy = h * 0.55
    draw.rounded_rectangle(
        (w * 0.22, cy - 14 * SCALE, w * 0.78, cy + 14 * SCALE), radius=8 * SCALE, fill=(90, 90, 100)
    )
    for x in (0.16, 0.26, 0.74, 0.84):
        weight = (w * (x - 0.045), cy - h * 0.12, w * (x + 0.045), cy + h * 0.12)
        draw.rounded_rectangle(weight, radius=18 * SCALE, fill=accent if x in {0.16, 0.84} else INK)
    _sun(draw, rng, w, int(h * 0.5), accent) if rng.random() < 0.3 else None
    for _index in range(4):
        _star(
            draw,
            rng.uniform(0.1, 0.9) * w,
            rng.uniform(0.72, 0.92) * h,
            rng.uniform(10, 18) * SCALE,
            WHITE,
        )


def _bag(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, accent: Colour) -> None:
    cx = w * 0.5
    draw.arc((cx - w * 0.14, h * 0.2, cx + w * 0.14, h * 0.5), 180, 360, fill=INK, width=16 * SCALE)
    draw.polygon(
        [
            (cx - w * 0.28, h * 0.36),
            (cx + w * 0.28, h * 0.36),
            (cx + w * 0.34, h * 0.84),
            (cx - w * 0.34, h * 0.84),
        ],
        fill=accent,
    )
    draw.rectangle(
        (cx - w * 0.3, h * 0.36, cx + w * 0.3, h * 0.42), fill=_mix(accent, (0, 0, 0), 0.15)
    )
    _star(draw, cx, h * 0.6, w * 0.08, WHITE)
    for _index in range(3):
        x = rng.uniform(0.1, 0.9) * w
        draw.ellipse((x, h * 0.1, x + 20 * SCALE, h * 0.1 + 20 * SCALE), fill=(255, 210, 90))


ILLUSTRATIONS: dict[str, Callable[[ImageDraw.ImageDraw, random.Random, int, int, Colour], None]] = {
    "plate": _plate,
    "cup": _cup,
    "plant": _plant,
    "sun": _sun,
    "bottle": _bottle,
    "gadget": _gadget,
    "clothes": _clothes,
    "dumbbell": _dumbbell,
    "bag": _bag,
}


def illustrated_cover(
    rng: random.Random, kind: str, size: tuple[int, int], label: str = ""
) -> Image.Image:
    """A flat illustration on a soft gradient, optionally with a small label ribbon."""
    width, height = size[0] * SCALE, size[1] * SCALE
    top, bottom, accent = rng.choice(PALETTES[:7])
    picture = _gradient((width, height), top, bottom, diagonal=rng.random() < 0.5)
    draw = ImageDraw.Draw(picture)
    # A soft blob behind the subject.
    blob = _mix(top, WHITE, 0.5)
    draw.polygon(
        _ellipse_points(
            width * 0.5, height * 0.55, width * 0.46, height * 0.3, rng.uniform(-0.4, 0.4)
        ),
        fill=blob,
    )
    ILLUSTRATIONS[kind](draw, rng, width, height, accent)
    if label:
        face = font(int(width * 0.06))
        length = draw.textlength(label, font=face)
        pad = 18 * SCALE
        box = (
            width * 0.07,
            height * 0.06,
            width * 0.07 + length + 2 * pad,
            height * 0.06 + getattr(face, "size", 20) * 1.5,
        )
        draw.rounded_rectangle(box, radius=30 * SCALE, fill=WHITE)
        draw.text(
            (box[0] + pad, box[1] + getattr(face, "size", 20) * 0.2), label, font=face, fill=INK
        )
    return picture.reduce(SCALE)
