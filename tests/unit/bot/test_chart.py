"""The daily sales chart: a PNG with one bar per day, as tall as that day's sales."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bot.flows.reports.chart import BAR, HEIGHT, WIDTH, render_daily_chart

DAY = date(2026, 11, 1)


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.size == (WIDTH, HEIGHT)
    return image.convert("RGB")


def _bar_heights(image: Image.Image, days: int) -> list[int]:
    """Bar-coloured pixels in the middle column of each day's slot."""
    from bot.flows.reports.chart import LEFT, RIGHT

    slot = (WIDTH - RIGHT - LEFT) / days
    columns = [round(LEFT + slot * (i + 0.5)) for i in range(days)]
    return [sum(1 for y in range(HEIGHT) if image.getpixel((x, y)) == BAR) for x in columns]


def test_each_day_gets_a_bar_as_tall_as_its_sales():
    daily = [(DAY + timedelta(days=i), minor) for i, minor in enumerate([0, 100_00, 50_00, 0, 25_00, 100_00, 1])]
    heights = _bar_heights(_image(render_daily_chart(daily, currency="USD", title="2026-11-01 - 2026-11-07")), 7)
    assert heights[0] == heights[3] == 0
    assert heights[1] == heights[5] > heights[2] > heights[4] > 0
    assert abs(heights[2] * 2 - heights[1]) <= 2  # half the sales, half the bar
    assert heights[6] <= 1  # one cent of a hundred dollars: a hairline at most


def test_a_period_without_sales_and_a_single_day_render():
    _image(render_daily_chart([(DAY + timedelta(days=i), 0) for i in range(30)], currency="USD"))
    _image(render_daily_chart([], currency="USD"))
    single = _image(render_daily_chart([(DAY, 1)], currency="KWD"))  # one fils: the smallest grid step
    assert _bar_heights(single, 1)[0] > 0


def test_a_month_of_days_fits_and_big_amounts_do_not_break_the_axis():
    daily = [(DAY + timedelta(days=i), (i + 1) * 1_234_567_89) for i in range(31)]
    heights = _bar_heights(_image(render_daily_chart(daily, currency="USD")), 31)
    assert heights == sorted(heights) and heights[0] > 0
