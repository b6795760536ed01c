## /start والانضمام بدعوة والتقديم و/help و/language والقائمة الرئيسية.

start-unknown =
    👋 أهلًا بك في ستيلر: بطاقات هدايا لعملائك مباشرة من تيليجرام.
    للانضمام افتح رابط الدعوة الذي أعطاك إياه وكيلك (أو ستيلر).
    تدير متجرًا بنفسك؟ قدّم طلبًا لتصبح وكيلًا وستراجع ستيلر طلبك.
button-apply = التقديم كوكيل
apply-confirm = هل تريد التقديم كوكيل باسم «{ $name }»؟ تراجع ستيلر كل طلب.
button-apply_confirm = نعم، قدّم
apply-received = ✅ شكرًا! طلبك «{ $name }» لدى ستيلر الآن. سنراسلك هنا.

join-preview = يدعوك { $inviter } للانضمام إلى ستيلر { $what }. هل تنضم الآن؟
join-as-agent = وكيلًا
join-as-subagent = وكيلًا فرعيًا
join-as-partner = شريكًا
join-role-owner = مالكًا
join-role-manager = مديرًا
join-role-viewer = مُطّلعًا
button-join = انضمام
join-welcome = 🎉 أهلًا بك في { $party }! انضممت { $role }.
join-cancelled = لا بأس: لم تنضم. يبقى الرابط صالحًا حتى تنتهي صلاحيته.
join-already_member = أنت عضو في { $party } بالفعل. كل حساب تيليجرام ينتمي إلى حساب واحد.

menu-title = { $party } — ماذا تريد أن تفعل؟
menu-order = 🛒 طلب
menu-orders = 📦 الطلبات
menu-wallet = 💰 المحفظة
menu-subagents = 👥 الوكلاء الفرعيون
menu-invite = ✉️ دعوة
menu-report = 📈 التقرير
menu-language = 🌐 اللغة
menu-settings = ⚙️ الإعدادات
menu-help = ❓ مساعدة
menu-admin = 🛠 الإدارة
menu-not_understood = لم أفهم ذلك. افتح /menu لترى ما يمكنك فعله.

help-none =
    تبيع ستيلر بطاقات الهدايا الرقمية عبر شبكة من الوكلاء.
    • افتح رابط الدعوة الذي وصلك للانضمام، أو اضغط /start وقدّم كوكيل.
    الدعم: { $support }
help-buyer =
    • /order — اطلب بطاقات لعميل؛ تصل الرموز هنا مخفية مع زر «إظهار».
    • /orders — طلباتك الأخيرة وبطاقاتها.
    • /wallet — رصيدك وكشف الحساب.
    • /report — مبيعاتك.
    الدعم: { $support }
help-parent =
    • /order — اطلب بطاقات لعميل؛ تصل الرموز هنا مخفية مع زر «إظهار».
    • /orders — طلباتك الأخيرة وبطاقاتها.
    • /wallet — رصيدك وعمولتك وكشف الحساب.
    • /subagents — وكلاؤك الفرعيون: موّلهم، استرد المال، جمّد، واطّلع على مبيعاتهم.
    • /invite — روابط دعوة لوكلاء فرعيين جدد.
    • /report — المبيعات والعمولة لكل وكيل فرعي.
    الدعم: { $support }
help-viewer =
    يمكنك الاطلاع على طلبات هذا الحساب ومحفظته وتقاريره؛ أما الطلب وتحويل الأموال فللمالك والمديرين.
    الدعم: { $support }
help-admin = 🛠 أنت مشرف في ستيلر: يفتح /admin قائمة الإدارة.

language-choose = اختر لغتك:
language-name-en = English
language-name-ar = العربية
language-set = ✅ تم تغيير اللغة.
language-members_only = يتبع البوت لغة تيليجرام لديك حتى تنضم.
