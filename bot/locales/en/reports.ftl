## /report: sales, GMV and commission per period, per sub-agent, and the daily chart.

reports-title-today = 📈 { $party } — today ({ $start })
reports-title-7d = 📈 { $party } — the last 7 days ({ $start } – { $end })
reports-title-30d = 📈 { $party } — the last 30 days ({ $start } – { $end })
reports-title-month = 📈 { $party } — this month ({ $start } – { $end })
reports-sales = 🧾 Own sales: { $orders ->
        [one] one order
       *[other] { $orders } orders
    }, { $cards ->
        [one] one card
       *[other] { $cards } cards
    }, { $gmv }
reports-commission = 🏆 Commission earned: { $commission }
reports-children-title = 👥 Sub-agents: { $count } (page { $page } of { $pages })
reports-child = • { $name }: { $orders ->
        [one] one order
       *[other] { $orders } orders
    }, { $cards ->
        [one] one card
       *[other] { $cards } cards
    }, { $gmv } — your commission { $commission }

reports-period-today = Today
reports-period-7d = 7 days
reports-period-30d = 30 days
reports-period-month = This month
reports-button-chart = 📊 Chart
reports-button-prev = ‹ Previous
reports-button-next = Next ›
reports-chart-caption = 📊 Daily sales of { $party }, { $start } – { $end }: { $gmv } in total.
