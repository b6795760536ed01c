## /broadcast: رسالة من المشرف إلى كل الوكلاء والوكلاء الفرعيين (نص الرسالة نفسه من كتابة المشرف).

broadcast-compose = 📣 اكتب الرسالة لكل الوكلاء والوكلاء الفرعيين. تُرسل كما تكتبها تمامًا، نصًا عاديًا (بلا تنسيق). سترى معاينة أولًا.
broadcast-recent-title = آخر الرسائل الجماعية:
broadcast-recent-line = #{ $id } · { $when } · وصلت { $delivered }، محظورة { $blocked }، فشلت { $failed }، بانتظار الإرسال { $pending } · «{ $preview }»
broadcast-button-menu = ‹ قائمة المشرف
broadcast-button-edit = ✏️ تغيير النص
broadcast-button-send = 📣 إرسال إلى { $count ->
        [zero] لا أحد
        [one] شخص واحد
        [two] شخصين
        [few] { $count } أشخاص
        [many] { $count } شخصًا
       *[other] { $count } شخص
    }
broadcast-text_only = يمكن إرسال النصوص فقط. اكتب الرسالة أو اضغط إلغاء.
broadcast-preview =
    ☝️ هذا ما سيصلهم تمامًا.
    ستُرسل إلى { $count ->
        [zero] لا أحد
        [one] شخص واحد
        [two] شخصين
        [few] { $count } أشخاص
        [many] { $count } شخصًا
       *[other] { $count } شخص
    }: كل عضو نشط في كل وكيل ووكيل فرعي نشط. لا تصل إلى الشركاء، ولا إلى الوكلاء المجمّدين أو غير المعتمدين بعد.
    هل ترسلها؟
broadcast-preview_nobody = ☝️ هذا ما كان سيصلهم، لكن لا أحد سيستلمها: لا يوجد عضو في أي وكيل أو وكيل فرعي نشط بعد.
broadcast-sending = 📣 الرسالة الجماعية #{ $id } في طريقها إلى { $count ->
        [zero] لا أحد
        [one] شخص واحد
        [two] شخصين
        [few] { $count } أشخاص
        [many] { $count } شخصًا
       *[other] { $count } شخص
    }. ستصلك الحصيلة النهائية هنا عند الانتهاء.
broadcast-cancelled = أُلغيت الرسالة الجماعية. لم يُرسل شيء.
broadcast-done = 📣 اكتملت الرسالة الجماعية #{ $broadcast_id }. وصلت: { $delivered } من { $recipients }. حظروا البوت: { $blocked }. فشلت: { $failed }.
error-broadcast-empty = الرسالة الجماعية تحتاج إلى نص.
error-broadcast-too_long = النص أطول من رسالة تيليجرام واحدة (4096 حرفًا). اختصره وأرسله مجددًا.
error-broadcast-no_recipients = لن يستلمها أحد: لا يوجد عضو في أي وكيل أو وكيل فرعي نشط بعد.
