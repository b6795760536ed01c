## الرسائل التي يرسلها النظام والعمّال (مفاتيح يسميها النظام: النقاط تصبح شرطات).
## تصل المبالغ منسّقة مع عملتها.

order-completed = ✅ تم تسليم طلبك { $quantity ->
        [zero] بلا بطاقات
        [one] ببطاقة واحدة
        [two] ببطاقتين
        [few] المكون من { $quantity } بطاقات
        [many] المكون من { $quantity } بطاقة
       *[other] المكون من { $quantity } بطاقة
    } ({ $total }). افتح /orders لرؤية الرموز.
order-partially_completed = ⚠️ تم تسليم { $cards } من { $quantity ->
        [zero] بطاقات
        [one] بطاقة واحدة
        [two] بطاقتين
        [few] { $quantity } بطاقات
        [many] { $quantity } بطاقة
       *[other] { $quantity } بطاقة
    } وأعيد الباقي إلى محفظتك. افتح /orders لرؤية الرموز.
order-failed = ❌ تعذر تسليم طلبك وأعيد مبلغ { $total } إلى محفظتك.
admin-invariant_violations = 🚨 وجد فحص الدفتر { $count ->
        [zero] صفر مخالفات
        [one] مخالفة واحدة
        [two] مخالفتين
        [few] { $count } مخالفات
        [many] { $count } مخالفة
       *[other] { $count } مخالفة
    }. الأولى: { $first }
admin-vendor_balance_low = 💸 رصيد بامبو منخفض: { $accounts }
admin-new_application = 📝 طلب وكيل جديد: { $name } (الحساب { $party_id }).
admin-new_partner_signup = 🤝 تسجيل شريك جديد: { $name } ({ $email }، الحساب { $party_id }). يمكنه استخدام بيئة الاختبار الآن؛ وافق عليه للاستخدام الفعلي.
admin-vendor_config = ⚙️ لا تقبل بامبو طلباتنا ({ $problem }): { $error }. تنتظر الطلبات وتعيد المحاولة دون احتساب محاولات (أول طلب: { $order_id }).
admin-order_attention = 🛑 الطلب { $order_id } ({ $status }) يحتاج إلى مشرف: { $reason }. سوِّه بالأمر `steller order resolve { $order_id } --fail` أو `--complete-from-vendor`.
admin-orders_overdue = ⏳ { $count ->
        [zero] لا طلبات مفتوحة
        [one] طلب واحد ما زال مفتوحًا
        [two] طلبان ما زالا مفتوحين
        [few] { $count } طلبات ما زالت مفتوحة
        [many] { $count } طلبًا ما زالت مفتوحة
       *[other] { $count } طلب ما زالت مفتوحة
    } بعد { $hours } ساعة: { $orders }. راجع `steller order attention`.
admin-vendor_cost_difference = 💱 خصمت بامبو { $charged } عن الطلب { $order_id } والسعر المقدَّر { $quoted }: فرق قدره { $difference } تتحمله الإيرادات.
admin-vendor_drift = 📉 تختلف معاملات بامبو عن قيود المورد لدينا في { $count ->
        [zero] صفر عمليات خصم
        [one] عملية خصم واحدة
        [two] عمليتي خصم
        [few] { $count } عمليات خصم
        [many] { $count } عملية خصم
       *[other] { $count } عملية خصم
    } ({ $amounts }): { $orders }
engagement-nudge = 👋 لم نرَ طلبًا منك منذ { $days ->
        [zero] اليوم
        [one] يوم واحد
        [two] يومين
        [few] { $days } أيام
        [many] { $days } يومًا
       *[other] { $days } يوم
    }. بطاقاتك جاهزة في /order.
button-open_orders = فتح الطلبات
button-open_applications = فتح الطلبات المقدّمة
button-open_vendor = فتح حالة المورّد
button-open_stuck_orders = فتح الطلبات العالقة
button-open_audit = فتح سجل التدقيق
wallet-credited-topup = 💰 أُضيف { $amount } إلى محفظتك. المتاح: { $available }.
wallet-credited-allocation = 💰 أرسل إليك وكيلك { $amount }. المتاح: { $available }.
wallet-credited-reclaim = ↩️ عاد { $amount } إلى محفظتك من وكيل فرعي. المتاح: { $available }.
wallet-credited-adjustment = 🧾 أُضيفت تسوية بمبلغ { $amount } إلى محفظتك. المتاح: { $available }.
wallet-credited-commission = 🏆 دُفعت عمولتك البالغة { $amount } إلى محفظتك. المتاح: { $available }.
wallet-low_balance = ⚠️ رصيد محفظتك منخفض: المتاح { $available }.
invite-joined-party = 🎉 انضم { $name } { $kind ->
        [agent] وكيلًا
       *[subagent] وكيلًا فرعيًا
    } لديك باسم «{ $party }».
invite-joined-member = 🎉 انضم { $name } إلى فريقك { $role ->
        [manager] مديرًا
       *[viewer] مُطّلعًا
    }.
order-live = 📦 لطلبك مستجدات: افتح /orders لتراها.
wallet-reclaimed = ↩️ استرد وكيلك { $amount } من محفظتك. المتاح: { $available }.
party-frozen = ❄️ جُمّد حسابك «{ $name }»: يمكنك الاطلاع فقط، دون طلب أو تحويل أموال. تواصل مع وكيلك أو الدعم.
party-unfrozen = ✅ عاد حسابك «{ $name }» نشطًا.
