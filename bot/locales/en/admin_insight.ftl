## Admin insight: /metrics, /vendor, /sync and /audit.

admin_insight-button-menu = 🛠 Admin menu
admin_insight-button-back = ‹ Back

## Metrics (/metrics).

admin_insight-metrics-usage = Use: /metrics [today | 7d | 30d]
admin_insight-metrics-title-today = 📊 Steller today ({ $start }, UTC)
admin_insight-metrics-title-7d = 📊 Steller, the last 7 days ({ $start } – { $end }, UTC)
admin_insight-metrics-title-30d = 📊 Steller, the last 30 days ({ $start } – { $end }, UTC)
admin_insight-metrics-period-today = Today
admin_insight-metrics-period-7d = 7 days
admin_insight-metrics-period-30d = 30 days
admin_insight-metrics-signups = 🆕 Signups: { $count } (agents { $agents }, sub-agents { $subagents }, partners { $partners })
admin_insight-metrics-activations = 🚀 Activations (first sale): { $count }
admin_insight-metrics-orders = 🧾 Orders delivered: { $orders ->
        [one] one order
       *[other] { $orders } orders
    }, { $cards ->
        [one] one card
       *[other] { $cards } cards
    }
admin_insight-metrics-money = 💵 { $currency }: GMV { $gmv } · revenue { $revenue } · margin { $margin }
admin_insight-metrics-margin = { $percent } %
admin_insight-metrics-no_sales = No sales in this period.
admin_insight-metrics-button-chart = 📈 Chart
admin_insight-metrics-button-about = ℹ️ Definitions
admin_insight-metrics-chart-caption = 📈 GMV per day in { $currency }, { $start } – { $end } (UTC): { $gmv } in total.
admin_insight-metrics-about = ℹ️ How the figures are counted (live business only: sandbox orders are left out; days are UTC)
    • Signups: parties created in the period (agents, sub-agents, partners), pending applications included.
    • Activations: parties whose first order that delivered at least one card settled in the period.
    • Orders: orders settled in the period that delivered at least one card, and the cards they delivered.
    • GMV: what buyers paid for those delivered cards, per wallet currency.
    • Revenue: the platform's margin captured — the net movement of the ledger's revenue account booked by the settlement of the orders settled in the period (minus what the platform paid when the vendor charged more than quoted or a card sold below cost). Commission earned by parents is not revenue.
    • Margin: revenue ÷ GMV in the same currency.

## Vendor (/vendor).

admin_insight-vendor-title = 🏦 Vendor (Bamboo)
admin_insight-vendor-balance-title = 💰 Account balances (read { $at }):
admin_insight-vendor-balance-account-active = • Account { $id }: { $balance }
admin_insight-vendor-balance-account-inactive = • Account { $id }: { $balance } (inactive)
admin_insight-vendor-balance-low = {" "}⚠️ low
admin_insight-vendor-balance-none = • Bamboo reported no accounts.
admin_insight-vendor-balance-unknown = 💰 Account balances: not read yet.
admin_insight-vendor-balance-error = ⚠️ Bamboo did not answer at { $at }: { $error }
admin_insight-vendor-balance-refreshing = ⏳ Asking Bamboo for the balances now…
admin_insight-vendor-limits-title = ⏱ Rate limits (shared by every worker):
admin_insight-vendor-limits-quiet = • No calls in the current windows.
admin_insight-vendor-limits-line = • { $endpoint }: { $used } of { $limit } per { $period }
admin_insight-vendor-limits-blocked = {" "}— ⛔ Bamboo asked us to wait { $seconds } s
admin_insight-vendor-period-seconds = { $count } s
admin_insight-vendor-period-minutes = { $count ->
        [one] minute
       *[other] { $count } minutes
    }
admin_insight-vendor-period-hours = { $count ->
        [one] hour
       *[other] { $count } hours
    }
admin_insight-vendor-catalog-title = 🔄 Catalog — cards: { $products } (gone from Bamboo, kept for old orders: { $gone })
admin_insight-vendor-catalog-never = • No catalog sync has finished yet.
admin_insight-vendor-catalog-last-full = • Last sync: full, finished { $at } — pages: { $pages }, new: { $added }, changed: { $changed }, gone: { $gone }
admin_insight-vendor-catalog-last-changes = • Last sync: changes only, finished { $at } — pages: { $pages }, new: { $added }, changed: { $changed }
admin_insight-vendor-catalog-running = • Running now (or waiting to resume): started { $at } — pages: { $pages }, cards so far: { $products }
admin_insight-vendor-catalog-error = • Its last error: { $error }
admin_insight-vendor-catalog-failed = • Last failed run: { $at } — { $error }
admin_insight-vendor-stuck-none = ✅ No orders stuck at the vendor.
admin_insight-vendor-stuck-title = ⚠️ { $count ->
        [one] One order needs
       *[other] { $count } orders need
    } an admin:
admin_insight-vendor-stuck-open = • { $order } ({ $status }) since { $since }: { $reason }
admin_insight-vendor-stuck-halted = • { $order } ({ $status }, halted) since { $since }: { $reason }
admin_insight-vendor-stuck-more = • … and { $count } more (`steller order attention`).
admin_insight-vendor-button-refresh = 🔄 Refresh

## Catalog sync (/sync); the worker edits the same message as the sync goes on.

admin_insight-sync-usage = Use: /sync (the changes since the last sync) or /sync full (everything; also marks cards that left Bamboo as gone).
admin_insight-sync-menu = 🔄 Catalog sync — cards in the catalog: { $products }.
admin_insight-sync-last = Last sync finished { $at }.
admin_insight-sync-running = A sync is running (or waiting to resume) since { $at }: a new one continues it.
admin_insight-sync-button-changes = 🔄 Changes since the last sync
admin_insight-sync-button-full = 🔁 Full sync
admin_insight-sync-kind-full = full
admin_insight-sync-kind-changes = changes only
admin_insight-sync-queued = 🔄 Catalog sync ({ $kind }): queued, starting in a moment…
admin_insight-sync-progress-started = 🔄 Catalog sync ({ $kind }) — pages: { $pages }, cards so far: { $products }…
admin_insight-sync-progress-known = 🔄 Catalog sync ({ $kind }) — page { $pages } of { $total }, cards so far: { $products }…
admin_insight-sync-done = ✅ Catalog sync ({ $kind }) done in { $seconds } s — pages: { $pages }, cards seen: { $products }, new: { $added }, changed: { $changed }, gone: { $gone }.
admin_insight-sync-gone_skipped = ⚠️ Bamboo answered far fewer cards than we have: none were marked gone (suspected vendor glitch).
admin_insight-sync-busy = ⏳ Another catalog sync is running right now. Try again when it has finished (see /vendor).
admin_insight-sync-failed = ❌ Catalog sync stopped: { $error }. The next sync continues where it stopped.

## Audit log (/audit).

admin_insight-audit-usage = Use: /audit [filters], combined as you like:
    • action:ledger — every ledger.* action (or a whole one: action:pricing.discount)
    • actor:tg:42 — what one admin did (also actor:cli, actor:system)
    • party:12, order:<id>, card_list:3 — what happened to one object
admin_insight-audit-title = 📜 Audit log, newest first
admin_insight-audit-title-filtered = 📜 Audit log, newest first — { $filters }
admin_insight-audit-none = Nothing recorded.
admin_insight-audit-no_more = No older entries.
admin_insight-audit-entry = #{ $id } · { $when } · { $actor } ({ $request })
    { $action } · { $target }
    { $before } → { $after }
admin_insight-audit-button-newest = ⏮ Newest
admin_insight-audit-button-older = Older ›
