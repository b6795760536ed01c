## جانب المشرف: قائمة /admin، الطلبات، روابط الدعوة، الأموال، الحسابات، الشجرة، ودفع العمولات.

admin-menu = 🛠 إدارة ستيلر — ماذا تريد أن تفعل؟
admin-area-pending = 📝 طلبات الانضمام
admin-area-invite = 🔗 دعوة وكيل
admin-area-credit = 💰 إيداع
admin-area-adjust = 🧾 تسوية
admin-area-discount = 🏷 الخصومات
admin-area-creditlimit = 💳 حد الائتمان
admin-area-cardlist = 🗂 قوائم البطاقات
admin-area-freeze = ❄️ تجميد / رفع التجميد
admin-area-party = 🔎 حساب
admin-area-tree = 🌳 الشجرة
admin-area-metrics = 📊 المؤشرات
admin-area-vendor = 🏦 المورّد
admin-area-sync = 🔄 مزامنة الكتالوج
admin-area-audit = 📜 سجل التدقيق
admin-area-payout = 🏆 دفع العمولات
admin-area-broadcast = 📣 رسالة جماعية
admin-area-admins = 👮 المشرفون

admin-kind-partner = شريك
admin-kind-agent = وكيل
admin-kind-subagent = وكيل فرعي
admin-status-pending = ⏳ قيد المراجعة
admin-status-active = ✅ نشط
admin-status-frozen = ❄️ مجمّد
admin-status-closed = ⛔ مغلق
admin-order_status-pending = ⏳ بانتظار التنفيذ
admin-order_status-placing = ⏳ قيد الإرسال
admin-order_status-processing = 🔄 قيد التجهيز
admin-order_status-completed = ✅ تم التسليم
admin-order_status-partially_completed = ⚠️ سُلّم جزئيًا
admin-order_status-failed = ❌ لم يُسلَّم

admin-button-menu = 🛠 قائمة المشرف
admin-button-card = 🔎 { $name }
admin-button-previous = السابق ›
admin-button-next = ‹ التالي
admin-page = الصفحة { $page } من { $pages }
admin-cancelled = أُلغي. لم يتغير شيء.
admin-ask-party = { $what }: اكتب رقم الحساب (مثل 42) أو اسمه كما هو تمامًا. /cancel للإيقاف.
admin-party-not_found = لا يوجد حساب بالرقم أو الاسم «{ $ref }». ابحث عنه في /tree.
admin-party-ambiguous = أكثر من حساب يحمل الاسم «{ $ref }»: { $ids }. حدّد واحدًا برقمه.

## طلبات الانضمام (/pending)؛ يُبلَّغ مقدّم الطلب بالقرار.

admin-pending-none = لا طلبات بانتظار المراجعة.
admin-pending-title = 📝 { $count ->
        [zero] لا طلبات بانتظار المراجعة
        [one] طلب واحد بانتظار المراجعة
        [two] طلبان بانتظار المراجعة
        [few] { $count } طلبات بانتظار المراجعة
        [many] { $count } طلبًا بانتظار المراجعة
       *[other] { $count } طلب بانتظار المراجعة
    }:
