## متابعة المشرفين: ‎/metrics و‎/vendor و‎/sync و‎/audit.

admin_insight-button-menu = 🛠 قائمة المشرف
admin_insight-button-back = › رجوع

## المؤشرات (‎/metrics).

admin_insight-metrics-usage = الاستخدام: ‎/metrics [today | 7d | 30d]
admin_insight-metrics-title-today = 📊 Steller اليوم ({ $start }، بتوقيت UTC)
admin_insight-metrics-title-7d = 📊 Steller في آخر 7 أيام ({ $start } – { $end }، بتوقيت UTC)
admin_insight-metrics-title-30d = 📊 Steller في آخر 30 يومًا ({ $start } – { $end }، بتوقيت UTC)
admin_insight-metrics-period-today = اليوم
admin_insight-metrics-period-7d = 7 أيام
admin_insight-metrics-period-30d = 30 يومًا
admin_insight-metrics-signups = 🆕 التسجيلات: { $count } (وكلاء { $agents }، وكلاء فرعيون { $subagents }، شركاء { $partners })
admin_insight-metrics-activations = 🚀 التفعيلات (أول بيع): { $count }
admin_insight-metrics-orders = 🧾 الطلبات المسلَّمة: { $orders ->
        [zero] لا طلبات
        [one] طلب واحد
        [two] طلبان
        [few] { $orders } طلبات
        [many] { $orders } طلبًا
       *[other] { $orders } طلب
    }، { $cards ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $cards } بطاقات
        [many] { $cards } بطاقة
       *[other] { $cards } بطاقة
    }
admin_insight-metrics-money = 💵 { $currency }: إجمالي المبيعات { $gmv } · الإيراد { $revenue } · الهامش { $margin }
admin_insight-metrics-margin = { $percent }٪
admin_insight-metrics-no_sales = لا مبيعات في هذه الفترة.
admin_insight-metrics-button-chart = 📈 رسم بياني
admin_insight-metrics-button-about = ℹ️ التعريفات
admin_insight-metrics-chart-caption = 📈 إجمالي المبيعات اليومي بعملة { $currency }، { $start } – { $end } (UTC): { $gmv } في المجموع.
admin_insight-metrics-about = ℹ️ كيف تُحسب الأرقام (الأعمال الحقيقية فقط: تُستبعد طلبات البيئة التجريبية؛ الأيام بتوقيت UTC)
    • التسجيلات: الحسابات التي أُنشئت في الفترة (وكلاء ووكلاء فرعيون وشركاء)، ومنها الطلبات المعلقة.
    • التفعيلات: الحسابات التي سُوّي أول طلب لها سلّم بطاقة واحدة على الأقل في هذه الفترة.
    • الطلبات: الطلبات التي سُوّيت في الفترة وسلّمت بطاقة واحدة على الأقل، والبطاقات التي سلّمتها.
    • إجمالي المبيعات: ما دفعه المشترون مقابل تلك البطاقات المسلَّمة، لكل عملة محفظة.
    • الإيراد: هامش المنصة المحصَّل — صافي حركة حساب الإيرادات في الدفتر الناتجة عن تسوية الطلبات التي سُوّيت في الفترة (مطروحًا منه ما دفعته المنصة حين طالب المورّد بأكثر من المسعَّر أو بيعت بطاقة بأقل من التكلفة). العمولة التي يكسبها الحساب الأعلى ليست إيرادًا.
    • الهامش: الإيراد ÷ إجمالي المبيعات بالعملة نفسها.

## المورّد (‎/vendor).

admin_insight-vendor-title = 🏦 المورّد (Bamboo)
admin_insight-vendor-balance-title = 💰 أرصدة الحسابات (قُرئت { $at }):
admin_insight-vendor-balance-account-active = • الحساب { $id }: { $balance }
admin_insight-vendor-balance-account-inactive = • الحساب { $id }: { $balance } (غير نشط)
admin_insight-vendor-balance-low = {" "}⚠️ منخفض
admin_insight-vendor-balance-none = • لم يُبلغ Bamboo عن أي حساب.
admin_insight-vendor-balance-unknown = 💰 أرصدة الحسابات: لم تُقرأ بعد.
admin_insight-vendor-balance-error = ⚠️ لم يُجب Bamboo في { $at }: { $error }
admin_insight-vendor-balance-refreshing = ⏳ نسأل Bamboo عن الأرصدة الآن…
admin_insight-vendor-limits-title = ⏱ حدود الطلبات (مشتركة بين كل العمّال):
admin_insight-vendor-limits-quiet = • لا طلبات في النوافذ الحالية.
admin_insight-vendor-limits-line = • { $endpoint }: { $used } من { $limit } كل { $period }
admin_insight-vendor-limits-blocked = {" "}— ⛔ طلب منا Bamboo الانتظار { $seconds } ث
admin_insight-vendor-period-seconds = { $count } ث
admin_insight-vendor-period-minutes = { $count ->
        [zero] { $count } دقيقة
        [one] دقيقة
        [two] دقيقتين
        [few] { $count } دقائق
        [many] { $count } دقيقة
       *[other] { $count } دقيقة
    }
admin_insight-vendor-period-hours = { $count ->
        [zero] { $count } ساعة
        [one] ساعة
        [two] ساعتين
        [few] { $count } ساعات
        [many] { $count } ساعة
       *[other] { $count } ساعة
    }
