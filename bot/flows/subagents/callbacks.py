"""Callback data of /subagents, /allocate and /reclaim: ids only, re-checked by the core on every press."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

MOVE_KINDS = ("allocate", "reclaim")


class SubCb(CallbackData, prefix="sa"):
    action: str  # list | open | orders | report | freeze | unfreeze
    child: int = 0  # the child party's id
    page: int = 0  # list: which page
    period: str = "month"  # report: today | 7d | 30d | month


class FreezeCb(CallbackData, prefix="sf"):
    action: str  # ok | no
    child: int
    token: str = "-"  # a confirmation


class PickCb(CallbackData, prefix="mp"):
    kind: str  # allocate | reclaim
    child: int = 0  # 0: the list of children (page); else: ask for the amount for this child
    page: int = 0


class MoveCb(CallbackData, prefix="mv"):
    kind: str  # allocate | reclaim
    action: str  # ok | no
    token: str = "-"  # a confirmation ("-": cancel while typing the amount)
