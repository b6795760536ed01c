## تسعير المشرفين وقوائم البطاقات: ‎/discount و‎/cardlist.

admin_catalog-button-menu = 🛠 قائمة المشرف
admin_catalog-button-previous = › السابق
admin_catalog-button-next = التالي ‹
admin_catalog-brand-not_found = لا توجد علامة تجارية بالرقم أو الاسم «{ $ref }».
admin_catalog-brand-ambiguous = أكثر من علامة تجارية باسم «{ $ref }»: { $ids }. حدّد واحدة برقمها.
admin_catalog-product-not_found = لا توجد بطاقة بالرقم «{ $ref }». أرقام البطاقات هي أرقام منتجات Bamboo؛ ابحث عن بطاقة عبر ‎/cardlist ← إضافة بطاقة.

## الخصومات (‎/discount).

admin_catalog-discount-usage = الاستخدام: ‎/discount <الحساب أو النوع> <النسبة> [علامة تجارية أو بطاقة]
    • ‎/discount agent 5 — الافتراضي للوكلاء، كل البطاقات
    • ‎/discount 42 3.5 brand:Steam — الحساب ‎#42، بطاقات Steam فقط
    • ‎/discount "Top Agent" 4 product:1234 — بطاقة واحدة
    الأنواع: agent وsubagent وpartner. الاسم الذي فيه مسافات يوضع بين علامتي اقتباس. ‎/discount وحدها تسأل خطوة خطوة.
