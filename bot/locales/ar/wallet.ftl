## /wallet: الأرقام، وآخر المعاملات مع سبب كل منها، والمزيد منها، وكشف الحساب بصيغة CSV.

wallet-title =
    💰 { $party } — المحفظة
    الرصيد: { $balance }
    • محجوز لطلبات قيد التنفيذ: { $held }
    • متاح: { $available }
    حد الائتمان: { $credit }
wallet-spendable = مع الائتمان يمكنك إنفاق ما يصل إلى { $spendable }.
wallet-commission = العمولة المكتسبة، تُدفع إلى المحفظة شهريًا: { $commission }
wallet-last_lines = آخر المعاملات:
wallet-no_lines = لا توجد معاملات بعد.
wallet-no_more_lines = لا توجد أسطر أخرى.
wallet-lines_title = 🧾 المعاملات { $first }–{ $last } من { $total }:
wallet-line = { $when } · { $direction ->
        [in] +{ $amount }
       *[out] −{ $amount }
    } · { $what }
wallet-line_memo = { $when } · { $direction ->
        [in] +{ $amount }
       *[out] −{ $amount }
    } · { $what }: { $memo }
wallet-what-topup = شحن من ستيلر
wallet-what-allocation-in = مستلم من { $name }
wallet-what-allocation-out = مُرسل إلى { $name }
wallet-what-reclaim-in = مسترد من { $name }
wallet-what-reclaim-out = استرده { $name }
wallet-what-adjustment = تسوية من ستيلر
wallet-what-order_hold = طلب
wallet-what-order_capture = تسوية طلب
wallet-what-order_release = استرداد
wallet-what-commission_accrual = عمولة مكتسبة
wallet-what-commission_payout = صرف العمولة
wallet-what-other = أخرى
wallet-button-statement = 📄 كشف الحساب (CSV)
wallet-button-more = ‹ المزيد
wallet-button-newer = الأحدث ›
wallet-button-older = ‹ الأقدم
wallet-button-wallet = المحفظة ›
wallet-statement_caption = 📄 كشف حساب { $party }: { $lines ->
        [zero] لا أسطر
        [one] سطر واحد
        [two] سطران
        [few] { $lines } أسطر
        [many] { $lines } سطرًا
       *[other] { $lines } سطر
    }، الأقدم أولًا، والأوقات بتوقيت UTC.
