## /order و /orders.

order-choose_card = 🛒 أي بطاقة؟
order-empty_catalog = لا توجد بطاقات متاحة لك الآن. اسأل وكيلك أو ستيلر.
order-unavailable = هذه البطاقة غير متاحة الآن.
order-next_page = التالي ‹
order-previous_page = › السابق
order-first_page = » الأولى
order-choose_face = { $name }: ما القيمة؟
order-type_face = { $name }: اكتب القيمة، من { $low } إلى { $high }.
order-not_a_face = هذه ليست قيمة لهذه البطاقة. اكتب قيمة من { $low } إلى { $high }.
order-choose_quantity = { $name } { $face }: كم بطاقة؟
order-other_quantity = كمية أخرى
order-type_quantity = اكتب عدد البطاقات (من 1 إلى { $max }).
order-not_a_quantity = هذه ليست كمية. اكتب عددًا صحيحًا من 1 إلى { $max }.
order-summary =
    🧾 { $quantity ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $quantity } بطاقات
        [many] { $quantity } بطاقة
       *[other] { $quantity } بطاقة
    }: { $name } { $face }
    الإجمالي: { $total }
    رصيدك بعد الطلب: { $after }
order-not_enough = ⚠️ يمكنك إنفاق { $spendable } الآن: سيُرفض هذا الطلب.
order-cancelled = أُلغي: لم يُطلب شيء.

orders-title = 📦 طلباتك الأخيرة:
orders-none = لا طلبات لديك بعد. افتح /order لشراء بطاقات.
orders-line = { $status } { $date } · { $quantity ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $quantity } بطاقات
        [many] { $quantity } بطاقة
       *[other] { $quantity } بطاقة
    } · { $total }
orders-icon-pending = ⏳
orders-icon-placing = ⏳
orders-icon-processing = 🔄
orders-icon-completed = ✅
orders-icon-partially_completed = ⚠️
orders-icon-failed = ❌
orders-card =
    الطلب { $short } — { $status }
    { $quantity ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $quantity } بطاقات
        [many] { $quantity } بطاقة
       *[other] { $quantity } بطاقة
    }: { $name } { $face } · { $total }
orders-status-pending = ⏳ بانتظار الإرسال
orders-status-placing = ⏳ قيد الإرسال
orders-status-processing = 🔄 يجهّزه المورد
orders-status-completed = ✅ تم التسليم
orders-status-partially_completed = ⚠️ سُلّم جزئيًا
orders-status-failed = ❌ لم يُسلَّم
orders-cards_delivered = سُلّم { $cards } من { $quantity }:
orders-refunded = ↩️ عاد { $total } إلى محفظتك.
orders-reveal = 👁 إظهار { $masked }
orders-revealed =
    🔑 الرمز: { $code }
    الرقم السري: { $pin }
    تُحذف هذه الرسالة تلقائيًا بعد { $seconds } ثانية.
