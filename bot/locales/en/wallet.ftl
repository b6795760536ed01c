## /wallet: the figures, the last lines with what each was for, more lines, the CSV statement.

wallet-title =
    💰 { $party } — wallet
    Balance: { $balance }
    • held for orders in progress: { $held }
    • available: { $available }
    Credit limit: { $credit }
wallet-spendable = With your credit you can spend up to { $spendable }.
wallet-commission = Commission earned, paid into the wallet monthly: { $commission }
wallet-last_lines = Last transactions:
wallet-no_lines = No transactions yet.
wallet-no_more_lines = There are no more lines.
wallet-lines_title = 🧾 Transactions { $first }–{ $last } of { $total }:
wallet-line = { $when } · { $direction ->
        [in] +{ $amount }
       *[out] −{ $amount }
    } · { $what }
wallet-line_memo = { $when } · { $direction ->
        [in] +{ $amount }
       *[out] −{ $amount }
    } · { $what }: { $memo }
wallet-what-topup = Top-up from Steller
wallet-what-allocation-in = Received from { $name }
wallet-what-allocation-out = Sent to { $name }
wallet-what-reclaim-in = Taken back from { $name }
wallet-what-reclaim-out = Taken back by { $name }
wallet-what-adjustment = Adjustment by Steller
wallet-what-order_hold = Order
wallet-what-order_capture = Order settled
wallet-what-order_release = Refund
wallet-what-commission_accrual = Commission earned
wallet-what-commission_payout = Commission paid out
wallet-what-other = Other
wallet-button-statement = 📄 Statement (CSV)
wallet-button-more = More lines ›
wallet-button-newer = ‹ Newer
wallet-button-older = Older ›
wallet-button-wallet = ‹ Wallet
wallet-statement_caption = 📄 Statement of { $party }: { $lines ->
        [one] one line
       *[other] { $lines } lines
    }, oldest first, times in UTC.
