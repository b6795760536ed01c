## /subagents (the list, a sub-agent's card, its orders and report, freeze) and /allocate, /reclaim.

subagents-none = You have no sub-agents yet. Invite one with /invite.
subagents-title = 👥 { $count ->
        [one] One sub-agent
       *[other] { $count } sub-agents
    }:
subagents-page = Page { $page } of { $pages }
subagents-line = { $index }. { $name } — { $status } · available { $available } · sold this month { $sold }
subagents-open_button = { $index }. { $name }
subagents-card =
    👤 { $name } ({ $kind })
    Status: { $status }
    Available: { $available }
    This month: { $sold } sold · { $orders ->
        [one] one order
       *[other] { $orders } orders
    } · { $cards ->
        [one] one card
       *[other] { $cards } cards
    }
subagents-kind-agent = agent
subagents-kind-subagent = sub-agent
subagents-kind-partner = partner
subagents-status-pending = ⏳ pending
subagents-status-active = ✅ active
subagents-status-frozen = ❄️ frozen
subagents-status-closed = ⛔ closed

subagents-button-allocate = 💸 Allocate
subagents-button-reclaim = ↩️ Reclaim
subagents-button-freeze = ❄️ Freeze
subagents-button-unfreeze = 🔓 Unfreeze
subagents-button-orders = 📦 Orders
subagents-button-report = 📈 Report
subagents-button-list = ‹ Sub-agents
subagents-button-previous = ‹ Previous
subagents-button-next = Next ›
subagents-button-menu = Menu
subagents-button-to_child = ‹ { $name }

subagents-orders-none = { $name } has no orders yet.
subagents-orders-title = 📦 Recent orders of { $name }:
subagents-orders-line = { $status } { $when } · { $quantity } × { $product } · { $total }
subagents-order_status-pending = ⏳ waiting
subagents-order_status-placing = ⏳ being placed
subagents-order_status-processing = 🔄 in progress
subagents-order_status-completed = ✅ delivered
subagents-order_status-partially_completed = ⚠️ partly delivered
subagents-order_status-failed = ❌ not delivered

subagents-report =
    📈 { $name } — { $period } ({ $start } – { $end })
    Sold: { $sold } · { $orders ->
        [one] one order
       *[other] { $orders } orders
    } · { $cards ->
        [one] one card
       *[other] { $cards } cards
    }
    Your commission on these sales: { $earned }
subagents-period-today = Today
subagents-period-7d = 7 days
subagents-period-30d = 30 days
subagents-period-month = This month

subagents-freeze-confirm = ❄️ Freeze { $name }? They can still look at their account, but cannot order or move money until you unfreeze them.
subagents-unfreeze-confirm = 🔓 Unfreeze { $name }? They can order and move money again.
subagents-freeze-done = ❄️ { $name } is frozen.
subagents-unfreeze-done = 🔓 { $name } is active again.

subagents-allocate-pick = 💸 Send money to which sub-agent?
subagents-reclaim-pick = ↩️ Take money back from which sub-agent?
subagents-pick_button = { $name } · { $available }
subagents-allocate-ask =
    💸 How much do you want to send to { $child }?
    You have { $yours } available; { $child } has { $theirs }.
    Type the amount (like 12 or 12.50), or /cancel.
subagents-reclaim-ask =
    ↩️ How much do you want to take back from { $child }?
    { $child } has { $theirs } available; you have { $yours }.
    Type the amount (like 12 or 12.50), or /cancel.
subagents-not_an_amount = That is not an amount. Type it like 12 or 12.50, or /cancel. Nothing was moved.
subagents-allocate-summary =
    💸 Send { $amount } from { $parent } to { $child }?
    Your balance after: { $after }
subagents-reclaim-summary =
    ↩️ Take { $amount } back from { $child } to { $parent }?
    { $child } keeps: { $keeps }
    Your balance after: { $after }
subagents-allocate-not_enough = ⚠️ You have only { $available } available: this would be refused.
subagents-reclaim-not_enough = ⚠️ { $child } has only { $available } available: this would be refused.
subagents-move_cancelled = Cancelled: no money moved.
subagents-allocate-done = ✅ Sent { $amount } to { $child }; they are told. Your available balance: { $available }. { $child } now has { $theirs }.
subagents-reclaim-done = ✅ Took { $amount } back from { $child }. Your available balance: { $available }. { $child } now has { $theirs }.
