## The admin side: /admin menu, applications, invite links, money, parties, the tree and payouts.

admin-menu = 🛠 Steller admin — what would you like to do?
admin-area-pending = 📝 Applications
admin-area-invite = 🔗 Agent invite
admin-area-credit = 💰 Credit
admin-area-adjust = 🧾 Adjust
admin-area-discount = 🏷 Discounts
admin-area-creditlimit = 💳 Credit limit
admin-area-cardlist = 🗂 Card lists
admin-area-freeze = ❄️ Freeze / unfreeze
admin-area-party = 🔎 Party
admin-area-tree = 🌳 Tree
admin-area-metrics = 📊 Metrics
admin-area-vendor = 🏦 Vendor
admin-area-sync = 🔄 Catalog sync
admin-area-audit = 📜 Audit log
admin-area-payout = 🏆 Commission payout
admin-area-broadcast = 📣 Broadcast
admin-area-admins = 👮 Admins

admin-kind-partner = partner
admin-kind-agent = agent
admin-kind-subagent = sub-agent
admin-status-pending = ⏳ pending
admin-status-active = ✅ active
admin-status-frozen = ❄️ frozen
admin-status-closed = ⛔ closed
admin-order_status-pending = ⏳ waiting
admin-order_status-placing = ⏳ being placed
admin-order_status-processing = 🔄 in progress
admin-order_status-completed = ✅ delivered
admin-order_status-partially_completed = ⚠️ partly delivered
admin-order_status-failed = ❌ not delivered

admin-button-menu = 🛠 Admin menu
admin-button-card = 🔎 { $name }
admin-button-previous = ‹ Previous
admin-button-next = Next ›
admin-page = Page { $page } of { $pages }
admin-cancelled = Cancelled. Nothing was changed.
admin-ask-party = { $what }: type the party's id (like 42) or its exact name. /cancel stops.
admin-party-not_found = No party has the id or the name “{ $ref }”. Look it up in /tree.
admin-party-ambiguous = Several parties are named “{ $ref }”: { $ids }. Name one by its id.

## Applications (/pending); the applicant is told of the decision.

admin-pending-none = No applications are waiting.
admin-pending-title = 📝 { $count ->
        [one] One application is waiting
       *[other] { $count } applications are waiting
    }:
