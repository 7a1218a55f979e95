"""The demo rooms' video, made on this machine (no network): a short WebM (VP8) of drawn frames —
a coloured background that shifts hue, the room's title, a ball moving across and a clock —
written once under MEDIA_ROOT and served from MEDIA_URL like any upload.

Development: `circlemart serve` serves MEDIA_URL itself (SERVE_MEDIA, default on). Production:
the front server (or the object storage behind MEDIA_URL) serves the media directory, as it does
for covers and note images (docs/operations.md).
"""

from __future__ import annotations

import colorsys
import math
import os
from fractions import Fraction
from pathlib import Path

import av
from django.conf import settings
from PIL import Image, ImageDraw

from circlemart.social.covers import Font, font

RELATIVE_PATH = "live/demo/circlemart-live-demo.webm"
WIDTH, HEIGHT = 360, 640  # a phone's portrait stream
FRAME_RATE = 10
SECONDS = 24
BITRATE = 600_000


def demo_video_path() -> Path:
    return Path(settings.MEDIA_ROOT) / RELATIVE_PATH


def demo_video_url() -> str:
    """The address the demo rooms play (a path on this site: it works on any host and port)."""
    return f"{settings.MEDIA_URL.rstrip('/')}/{RELATIVE_PATH}"


def _frame(index: int, *, title: str, subtitle: str, faces: dict[str, Font]) -> Image.Image:
    moment = index / FRAME_RATE
    hue = (0.92 + moment / SECONDS * 0.25) % 1.0
    top = tuple(int(channel * 255) for channel in colorsys.hsv_to_rgb(hue, 0.55, 0.95))
    bottom = tuple(
        int(channel * 255) for channel in colorsys.hsv_to_rgb((hue + 0.08) % 1, 0.7, 0.6)
    )
    picture = Image.new("RGB", (WIDTH, HEIGHT), bottom)
    draw = ImageDraw.Draw(picture)
    band = HEIGHT // 8
    for step in range(8):  # a coarse vertical gradient: cheap to draw, easy to compress
        mix = step / 7
        colour = tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.rectangle((0, step * band, WIDTH, (step + 1) * band), fill=colour)

    # A ball bouncing left and right, with a pulsing ring: something visibly moves.
    x = WIDTH / 2 + (WIDTH / 2 - 40) * math.sin(moment * 1.3)
    y = HEIGHT * 0.55 + 60 * math.sin(moment * 2.6)
    radius = 26 + 6 * math.sin(moment * 6)
    draw.ellipse((x - radius - 8, y - radius - 8, x + radius + 8, y + radius + 8), outline="white")
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255))

    draw.rounded_rectangle((16, 16, 92, 46), radius=8, fill=(239, 68, 68))
    draw.text((28, 19), "LIVE", fill="white", font=faces["badge"])
    seconds = int(moment)
    clock_text = f"00:{seconds // 60:02d}:{seconds % 60:02d}"
    draw.text((WIDTH - 16, 22), clock_text, fill="white", font=faces["clock"], anchor="ra")
    draw.text((WIDTH / 2, HEIGHT * 0.22), title, fill="white", font=faces["title"], anchor="mm")
    draw.text(
        (WIDTH / 2, HEIGHT * 0.22 + 44), subtitle, fill="white", font=faces["small"], anchor="mm"
    )
    draw.text(
        (WIDTH / 2, HEIGHT - 40),
        "Circlemart Live · 圈子直播",
        fill="white",
        font=faces["small"],
        anchor="mm",
    )
    return picture


def write_demo_video(
    path: Path, *, title: str = "好物直播间", subtitle: str = "Demo stream · 演示视频"
) -> Path:
    """Encode the clip to `path` (through a temporary file: a half-written video never shows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    faces: dict[str, Font] = {
        "title": font(30),
        "small": font(16),
        "clock": font(20),
        "badge": font(18),
    }
    with av.open(str(partial), mode="w", format="webm") as container:
        # Realtime speed (set when the encoder opens): the clip encodes in a second or two.
        stream = container.add_stream(
            "libvpx",
            rate=FRAME_RATE,
            options={"deadline": "realtime", "cpu-used": "15", "threads": "1"},
        )
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = BITRATE
        stream.time_base = Fraction(1, FRAME_RATE)
        for index in range(SECONDS * FRAME_RATE):
            picture = _frame(index, title=title, subtitle=subtitle, faces=faces)
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    partial.replace(path)
    return path


def ensure_demo_video() -> tuple[str, bool]:
    """The demo video's URL, and whether it was made now (False: it was already there)."""
    path = demo_video_path()
    if path.exists() and path.stat().st_size > 0:
        return demo_video_url(), False
    write_demo_video(path)
    return demo_video_url(), True