admin_insight-vendor-catalog-title = 🔄 الكتالوج — البطاقات: { $products } (الخارجة من Bamboo والمحفوظة للطلبات القديمة: { $gone })
admin_insight-vendor-catalog-never = • لم تكتمل أي مزامنة للكتالوج بعد.
admin_insight-vendor-catalog-last-full = • آخر مزامنة: كاملة، انتهت { $at } — الصفحات: { $pages }، الجديدة: { $added }، المتغيرة: { $changed }، الخارجة: { $gone }
admin_insight-vendor-catalog-last-changes = • آخر مزامنة: التغييرات فقط، انتهت { $at } — الصفحات: { $pages }، الجديدة: { $added }، المتغيرة: { $changed }
admin_insight-vendor-catalog-running = • تعمل الآن (أو تنتظر الاستئناف): بدأت { $at } — الصفحات: { $pages }، البطاقات حتى الآن: { $products }
admin_insight-vendor-catalog-error = • آخر خطأ فيها: { $error }
admin_insight-vendor-catalog-failed = • آخر تشغيل فاشل: { $at } — { $error }
admin_insight-vendor-stuck-none = ✅ لا طلبات عالقة لدى المورّد.
admin_insight-vendor-stuck-title = ⚠️ { $count ->
        [zero] لا طلبات تحتاج
        [one] طلب واحد يحتاج
        [two] طلبان يحتاجان
        [few] { $count } طلبات تحتاج
        [many] { $count } طلبًا تحتاج
       *[other] { $count } طلب تحتاج
    } إلى مشرف:
admin_insight-vendor-stuck-open = • { $order } ({ $status }) منذ { $since }: { $reason }
admin_insight-vendor-stuck-halted = • { $order } ({ $status }، متوقف) منذ { $since }: { $reason }
admin_insight-vendor-stuck-more = • … و{ $count } غيرها (‎`steller order attention`).
admin_insight-vendor-button-refresh = 🔄 تحديث

## مزامنة الكتالوج (‎/sync)؛ يعدّل العامل الرسالة نفسها مع تقدم المزامنة.

admin_insight-sync-usage = الاستخدام: ‎/sync (التغييرات منذ آخر مزامنة) أو ‎/sync full (كل شيء؛ وتُعلَّم البطاقات التي خرجت من Bamboo).
admin_insight-sync-menu = 🔄 مزامنة الكتالوج — البطاقات في الكتالوج: { $products }.
admin_insight-sync-last = انتهت آخر مزامنة { $at }.
admin_insight-sync-running = مزامنة تعمل (أو تنتظر الاستئناف) منذ { $at }: أي مزامنة جديدة تكملها.
admin_insight-sync-button-changes = 🔄 التغييرات منذ آخر مزامنة
admin_insight-sync-button-full = 🔁 مزامنة كاملة
admin_insight-sync-kind-full = كاملة
admin_insight-sync-kind-changes = التغييرات فقط
admin_insight-sync-queued = 🔄 مزامنة الكتالوج ({ $kind }): في الانتظار، تبدأ بعد لحظة…
admin_insight-sync-progress-started = 🔄 مزامنة الكتالوج ({ $kind }) — الصفحات: { $pages }، البطاقات حتى الآن: { $products }…
admin_insight-sync-progress-known = 🔄 مزامنة الكتالوج ({ $kind }) — الصفحة { $pages } من { $total }، البطاقات حتى الآن: { $products }…
admin_insight-sync-done = ✅ اكتملت مزامنة الكتالوج ({ $kind }) في { $seconds } ث — الصفحات: { $pages }، البطاقات المقروءة: { $products }، الجديدة: { $added }، المتغيرة: { $changed }، الخارجة: { $gone }.
admin_insight-sync-gone_skipped = ⚠️ أجاب Bamboo ببطاقات أقل بكثير مما لدينا: لم تُعلَّم أي بطاقة كخارجة (يُشتبه في خلل لدى المورّد).
admin_insight-sync-busy = ⏳ مزامنة أخرى للكتالوج تعمل الآن. حاول مجددًا بعد انتهائها (انظر ‎/vendor).
admin_insight-sync-failed = ❌ توقفت مزامنة الكتالوج: { $error }. المزامنة التالية تكمل من حيث توقفت.

## سجل التدقيق (‎/audit).

admin_insight-audit-usage = الاستخدام: ‎/audit [مرشحات]، تُجمع كما تشاء:
    • action:ledger — كل إجراءات ledger.* (أو إجراء كامل: action:pricing.discount)
    • actor:tg:42 — ما فعله مشرف واحد (وكذلك actor:cli وactor:system)
    • party:12 وorder:<id> وcard_list:3 — ما حدث لعنصر واحد
admin_insight-audit-title = 📜 سجل التدقيق، الأحدث أولًا
admin_insight-audit-title-filtered = 📜 سجل التدقيق، الأحدث أولًا — { $filters }
admin_insight-audit-none = لا شيء مسجّل.
admin_insight-audit-no_more = لا إدخالات أقدم.
admin_insight-audit-entry = ‎#{ $id } · { $when } · { $actor } ({ $request })
    { $action } · { $target }
    { $before } ← { $after }
admin_insight-audit-button-newest = ⏮ الأحدث
admin_insight-audit-button-older = الأقدم ‹
