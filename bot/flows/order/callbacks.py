"""Callback data of the order wizard and the order list: ids only, re-checked by the core on every press."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class OrderCb(CallbackData, prefix="o"):
    step: str  # page | card | face | typed_face | qty | typed_qty | ok | no
    product: int = 0
    face: str = ""  # a decimal string in the card's currency
    qty: int = 0
    cursor: int = 0  # catalog page: the last product id of the previous page
    token: str = ""  # a confirmation


class OrdersCb(CallbackData, prefix="os"):
    step: str  # page | open | reveal
    order: str = ""  # the order's id, 32 hex digits
    card: int = 0
    page: int = 0
