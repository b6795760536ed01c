## Messages the core and the workers send (keys named by the core: dots become dashes).
## Money parameters arrive formatted with their currency ("1,234.50 USD").

order-completed = ✅ Your order of { $quantity ->
        [one] one card
       *[other] { $quantity } cards
    } is delivered ({ $total }). Open /orders to see the codes.
order-partially_completed = ⚠️ { $cards } of { $quantity ->
        [one] one card
       *[other] { $quantity } cards
    } { $cards ->
        [one] was
       *[other] were
    } delivered; the rest was refunded. Open /orders to see the codes.
order-failed = ❌ Your order could not be delivered and { $total } went back to your wallet.
admin-invariant_violations = 🚨 The ledger check found { $count ->
        [one] one violation
       *[other] { $count } violations
    }. First: { $first }
admin-vendor_balance_low = 💸 Bamboo balance is low: { $accounts }
admin-new_application = 📝 New agent application: { $name } (party { $party_id }).
admin-new_partner_signup = 🤝 New partner signup: { $name } ({ $email }, party { $party_id }). It can use the sandbox now; approve it for live use.
admin-vendor_config = ⚙️ Bamboo cannot take our orders ({ $problem }): { $error }. Orders wait and retry without losing attempts (first seen on order { $order_id }).
admin-order_attention = 🛑 Order { $order_id } ({ $status }) needs an admin: { $reason }. Settle it with `steller order resolve { $order_id } --fail` or `--complete-from-vendor`.
admin-orders_overdue = ⏳ { $count ->
        [one] One order is
       *[other] { $count } orders are
    } still open after { $hours } h: { $orders }. See `steller order attention`.
admin-vendor_cost_difference = 💱 Bamboo charged { $charged } for order { $order_id }, quoted { $quoted }: a difference of { $difference }, absorbed by revenue.
admin-vendor_drift = 📉 Bamboo's transactions differ from our vendor bookings for { $count ->
        [one] one charge
       *[other] { $count } charges
    } ({ $amounts }): { $orders }
engagement-nudge = 👋 We have not seen an order from you for { $days ->
        [one] a day
       *[other] { $days } days
    }. Your cards are ready in /order.
button-open_orders = Open orders
button-open_applications = Open applications
button-open_vendor = Open vendor status
button-open_stuck_orders = Open stuck orders
button-open_audit = Open the audit log
wallet-credited-topup = 💰 { $amount } was added to your wallet. Available: { $available }.
wallet-credited-allocation = 💰 Your agent sent you { $amount }. Available: { $available }.
wallet-credited-reclaim = ↩️ { $amount } came back to your wallet from a sub-agent. Available: { $available }.
wallet-credited-adjustment = 🧾 An adjustment of { $amount } was credited to your wallet. Available: { $available }.
wallet-credited-commission = 🏆 Your commission of { $amount } was paid into your wallet. Available: { $available }.
wallet-low_balance = ⚠️ Your wallet is running low: { $available } available.
invite-joined-party = 🎉 { $name } joined as your { $kind ->
        [agent] agent
       *[subagent] sub-agent
    } “{ $party }”.
invite-joined-member = 🎉 { $name } joined your team as { $role ->
        [manager] a manager
       *[viewer] a viewer
    }.
order-live = 📦 Your order has news: open /orders to see it.
wallet-reclaimed = ↩️ Your agent took { $amount } back from your wallet. Available: { $available }.
party-frozen = ❄️ Your account “{ $name }” was frozen: you can look, but not order or move money. Contact your agent or support.
party-unfrozen = ✅ Your account “{ $name }” is active again.
