"""Admin reads of the network: the applications waiting, one level of the tree with balances, and one
party's details (where it sits, what it holds, what it ordered last).

Admins only (`require_admin`): a member sees its own party and direct children through
`visible_children` and the reports, never the whole tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.parties.errors import PartyNotFound
from core.parties.models import Member, MemberRole, MemberStatus, Party, PartyStatus

MAX_PAGE = 50


@dataclass(frozen=True)
class PartyRef:
    id: int
    name: str
    kind: str
    status: str


@dataclass(frozen=True)
class TreeNode:
    """A party with its wallet figures (minor units of its currency) and how many children it has."""

    id: int
    name: str
    kind: str
    status: str
    parent_id: int | None
    currency: str
    available: int  # wallet balance; negative while credit is used
    held: int
    credit_limit: int
    commission: int  # accrued, not yet paid
    children: int


@dataclass(frozen=True)
class TreeLevel:
    parent: TreeNode | None  # None: the top level (parties directly under the platform)
    nodes: list[TreeNode]
    total: int  # children of `parent` in all
    page: int  # the page shown (clamped to the pages there are)
    pages: int


@dataclass(frozen=True)
class Application:
    id: int
    name: str
    kind: str
    applied_at: datetime
    applicant: str  # the owner's display name
    telegram_user_id: int | None


@dataclass(frozen=True)
class ApplicationsPage:
    items: list[Application]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class OrderLine:
    id: str
    created_at: datetime
    status: str
    quantity: int
    product: str
    total: int  # minor units of `currency`
    currency: str


@dataclass(frozen=True)
class PartyDetails:
    node: TreeNode
    depth: int
    frozen_by: str | None
    created_at: datetime
    path: list[PartyRef]  # from the top of the tree down to the direct parent ([] for a top-level party)
    members: int  # active members
    orders: list[OrderLine]  # the latest, newest first


def _pages(total: int, per_page: int, page: int) -> tuple[int, int]:
    pages = max(1, (total + per_page - 1) // per_page)
    return max(0, min(page, pages - 1)), pages


def _per_page(per_page: int) -> int:
    return max(1, min(per_page, MAX_PAGE))


_NODES_SQL = """
SELECT p.id, p.name, p.kind, p.status, p.parent_id, p.currency,
       COALESCE(w.balance, 0) AS available, COALESCE(w.credit_limit, 0) AS credit_limit,
       COALESCE(h.balance, 0) AS held, COALESCE(c.balance, 0) AS commission,
       (SELECT COUNT(*) FROM party k WHERE k.parent_id = p.id) AS children
  FROM party p
  LEFT JOIN ledger_account w ON w.party_id = p.id AND w.kind = 'wallet' AND w.currency = p.currency AND w.livemode
  LEFT JOIN ledger_account h ON h.party_id = p.id AND h.kind = 'holds' AND h.currency = p.currency AND h.livemode
  LEFT JOIN ledger_account c ON c.party_id = p.id AND c.kind = 'commission' AND c.currency = p.currency AND c.livemode
"""


def _node(row: dict) -> TreeNode:
    return TreeNode(id=row["id"], name=row["name"], kind=str(row["kind"]), status=str(row["status"]),
                    parent_id=row["parent_id"], currency=row["currency"], available=int(row["available"]), held=int(row["held"]),
                    credit_limit=int(row["credit_limit"]), commission=int(row["commission"]),
                    children=int(row["children"]))


async def _nodes(where: str, params: list, *, suffix: str = "") -> list[TreeNode]:
    rows = await get_connection("default").execute_query_dict(f"{_NODES_SQL} WHERE {where} {suffix}", params)
    return [_node(r) for r in rows]


async def _one_node(party_id: int) -> TreeNode:
    found = await _nodes("p.id = $1", [party_id])
    if not found:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return found[0]


async def tree_level(*, actor: Actor, parent_id: int | None = None, page: int = 0, per_page: int = 8) -> TreeLevel:
    """One page of `parent_id`'s direct children (None: the top level), by id, with their balances."""
    require_admin(actor)
    per_page = _per_page(per_page)
    parent = await _one_node(parent_id) if parent_id is not None else None
    if parent_id is None:
        where, params = "p.parent_id IS NULL", []
        total = await Party.filter(parent_id__isnull=True).count()
    else:
        where, params = "p.parent_id = $1", [parent_id]
        total = await Party.filter(parent_id=parent_id).count()
    page, pages = _pages(total, per_page, page)
    n = len(params)
    nodes = await _nodes(where, [*params, per_page, page * per_page],
                         suffix=f"ORDER BY p.id LIMIT ${n + 1} OFFSET ${n + 2}")
    return TreeLevel(parent=parent, nodes=nodes, total=total, page=page, pages=pages)


async def party_details(*, actor: Actor, party_id: int, orders: int = 5) -> PartyDetails:
    """A party as an admin sees it: its figures, its place in the tree, its latest orders."""
    require_admin(actor)
    from core.catalog.models import Product
    from core.orders import service as order_service  # orders import parties: read them late

    party = await Party.get_or_none(id=party_id)
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    node = await _one_node(party_id)
    path: list[PartyRef] = []
    parent_id, seen = party.parent_id, {party.id}
    while parent_id is not None and parent_id not in seen:  # depth is bounded (MAX_DEPTH); `seen` guards anyway
        seen.add(parent_id)
        parent = await Party.get(id=parent_id)
        path.insert(0, PartyRef(id=parent.id, name=parent.name, kind=str(parent.kind), status=str(parent.status)))
        parent_id = parent.parent_id
    members = await Member.filter(party_id=party_id, status=MemberStatus.ACTIVE).count()
    latest = await order_service.list_orders(actor=actor, party_id=party_id, limit=orders) if orders > 0 else []
    names = dict(await Product.filter(id__in={o.product_id for o in latest}).values_list("id", "name")) \
        if latest else {}
    lines = [OrderLine(id=str(o.id), created_at=o.created_at, status=str(o.status), quantity=o.quantity,
                       product=names.get(o.product_id, str(o.product_id)), total=o.total, currency=o.currency)
             for o in latest]
    return PartyDetails(node=node, depth=party.depth, frozen_by=party.frozen_by, created_at=party.created_at,
                        path=path, members=members, orders=lines)


async def pending_applications(*, actor: Actor, page: int = 0, per_page: int = 5) -> ApplicationsPage:
    """The parties waiting for an admin's decision, oldest first, with who applied."""
    require_admin(actor)
    per_page = _per_page(per_page)
    total = await Party.filter(status=PartyStatus.PENDING).count()
    page, pages = _pages(total, per_page, page)
    parties = await Party.filter(status=PartyStatus.PENDING).order_by("id").offset(page * per_page).limit(per_page)
    owners: dict[int, Member] = {}
    for member in await Member.filter(party_id__in=[p.id for p in parties], role=MemberRole.OWNER).order_by("id"):
        owners.setdefault(member.party_id, member)  # the first owner: the one who applied
    items = [
        Application(id=p.id, name=p.name, kind=str(p.kind), applied_at=p.created_at,
                    applicant=owners[p.id].display_name if p.id in owners else "",
                    telegram_user_id=owners[p.id].telegram_user_id if p.id in owners else None)
        for p in parties
    ]
    return ApplicationsPage(items=items, total=total, page=page, pages=pages)