admin_catalog-discount-not_a_percent = هذه ليست نسبة مئوية. اكتبها مثل 5 أو 3.5 (من 0 إلى أقل من 100).
admin_catalog-discount-kind-agent = الوكلاء (الافتراضي)
admin_catalog-discount-kind-subagent = الوكلاء الفرعيون (الافتراضي)
admin_catalog-discount-kind-partner = الشركاء (الافتراضي)
admin_catalog-discount-party = { $name } (‎#{ $id })
admin_catalog-discount-scope-all = كل البطاقات
admin_catalog-discount-scope-brand = العلامة التجارية { $name } (‎#{ $id })
admin_catalog-discount-scope-product = البطاقة { $name } (‎#{ $id })
admin_catalog-discount-confirm = 🏷 هل تجعل خصم { $target } على { $scope } ‏{ $percent }٪ من القيمة الاسمية؟
admin_catalog-discount-example-now = مثال: يدفع { $party } الآن { $price } مقابل { $card } ({ $face }).
admin_catalog-discount-example-none = لا يوجد سعر للمثال: لا يمكن تسعير أي بطاقة من هذا النطاق لمثل هذا الحساب الآن.
admin_catalog-discount-done = ✅ خصم { $target } على { $scope } أصبح { $percent }٪.
admin_catalog-discount-example-changed = مثال: ما يدفعه { $party } مقابل { $card } ({ $face }): { $before } ← { $after }.
admin_catalog-discount-cancelled = أُلغي. لم يتغير أي خصم.
admin_catalog-discount-start = 🏷 الخصومات — خصم مَن تريد أن تحدد؟
    الافتراضي لنوع ما يسري على كل حساب من هذا النوع ليس له خصم خاص به؛ والخصم الخاص بالحساب يتقدم عليه. لا يحصل حساب تابع أبدًا على أكثر من الحساب الأعلى منه.
admin_catalog-discount-ask-party = اكتب رقم الحساب (مثل 42) أو اسمه كما هو تمامًا.
admin_catalog-discount-ask-scope = خصم { $target }: على أي بطاقات؟
admin_catalog-discount-ask-brand = خصم { $target }: اكتب رقم العلامة التجارية أو اسمها كما هو تمامًا.
admin_catalog-discount-ask-product = خصم { $target }: اكتب رقم البطاقة (رقم المنتج في Bamboo).
admin_catalog-discount-ask-percent = خصم { $target }: اكتب النسبة المئوية من القيمة الاسمية، مثل 5 أو 3.5.
admin_catalog-discount-button-kind-agent = 🧑‍💼 الوكلاء
admin_catalog-discount-button-kind-subagent = 👥 الوكلاء الفرعيون
admin_catalog-discount-button-kind-partner = 🤝 الشركاء
admin_catalog-discount-button-party = 🔎 حساب واحد…
admin_catalog-discount-button-scope-all = كل البطاقات
admin_catalog-discount-button-scope-brand = علامة تجارية واحدة…
admin_catalog-discount-button-scope-product = بطاقة واحدة…
admin_catalog-discount-button-list = 📋 الخصومات المحددة الآن
admin_catalog-discount-button-another = 🏷 تحديد خصم
admin_catalog-discount-list-title = 📋 { $count ->
        [0] لا توجد خصومات: الجميع يدفع القيمة الاسمية.
        [zero] لا توجد خصومات: الجميع يدفع القيمة الاسمية.
        [one] خصم واحد محدد:
        [two] خصمان محددان:
        [few] { $count } خصومات محددة:
        [many] { $count } خصمًا محددًا:
       *[other] { $count } خصم محدد:
    }
admin_catalog-discount-list-line = • { $target }، { $scope }: { $percent }٪
admin_catalog-discount-list-more = … و{ $count } غيرها (انظر ‎`steller discount list`).

## قوائم البطاقات (‎/cardlist).

admin_catalog-cardlist-home = 🗂 قوائم البطاقات — أي البطاقات يمكن للحسابات شراؤها، وبأي ترتيب تراها.
    قائمة الوكلاء الافتراضية هي ما يشتري منه كل وكيل ووكيل فرعي ليست له قائمة خاصة. القائمة الخاصة بحساب تحل محلها؛ ولا يرى حساب تابع أبدًا أكثر مما يراه الحساب الأعلى منه.
admin_catalog-cardlist-button-default = 🗂 قائمة الوكلاء الافتراضية
admin_catalog-cardlist-button-party = 🔎 قائمة حساب…
admin_catalog-cardlist-button-lists = › قوائم البطاقات
admin_catalog-cardlist-ask-party = اكتب رقم الحساب (مثل 42) أو اسمه كما هو تمامًا.
admin_catalog-cardlist-name-default = قائمة الوكلاء الافتراضية
admin_catalog-cardlist-name-party = قائمة { $name } (‎#{ $id })
admin_catalog-cardlist-title-default = 🗂 قائمة الوكلاء الافتراضية: { $count ->
        [0] لا بطاقات بعد.
        [zero] لا بطاقات بعد.
        [one] بطاقة واحدة.
        [two] بطاقتان.
        [few] { $count } بطاقات.
        [many] { $count } بطاقة.
       *[other] { $count } بطاقة.
    }
admin_catalog-cardlist-title-own = 🗂 القائمة الخاصة بـ{ $name } (‎#{ $id }): { $count ->
        [0] لا بطاقات — لا يمكنه شراء شيء.
        [zero] لا بطاقات — لا يمكنه شراء شيء.
        [one] بطاقة واحدة.
        [two] بطاقتان.
        [few] { $count } بطاقات.
        [many] { $count } بطاقة.
       *[other] { $count } بطاقة.
    } وهي تحل محل القائمة الافتراضية.
admin_catalog-cardlist-title-uses_default = 🗂 ليست لـ{ $name } (‎#{ $id }) قائمة خاصة: يشتري من قائمة الوكلاء الافتراضية ({ $count ->
        [zero] لا بطاقات
        [one] بطاقة واحدة
        [two] بطاقتان
        [few] { $count } بطاقات
        [many] { $count } بطاقة
       *[other] { $count } بطاقة
    }). القائمة الخاصة تحل محل الافتراضية: ابدأ بنسخة منها، أو أضف البطاقات واحدة واحدة.
admin_catalog-cardlist-title-catalog = 🗂 ليست لـ{ $name } (‎#{ $id }) قائمة معتمدة: يرى الكتالوج كله. إضافة بطاقة تبدأ قائمته المعتمدة؛ ثم لا يرى إلا تلك البطاقات.
admin_catalog-cardlist-page = الصفحة { $page } من { $pages }
admin_catalog-cardlist-line = { $index }. { $name } (‎#{ $id }) — { $offer }
admin_catalog-cardlist-offer-fixed = { $values } { $currency }
admin_catalog-cardlist-offer-range = أي مبلغ { $low }–{ $high } { $currency }
admin_catalog-cardlist-unavailable = {" "}⚠️ غير متاحة الآن
admin_catalog-cardlist-item = { $name } (‎#{ $id })
    العلامة التجارية { $brand }، { $country }
    المعروض: { $offer }
    الترتيب { $position } من { $count }
admin_catalog-cardlist-button-up = ↑ لأعلى
admin_catalog-cardlist-button-down = ↓ لأسفل
admin_catalog-cardlist-button-remove = ✖ إزالة
admin_catalog-cardlist-button-remove_yes = ✖ نعم، أزلها
admin_catalog-cardlist-button-change = ✏️ تغيير المبالغ
admin_catalog-cardlist-button-back = › العودة إلى القائمة
admin_catalog-cardlist-button-add = ➕ إضافة بطاقة
admin_catalog-cardlist-button-add_first = ➕ إضافة بطاقة (تبدأ قائمته الخاصة)
admin_catalog-cardlist-button-copy = 📋 البدء بنسخة من القائمة الافتراضية
admin_catalog-cardlist-button-drop = ↩ حذف قائمته الخاصة
admin_catalog-cardlist-button-drop_yes = ↩ نعم، احذفها
admin_catalog-cardlist-already-top = إنها البطاقة الأولى بالفعل.
admin_catalog-cardlist-already-bottom = إنها البطاقة الأخيرة بالفعل.
admin_catalog-cardlist-not_on_list = هذه البطاقة ليست (أو لم تعد) في هذه القائمة. لم يتغير شيء.
admin_catalog-cardlist-remove-confirm = إزالة { $name } من { $list }؟ لن تراها الحسابات التي تشتري منها بعد الآن.
admin_catalog-cardlist-removed = ✖ أُزيلت.
admin_catalog-cardlist-copied = 📋 أصبحت له قائمة خاصة، نسخة من القائمة الافتراضية.
admin_catalog-cardlist-has_own = له قائمة خاصة بالفعل. لم يتغير شيء.
admin_catalog-cardlist-no_own = ليست له قائمة خاصة. لم يتغير شيء.
admin_catalog-cardlist-drop-confirm-default = حذف القائمة الخاصة بـ{ $name } (‎#{ $id })؟ سيشتري عندها من قائمة الوكلاء الافتراضية مجددًا.
admin_catalog-cardlist-drop-confirm-catalog = حذف القائمة المعتمدة لـ{ $name } (‎#{ $id })؟ سيرى عندها الكتالوج كله مجددًا.
admin_catalog-cardlist-dropped = ↩ حُذفت قائمته الخاصة.
admin_catalog-cardlist-ask-search = إضافة بطاقة إلى { $list }: اكتب جزءًا من اسم البطاقة أو العلامة التجارية، أو رقم البطاقة.
admin_catalog-cardlist-search-none = لا توجد بطاقة في الكتالوج تطابق «{ $text }». اكتب بحثًا آخر.
admin_catalog-cardlist-search-results = البطاقات المطابقة لـ«{ $text }» — اختر واحدة (أو اكتب بحثًا آخر):
admin_catalog-cardlist-gone = خرجت هذه البطاقة من كتالوج المورّد: لا يمكن إضافتها.
admin_catalog-cardlist-how = { $name }: أي مبلغ من { $low } إلى { $high }. كيف يمكن للحسابات شراؤها؟
admin_catalog-cardlist-button-full = أي مبلغ { $low }–{ $high }
admin_catalog-cardlist-button-range = نطاق أضيق…
admin_catalog-cardlist-button-denominations = مبالغ ثابتة…
admin_catalog-cardlist-ask-range = { $name } ({ $low }–{ $high }): اكتب النطاق الذي يمكن شراؤه، مثل 10-100.
admin_catalog-cardlist-ask-denominations = { $name } ({ $low }–{ $high }): اكتب المبالغ التي يمكن شراؤها، مثل 10, 20, 50.
admin_catalog-cardlist-not-range = هذا ليس نطاقًا. اكتبه مثل 10-100.
admin_catalog-cardlist-not-denominations = هذه ليست مبالغ. اكتبها مثل 10, 20, 50.
admin_catalog-cardlist-outside = هذا لا يناسب { $name }: يجب أن يقع كل مبلغ ضمن { $low }–{ $high }، وأن يبدأ النطاق بالأصغر. اكتبه مجددًا.
admin_catalog-cardlist-added = ✅ أصبحت { $name } في القائمة.

## رفض النواة الذي قد تصادفه هذه الأوامر.

error-pricing-discount_above_parent = لا يمكن أن يزيد خصم حساب على خصم الحساب الأعلى منه (ولا الافتراضي للوكلاء الفرعيين على الافتراضي للوكلاء). لم يتغير شيء.
error-pricing-discount_below_child = لدى وكيل فرعي خصم أكبر من ذلك بالفعل؛ اخفض خصمه أولًا. لم يتغير شيء.
error-pricing-invalid_discount = هذا ليس خصمًا صالحًا. لم يتغير شيء.
error-cardlist-invalid_item = لا يمكن عرض هذه البطاقة بهذا الشكل. لم يتغير شيء.
error-cardlist-not_found = قائمة البطاقات هذه غير موجودة (أو لم تعد موجودة).