admin-pending-line = { $index }. { $name } (#{ $id }, { $kind }) — applied { $applied } by { $applicant } (Telegram { $telegram })
admin-pending-button-approve = ✅ { $index }. { $name }
admin-pending-button-reject = ❌ Reject { $index }
admin-pending-button-reject_confirm = ❌ Reject
admin-pending-approved = ✅ { $name } is approved and active; they were told.
admin-pending-rejected = ❌ { $name } was rejected; they were told.
admin-pending-decided = This application was already decided. Nothing was changed.
admin-pending-reject_confirm = Reject the application of { $name } (#{ $id })? The account is closed for good and the applicant is told.
party-approved = ✅ Your application for { $name } was approved. Open /menu to start.
party-rejected = Your application for { $name } was not approved. For questions, write to support.

## Invite links for new agents and partners (/agent_invite).

admin-invite-menu = 🔗 Invite a new top-level account. Each link works once and expires; /agent_invite partner 5 makes a partner link for five people.
admin-invite-button-agent = 🔗 Agent link
admin-invite-button-partner = 🤝 Partner link
admin-invite-button-list = 📋 Open links ({ $count })
admin-invite-button-share = 📤 Share
admin-invite-button-more = More invites
admin-invite-created = 🔗 A link for a new { $kind }, for { $uses ->
        [one] one person
       *[other] { $uses } people
    }, valid until { $expires }. It is shown only this once:
admin-invite-usage = Usage: /agent_invite [agent|partner] [how many people, 1–1000]
admin-invite-none = No admin invite links are open.
admin-invite-list = 📋 { $count ->
        [one] One open link
       *[other] { $count } open links
    }:
admin-invite-line = • { $hint }… { $kind } — { $left } of { $uses } left, until { $expires }
admin-invite-button-revoke = 🚫 Revoke { $hint }…
admin-invite-button-revoke_confirm = 🚫 Revoke
admin-invite-revoke_confirm = Revoke the link { $hint }…? Nobody can join with it afterwards.
admin-invite-revoked = 🚫 The link { $hint }… is revoked.
admin-invite-gone = That link is no longer open.

## Money: /credit, /adjust, /creditlimit.

admin-credit-usage = Usage: /credit <party> <amount> <external reference> — for example /credit 42 150 BANK-7731. A name with spaces goes in quotes: /credit "Top Agent" 150 BANK-7731
admin-credit-ask_amount = 💰 Credit { $party } (#{ $id }). Available now: { $available }. Type the amount, like 150 or 150.50.
admin-credit-ask_text = Crediting { $amount } to { $party }. Type the external reference (the bank transfer or receipt id): the same reference never credits twice.
admin-credit-text_invalid = The external reference is 1 to { $limit } characters.
admin-credit-confirm =
    💰 Credit { $party } (#{ $id }, { $kind })
    Amount: { $amount }
    External reference: { $text }
    Available: { $available } → { $after }
admin-credit-not_active = ⚠️ This account is { $status }: a top-up will be refused until it is active.
admin-credit-done = ✅ { $amount } credited to { $party } (reference { $text }). Available now: { $available }.
admin-credit-replayed = ℹ️ The reference { $text } was already credited to { $party } ({ $amount }): nothing new moved. Available: { $available }.

admin-adjust-usage = Usage: /adjust <party> <±amount> <reason> — for example /adjust 42 -12.50 duplicate order refund. A name with spaces goes in quotes.
admin-adjust-ask_amount = 🧾 Adjust { $party } (#{ $id }). Available now: { $available }, credit limit { $limit }. Type the amount with its sign: +20 adds, -5 takes away.
admin-adjust-ask_text = Adjusting { $party } by { $amount }. Type the reason (it is kept with the entry).
admin-adjust-text_invalid = The reason is 1 to { $limit } characters.
admin-adjust-confirm =
    🧾 Adjust { $party } (#{ $id }, { $kind })
    Amount: { $amount }
    Reason: { $text }
    Available: { $available } → { $after }
admin-adjust-done = ✅ { $party } adjusted by { $amount } ({ $text }). Available now: { $available }.

admin-creditlimit-usage = Usage: /creditlimit <party> <amount> — for example /creditlimit 42 500, or 0 to take the credit away.
admin-creditlimit-ask_amount = 💳 Credit limit of { $party } (#{ $id }): now { $limit }; available { $available }. Type the new limit (0 takes the credit away).
admin-creditlimit-confirm =
    💳 Credit limit of { $party } (#{ $id }, { $kind })
    Limit: { $before } → { $amount }
    Available: { $available }; it may spend up to { $spendable }
admin-creditlimit-done = ✅ The credit limit of { $party } is now { $limit }. Available: { $available }.

## One party (/party), the tree (/tree), freezing.

admin-party-card =
    🔎 { $name } · #{ $id }
    { $kind } · { $status } · level { $level } · { $currency }
    Place: { $place }
    Below it: { $children ->
        [one] one account
       *[other] { $children } accounts
    } · members: { $members }
    Available: { $available } · held: { $held }
    Credit limit: { $limit } · commission accrued: { $commission }
admin-party-top = Steller
admin-party-frozen_by_admin = ❄️ Frozen by Steller.
admin-party-frozen_by_parent = ❄️ Frozen by its parent.
admin-party-orders = Latest orders:
admin-party-order_line = { $status } { $when } · { $quantity } × { $product } · { $total }
admin-party-no_orders = No orders yet.
admin-party-button-freeze = ❄️ Freeze
admin-party-button-unfreeze = 🔓 Unfreeze
admin-party-button-credit = 💰 Credit
admin-party-button-adjust = 🧾 Adjust
admin-party-button-creditlimit = 💳 Limit
admin-party-button-children = 👥 Children ({ $count })
admin-party-button-parent = ⬆️ { $name }

admin-tree-top = 🌳 Top level: { $count ->
        [one] one account
       *[other] { $count } accounts
    }
admin-tree-under = 🌳 Under { $name } (#{ $id }): { $count ->
        [one] one account
       *[other] { $count } accounts
    }
admin-tree-line = { $index }. { $name } #{ $id } · { $kind } · { $status } · { $available } · { $children } below
admin-tree-empty = Nothing here yet.
admin-tree-button-card = { $index }. { $name }
admin-tree-button-children = ▾ { $count }
admin-tree-button-up = ⬆️ Up

admin-freeze-confirm = ❄️ Freeze { $name } (#{ $id }, { $kind })? It can still read, but not order or move money, until Steller unfreezes it.
admin-unfreeze-confirm = 🔓 Unfreeze { $name } (#{ $id }, { $kind })? It can order and move money again.
admin-freeze-done = ❄️ { $name } is frozen.
admin-unfreeze-done = 🔓 { $name } is active again.
admin-freeze-not_possible = { $name } is { $status }: only an active account can be frozen.
admin-unfreeze-not_possible = { $name } is { $status }: only a frozen account can be unfrozen.

## Paying commission now (/payout).

admin-payout-none = No commission is waiting to be paid.
admin-payout-title = 🏆 Commission accrued by { $count ->
        [one] one account
       *[other] { $count } accounts
    }:
admin-payout-line = • { $name } #{ $id }: { $amount }
admin-payout-line_skipped = • { $name } #{ $id }: { $amount } — { $status }, not paid now
admin-payout-more = …and { $count } more.
admin-payout-nothing_payable = None of them is active: nothing can be paid now.
admin-payout-total = Pay { $total } to { $parties ->
        [one] one account
       *[other] { $parties } accounts
    } now?
admin-payout-button-pay = 🏆 Pay now
admin-payout-done = ✅ Paid { $total } to { $parties ->
        [one] one account
       *[other] { $parties } accounts
    }; each was told.
admin-payout-done_nothing = Nothing was left to pay: it was paid already.
admin-payout-skipped = { $count ->
        [one] One account was not active and kept its commission.
       *[other] { $count } accounts were not active and kept their commission.
    }

## Refusals of the core on admin actions (error-<code>).

error-party-not_found = There is no such party.
error-party-ambiguous = Several parties have that name: name one by its id.
error-party-invalid_transition = That account's status does not allow this change.
error-ledger-credit_limit_below_usage = The wallet already uses more credit than that limit.
error-ledger-reference_required = A top-up needs an external reference.
error-ledger-reason_required = An adjustment needs a reason.
error-ledger-invalid_amount = That amount is not possible here.
error-idempotency-mismatch = That reference was already used for a different amount or account. Use a new one.
