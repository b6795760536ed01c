## /subagents (القائمة، وبطاقة الوكيل الفرعي، وطلباته وتقريره، والتجميد) و /allocate و /reclaim.

subagents-none = ليس لديك وكلاء فرعيون بعد. ادعُ أحدهم عبر /invite.
subagents-title = 👥 { $count ->
        [zero] لا وكلاء فرعيين
        [one] وكيل فرعي واحد
        [two] وكيلان فرعيان
        [few] { $count } وكلاء فرعيون
        [many] { $count } وكيلًا فرعيًا
       *[other] { $count } وكيل فرعي
    }:
subagents-page = الصفحة { $page } من { $pages }
subagents-line = { $index }. { $name } — { $status } · المتاح { $available } · مبيعات هذا الشهر { $sold }
subagents-open_button = { $index }. { $name }
subagents-card =
    👤 { $name } ({ $kind })
    الحالة: { $status }
    المتاح: { $available }
    هذا الشهر: مبيعات { $sold } · { $orders ->
        [zero] لا طلبات
        [one] طلب واحد
        [two] طلبان
        [few] { $orders } طلبات
        [many] { $orders } طلبًا
       *[other] { $orders } طلب
    } · { $cards ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $cards } بطاقات
        [many] { $cards } بطاقةً
       *[other] { $cards } بطاقة
    }
subagents-kind-agent = وكيل
subagents-kind-subagent = وكيل فرعي
subagents-kind-partner = شريك
subagents-status-pending = ⏳ قيد المراجعة
subagents-status-active = ✅ نشط
subagents-status-frozen = ❄️ مجمّد
subagents-status-closed = ⛔ مغلق

subagents-button-allocate = 💸 تحويل رصيد
subagents-button-reclaim = ↩️ استرداد رصيد
subagents-button-freeze = ❄️ تجميد
subagents-button-unfreeze = 🔓 رفع التجميد
subagents-button-orders = 📦 الطلبات
subagents-button-report = 📈 التقرير
subagents-button-list = الوكلاء الفرعيون ›
subagents-button-previous = السابق ›
subagents-button-next = ‹ التالي
subagents-button-menu = القائمة
subagents-button-to_child = { $name } ›

subagents-orders-none = لا طلبات لدى { $name } بعد.
subagents-orders-title = 📦 أحدث طلبات { $name }:
subagents-orders-line = { $status } { $when } · { $quantity } × { $product } · { $total }
subagents-order_status-pending = ⏳ بانتظار التنفيذ
subagents-order_status-placing = ⏳ قيد الإرسال
subagents-order_status-processing = 🔄 قيد التجهيز
subagents-order_status-completed = ✅ تم التسليم
subagents-order_status-partially_completed = ⚠️ سُلّم جزئيًا
subagents-order_status-failed = ❌ لم يُسلَّم

subagents-report =
    📈 { $name } — { $period } ({ $start } – { $end })
    المبيعات: { $sold } · { $orders ->
        [zero] لا طلبات
        [one] طلب واحد
        [two] طلبان
        [few] { $orders } طلبات
        [many] { $orders } طلبًا
       *[other] { $orders } طلب
    } · { $cards ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $cards } بطاقات
        [many] { $cards } بطاقةً
       *[other] { $cards } بطاقة
    }
    عمولتك من هذه المبيعات: { $earned }
subagents-period-today = اليوم
subagents-period-7d = 7 أيام
subagents-period-30d = 30 يومًا
subagents-period-month = هذا الشهر

subagents-freeze-confirm = ❄️ تجميد { $name }؟ سيظل بإمكانه الاطلاع على حسابه، لكن دون طلب أو تحويل أموال حتى ترفع التجميد.
subagents-unfreeze-confirm = 🔓 رفع التجميد عن { $name }؟ سيتمكن من الطلب وتحويل الأموال مجددًا.
subagents-freeze-done = ❄️ تم تجميد { $name }.
subagents-unfreeze-done = 🔓 { $name } نشط من جديد.

subagents-allocate-pick = 💸 إلى أي وكيل فرعي تريد إرسال المال؟
subagents-reclaim-pick = ↩️ من أي وكيل فرعي تريد استرداد المال؟
subagents-pick_button = { $name } · { $available }
subagents-allocate-ask =
    💸 كم تريد أن ترسل إلى { $child }؟
    المتاح لديك { $yours }؛ ولدى { $child } { $theirs }.
    اكتب المبلغ (مثل 12 أو 12.50)، أو /cancel للإلغاء.
subagents-reclaim-ask =
    ↩️ كم تريد أن تسترد من { $child }؟
    المتاح لدى { $child } { $theirs }؛ ولديك { $yours }.
    اكتب المبلغ (مثل 12 أو 12.50)، أو /cancel للإلغاء.
subagents-not_an_amount = هذا ليس مبلغًا. اكتبه هكذا: 12 أو 12.50، أو /cancel للإلغاء. لم يُحوَّل شيء.
subagents-allocate-summary =
    💸 إرسال { $amount } من { $parent } إلى { $child }؟
    رصيدك بعد العملية: { $after }
subagents-reclaim-summary =
    ↩️ استرداد { $amount } من { $child } إلى { $parent }؟
    يبقى لدى { $child }: { $keeps }
    رصيدك بعد العملية: { $after }
subagents-allocate-not_enough = ⚠️ المتاح لديك { $available } فقط: ستُرفض هذه العملية.
subagents-reclaim-not_enough = ⚠️ المتاح لدى { $child } { $available } فقط: ستُرفض هذه العملية.
subagents-move_cancelled = أُلغيت العملية: لم يُحوَّل أي مال.
subagents-allocate-done = ✅ أُرسل { $amount } إلى { $child } وتم إبلاغه. رصيدك المتاح: { $available }. لدى { $child } الآن { $theirs }.
subagents-reclaim-done = ✅ استُرد { $amount } من { $child }. رصيدك المتاح: { $available }. لدى { $child } الآن { $theirs }.
