## /report: المبيعات وقيمتها والعمولة لكل فترة ولكل وكيل فرعي، والرسم اليومي.

reports-title-today = 📈 { $party } — اليوم ({ $start })
reports-title-7d = 📈 { $party } — آخر 7 أيام ({ $start } – { $end })
reports-title-30d = 📈 { $party } — آخر 30 يومًا ({ $start } – { $end })
reports-title-month = 📈 { $party } — هذا الشهر ({ $start } – { $end })
reports-sales = 🧾 مبيعات الحساب: { $orders ->
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
    }، { $gmv }
reports-commission = 🏆 العمولة المكتسبة: { $commission }
reports-children-title = 👥 الوكلاء الفرعيون: { $count } (الصفحة { $page } من { $pages })
reports-child = • { $name }: { $orders ->
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
    }، { $gmv } — عمولتك { $commission }

reports-period-today = اليوم
reports-period-7d = 7 أيام
reports-period-30d = 30 يومًا
reports-period-month = هذا الشهر
reports-button-chart = 📊 رسم بياني
reports-button-prev = › السابق
reports-button-next = التالي ‹
reports-chart-caption = 📊 المبيعات اليومية لـ { $party }، { $start } – { $end }: { $gmv } إجمالًا.
