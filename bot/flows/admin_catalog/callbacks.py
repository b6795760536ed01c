"""Callback data of /discount and /cardlist: ids only; every press re-checks admin rights
(`ctx.admin_actor()`) and the core re-reads every row it touches."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

DISCOUNT_KINDS = ("agent", "subagent", "partner")
SCOPES = ("all", "brand", "product")


class DiscountCb(CallbackData, prefix="adc"):
    action: str  # start | kind | party | scope | list | ok | no
    kind: str = ""  # the kind whose default is set (agent | subagent | partner) …
    party: int = 0  # … or the party whose own discount is set
    scope: str = ""  # all | brand | product (scope: which question comes next)
    token: str = "-"  # ok / no: a confirmation


class CardListCb(CallbackData, prefix="acl"):
    action: str  # home | open | item | up | down | rm | rmok | add | more | pick | full | range | denoms | copy | drop | dropok
    party: int = 0  # whose list: 0 = the default agent list, else the party's own list
    product: int = 0
    page: int = 0  # open: the list's page; more: the search cursor (the last product id shown)
