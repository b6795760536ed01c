## كلمات مشتركة والأخطاء وقائمة الأوامر.

error-unexpected = حدث خطأ من جهتنا. حاول مرة أخرى؛ وإذا تكرر فأبلغ الدعم بهذا المرجع: { $reference }
error-refused = هذا غير ممكن الآن.
error-slow_down = تمهّل قليلًا: رسائل كثيرة دفعة واحدة. حاول مجددًا بعد ثوانٍ.
error-stale_button = هذا الزر لم يعد صالحًا. افتح /menu للبدء من جديد.
error-not_a_member = لست عضوًا في أي حساب بعد. استخدم رابط دعوة للانضمام.
error-access-denied = ليس لك أن ترى هذا أو تغيّره.
error-member-role_not_allowed = دورك في هذا الحساب لا يسمح بذلك.
error-member-not_a_member = لست عضوًا في أي حساب بعد.
error-party-inactive = هذا الحساب غير نشط حاليًا: يمكنك الاطلاع فقط، دون طلب أو تحويل أموال.
error-party-not_your_child = هذا ليس أحد وكلائك الفرعيين المباشرين.
error-party-frozen_by_admin = جمّدت ستيلر هذا الحساب؛ ولا يرفع التجميد إلا ستيلر.
error-invite-invalid = رابط الدعوة هذا غير صالح.
error-invite-expired = انتهت صلاحية رابط الدعوة. اطلب رابطًا جديدًا.
error-invite-revoked = أُلغي رابط الدعوة هذا. اطلب رابطًا جديدًا.
error-invite-used_up = استُخدم رابط الدعوة هذا من قبل. اطلب رابطًا جديدًا.
error-member-already_member = أنت عضو في حساب بالفعل.
error-ledger-insufficient_funds = لا يوجد مال كافٍ في المحفظة لذلك.
error-order-insufficient_funds = لا يوجد مال كافٍ في محفظتك لهذا الطلب.
error-amount-invalid = هذا ليس مبلغًا. اكتبه هكذا: 12 أو 12.50.
error-admin-required = هذا متاح لمشرفي ستيلر فقط.

confirm-used_or_expired = هذا التأكيد استُخدم من قبل أو انتهت صلاحيته. لم يتغير شيء.

button-back = رجوع ›
button-cancel = إلغاء
button-confirm = تأكيد

command-start = البدء
command-help = ماذا يفعل هذا البوت
command-language = اللغة
command-menu = القائمة الرئيسية
command-order = طلب بطاقات
command-orders = طلباتك
command-wallet = محفظتك
command-subagents = وكلاؤك الفرعيون
command-invite = روابط الدعوة
command-allocate = إرسال مال إلى وكيل فرعي
command-reclaim = استرداد مال من وكيل فرعي
command-report = المبيعات والعمولة
command-admin = قائمة المشرف
error-not_found = هذا غير موجود، أو ليس لك.
error-order-price_changed = تغيّر السعر منذ رأيته. افتح البطاقة مجددًا لترى الإجمالي الجديد.
error-order-not_completed = لم تُسلَّم البطاقات بعد.
error-order-invalid_face_value = هذه القيمة غير معروضة لهذه البطاقة.
error-order-product_unavailable = هذه البطاقة غير متاحة الآن.
error-catalog-product_not_found = هذه البطاقة ليست في قائمتك.
command-pending = طلبات بانتظار الموافقة
command-party = البحث عن حساب
command-credit = إضافة رصيد إلى محفظة
command-broadcast = رسالة إلى جميع الوكلاء
