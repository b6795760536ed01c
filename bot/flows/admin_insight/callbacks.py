"""Callback data of /metrics, /vendor, /sync and /audit: no ids of anything an admin could not read
anyway, and every press re-checks admin rights (`ctx.admin_actor()`)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MetricsCb(CallbackData, prefix="amt"):
    action: str  # show | chart | about
    period: str  # a core.reports Period value: today | 7d | 30d


class VendorCb(CallbackData, prefix="avd"):
    action: str  # refresh | stuck


class SyncCb(CallbackData, prefix="asy"):
    action: str  # start
    full: int = 0  # 1: a full sync (marks vanished cards gone), 0: changes since the last one


class AuditCb(CallbackData, prefix="aau"):
    action: str  # page
    filters: str = ""  # the key of the stored filters ("" = everything)
    cursor: int = 0  # older than this entry id (0 = the newest)
