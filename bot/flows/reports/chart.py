"""A PNG bar chart of a party's daily sales, drawn with Pillow.

CPU work: the bot calls `render_daily_chart` through `asyncio.to_thread`, never on the event loop.
Only dates and numbers are drawn (no words), so one image serves every language; the caption that goes
with it is translated.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from core.money import exponent, from_minor

WIDTH, HEIGHT = 900, 480
LEFT, RIGHT, TOP, BOTTOM = 90, 24, 48, 56  # plot margins
BACKGROUND = (255, 255, 255)
BAR = (37, 99, 235)
GRID = (226, 232, 240)
AXIS = (100, 116, 139)
INK = (30, 41, 59)
GRID_LINES = 4


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _nice_step(top: Decimal) -> Decimal:
    """A round grid step (1, 2 or 5 × 10^n) so that GRID_LINES steps reach at least `top`."""
    raw = top / GRID_LINES
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = magnitude * factor
        if step >= raw:
            return step
    return magnitude * 10  # pragma: no cover - the loop always returns


def _label(value: Decimal, currency: str) -> str:
    places = exponent(currency) if value != value.to_integral_value() else 0
    return f"{value:,.{places}f}"


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, *, size: int, anchor: str) -> None:
    draw.text(xy, text, fill=INK, font=_font(size), anchor=anchor)


def render_daily_chart(daily: Sequence[tuple[date, int]], *, currency: str, title: str = "") -> bytes:
    """`daily`: (day, sales in minor units) for every day, oldest first → PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    if title:
        _text(draw, (WIDTH / 2, TOP / 2), title, size=18, anchor="mm")

    values = [from_minor(max(0, int(v)), currency) for _, v in daily]
    highest = max(values, default=Decimal(0))
    smallest = Decimal(1).scaleb(-exponent(currency))  # one minor unit: no finer grid than money has
    step = max(_nice_step(highest), smallest) if highest > 0 else Decimal(1)
    top_value = step * GRID_LINES
    height = plot_bottom - plot_top

    for i in range(GRID_LINES + 1):  # horizontal grid with its values on the left
        y = plot_bottom - height * i / GRID_LINES
        draw.line([(plot_left, y), (plot_right, y)], fill=GRID if i else AXIS, width=1)
        _text(draw, (plot_left - 8, y), _label(step * i, currency), size=13, anchor="rm")
    _text(draw, (plot_left - 8, plot_top - 18), currency.upper(), size=13, anchor="rm")

    count = len(daily)
    if count:
        slot = (plot_right - plot_left) / count
        bar = min(64.0, max(1.0, slot * 0.7))
        every = max(1, -(-count // 10))  # at most ~10 date labels
        for i, ((day, _), value) in enumerate(zip(daily, values, strict=True)):
            centre = plot_left + slot * (i + 0.5)
            if value > 0:
                top = min(plot_bottom - float(value / top_value) * height, plot_bottom - 1)  # a sale shows
                draw.rectangle([(centre - bar / 2, top), (centre + bar / 2, plot_bottom - 1)], fill=BAR)
            if i % every == 0:
                _text(draw, (centre, plot_bottom + 8), f"{day:%m-%d}", size=12, anchor="mt")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