admin-pending-line = { $index }. { $name } (#{ $id }، { $kind }) — قُدّم في { $applied } من { $applicant } (تيليجرام { $telegram })
admin-pending-button-approve = ✅ { $index }. { $name }
admin-pending-button-reject = ❌ رفض { $index }
admin-pending-button-reject_confirm = ❌ رفض
admin-pending-approved = ✅ تمت الموافقة على { $name } وأصبح نشطًا؛ وقد أُبلغ.
admin-pending-rejected = ❌ رُفض طلب { $name }؛ وقد أُبلغ.
admin-pending-decided = سبق البتّ في هذا الطلب. لم يتغير شيء.
admin-pending-reject_confirm = رفض طلب { $name } (#{ $id })؟ يُغلق الحساب نهائيًا ويُبلَّغ مقدّم الطلب.
party-approved = ✅ تمت الموافقة على طلبك لـ { $name }. افتح /menu للبدء.
party-rejected = لم تتم الموافقة على طلبك لـ { $name }. للاستفسار راسل الدعم.

## روابط دعوة الوكلاء والشركاء الجدد (/agent_invite).

admin-invite-menu = 🔗 ادعُ حسابًا جديدًا في المستوى الأعلى. يعمل كل رابط مرة واحدة وتنتهي صلاحيته؛ ‎/agent_invite partner 5 يصنع رابط شريك لخمسة أشخاص.
admin-invite-button-agent = 🔗 رابط وكيل
admin-invite-button-partner = 🤝 رابط شريك
admin-invite-button-list = 📋 الروابط المفتوحة ({ $count })
admin-invite-button-share = 📤 مشاركة
admin-invite-button-more = دعوات أخرى
admin-invite-created = 🔗 رابط لـ { $kind } جديد، { $uses ->
        [zero] لا أحد
        [one] لشخص واحد
        [two] لشخصين
        [few] لـ { $uses } أشخاص
        [many] لـ { $uses } شخصًا
       *[other] لـ { $uses } شخص
    }، صالح حتى { $expires }. يُعرض هذه المرة فقط:
admin-invite-usage = الاستخدام: ‎/agent_invite [agent|partner] [عدد الأشخاص، 1–1000]
admin-invite-none = لا روابط دعوة مفتوحة للمشرفين.
admin-invite-list = 📋 { $count ->
        [zero] لا روابط مفتوحة
        [one] رابط مفتوح واحد
        [two] رابطان مفتوحان
        [few] { $count } روابط مفتوحة
        [many] { $count } رابطًا مفتوحًا
       *[other] { $count } رابط مفتوح
    }:
admin-invite-line = • { $hint }… { $kind } — بقي { $left } من { $uses }، حتى { $expires }
admin-invite-button-revoke = 🚫 إلغاء { $hint }…
admin-invite-button-revoke_confirm = 🚫 إلغاء الرابط
admin-invite-revoke_confirm = إلغاء الرابط { $hint }…؟ لن يتمكن أحد من الانضمام به بعد ذلك.
admin-invite-revoked = 🚫 أُلغي الرابط { $hint }….
admin-invite-gone = هذا الرابط لم يعد مفتوحًا.

## الأموال: /credit و /adjust و /creditlimit.

admin-credit-usage = الاستخدام: ‎/credit <الحساب> <المبلغ> <المرجع الخارجي> — مثلًا ‎/credit 42 150 BANK-7731. ضع الاسم الذي فيه مسافات بين علامتي اقتباس: ‎/credit "Top Agent" 150 BANK-7731
admin-credit-ask_amount = 💰 إيداع لـ { $party } (#{ $id }). المتاح الآن: { $available }. اكتب المبلغ، مثل 150 أو 150.50.
admin-credit-ask_text = إيداع { $amount } لـ { $party }. اكتب المرجع الخارجي (رقم التحويل أو الإيصال): المرجع نفسه لا يودِع مرتين.
admin-credit-text_invalid = المرجع الخارجي من 1 إلى { $limit } حرفًا.
admin-credit-confirm =
    💰 إيداع لـ { $party } (#{ $id }، { $kind })
    المبلغ: { $amount }
    المرجع الخارجي: { $text }
    المتاح: { $available } ← { $after }
admin-credit-not_active = ⚠️ حالة هذا الحساب { $status }: سيُرفض الإيداع حتى يصبح نشطًا.
admin-credit-done = ✅ أُودع { $amount } لـ { $party } (المرجع { $text }). المتاح الآن: { $available }.
admin-credit-replayed = ℹ️ المرجع { $text } أُودع من قبل لـ { $party } ({ $amount }): لم يتحرك شيء جديد. المتاح: { $available }.

admin-adjust-usage = الاستخدام: ‎/adjust <الحساب> <±المبلغ> <السبب> — مثلًا ‎/adjust 42 -12.50 استرداد طلب مكرر. ضع الاسم الذي فيه مسافات بين علامتي اقتباس.
admin-adjust-ask_amount = 🧾 تسوية لـ { $party } (#{ $id }). المتاح الآن: { $available }، وحد الائتمان { $limit }. اكتب المبلغ مع إشارته: ‎+20 يضيف و ‎-5 يخصم.
admin-adjust-ask_text = تسوية { $party } بمبلغ { $amount }. اكتب السبب (يُحفظ مع القيد).
admin-adjust-text_invalid = السبب من 1 إلى { $limit } حرفًا.
admin-adjust-confirm =
    🧾 تسوية لـ { $party } (#{ $id }، { $kind })
    المبلغ: { $amount }
    السبب: { $text }
    المتاح: { $available } ← { $after }
admin-adjust-done = ✅ سُوّي حساب { $party } بمبلغ { $amount } ({ $text }). المتاح الآن: { $available }.

admin-creditlimit-usage = الاستخدام: ‎/creditlimit <الحساب> <المبلغ> — مثلًا ‎/creditlimit 42 500، أو 0 لإلغاء الائتمان.
admin-creditlimit-ask_amount = 💳 حد ائتمان { $party } (#{ $id }): الآن { $limit }؛ والمتاح { $available }. اكتب الحد الجديد (0 يلغي الائتمان).
admin-creditlimit-confirm =
    💳 حد ائتمان { $party } (#{ $id }، { $kind })
    الحد: { $before } ← { $amount }
    المتاح: { $available }؛ ويمكنه الإنفاق حتى { $spendable }
admin-creditlimit-done = ✅ أصبح حد ائتمان { $party } الآن { $limit }. المتاح: { $available }.

## حساب واحد (/party)، والشجرة (/tree)، والتجميد.

admin-party-card =
    🔎 { $name } · #{ $id }
    { $kind } · { $status } · المستوى { $level } · { $currency }
    الموقع: { $place }
    تحته: { $children ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابان
        [few] { $children } حسابات
        [many] { $children } حسابًا
       *[other] { $children } حساب
    } · الأعضاء: { $members }
    المتاح: { $available } · المحجوز: { $held }
    حد الائتمان: { $limit } · العمولة المستحقة: { $commission }
admin-party-top = ستيلر
admin-party-frozen_by_admin = ❄️ جمّدته ستيلر.
admin-party-frozen_by_parent = ❄️ جمّده الحساب الأعلى.
admin-party-orders = أحدث الطلبات:
admin-party-order_line = { $status } { $when } · { $quantity } × { $product } · { $total }
admin-party-no_orders = لا طلبات بعد.
admin-party-button-freeze = ❄️ تجميد
admin-party-button-unfreeze = 🔓 رفع التجميد
admin-party-button-credit = 💰 إيداع
admin-party-button-adjust = 🧾 تسوية
admin-party-button-creditlimit = 💳 الحد
admin-party-button-children = 👥 الحسابات التابعة ({ $count })
admin-party-button-parent = ⬆️ { $name }

admin-tree-top = 🌳 المستوى الأعلى: { $count ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابان
        [few] { $count } حسابات
        [many] { $count } حسابًا
       *[other] { $count } حساب
    }
admin-tree-under = 🌳 تحت { $name } (#{ $id }): { $count ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابان
        [few] { $count } حسابات
        [many] { $count } حسابًا
       *[other] { $count } حساب
    }
admin-tree-line = { $index }. { $name } #{ $id } · { $kind } · { $status } · { $available } · تحته { $children }
admin-tree-empty = لا شيء هنا بعد.
admin-tree-button-card = { $index }. { $name }
admin-tree-button-children = ▾ { $count }
admin-tree-button-up = ⬆️ للأعلى

admin-freeze-confirm = ❄️ تجميد { $name } (#{ $id }، { $kind })؟ يبقى قادرًا على الاطلاع، دون طلب أو تحويل أموال، حتى ترفع ستيلر التجميد.
admin-unfreeze-confirm = 🔓 رفع التجميد عن { $name } (#{ $id }، { $kind })؟ يعود قادرًا على الطلب وتحويل الأموال.
admin-freeze-done = ❄️ جُمّد { $name }.
admin-unfreeze-done = 🔓 عاد { $name } نشطًا.
admin-freeze-not_possible = { $name } حالته { $status }: لا يُجمَّد إلا حساب نشط.
admin-unfreeze-not_possible = { $name } حالته { $status }: لا يُرفع التجميد إلا عن حساب مجمّد.

## دفع العمولة الآن (/payout).

admin-payout-none = لا عمولات بانتظار الدفع.
admin-payout-title = 🏆 عمولات مستحقة لدى { $count ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابين
        [few] { $count } حسابات
        [many] { $count } حسابًا
       *[other] { $count } حساب
    }:
admin-payout-line = • { $name } #{ $id }: { $amount }
admin-payout-line_skipped = • { $name } #{ $id }: { $amount } — { $status }، لا يُدفع الآن
admin-payout-more = …و { $count } غيرها.
admin-payout-nothing_payable = لا أحد منها نشط: لا يمكن دفع شيء الآن.
admin-payout-total = دفع { $total } إلى { $parties ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابين
        [few] { $parties } حسابات
        [many] { $parties } حسابًا
       *[other] { $parties } حساب
    } الآن؟
admin-payout-button-pay = 🏆 ادفع الآن
admin-payout-done = ✅ دُفع { $total } إلى { $parties ->
        [zero] لا حسابات
        [one] حساب واحد
        [two] حسابين
        [few] { $parties } حسابات
        [many] { $parties } حسابًا
       *[other] { $parties } حساب
    }؛ وأُبلغ كلٌّ منها.
admin-payout-done_nothing = لم يبقَ شيء للدفع: دُفع من قبل.
admin-payout-skipped = { $count ->
        [zero] لم يُستثنَ أي حساب.
        [one] حساب واحد غير نشط احتفظ بعمولته.
        [two] حسابان غير نشطين احتفظا بعمولتهما.
        [few] { $count } حسابات غير نشطة احتفظت بعمولتها.
        [many] { $count } حسابًا غير نشط احتفظت بعمولتها.
       *[other] { $count } حساب غير نشط احتفظت بعمولتها.
    }

## رفض النواة لإجراءات المشرف (error-<code>).

error-party-not_found = لا يوجد حساب كهذا.
error-party-ambiguous = أكثر من حساب يحمل هذا الاسم: حدّد واحدًا برقمه.
error-party-invalid_transition = حالة هذا الحساب لا تسمح بهذا التغيير.
error-ledger-credit_limit_below_usage = المحفظة تستخدم بالفعل ائتمانًا أكثر من هذا الحد.
error-ledger-reference_required = الإيداع يحتاج إلى مرجع خارجي.
error-ledger-reason_required = التسوية تحتاج إلى سبب.
error-ledger-invalid_amount = هذا المبلغ غير ممكن هنا.
error-idempotency-mismatch = هذا المرجع استُخدم من قبل لمبلغ أو حساب مختلف. استخدم مرجعًا جديدًا.
