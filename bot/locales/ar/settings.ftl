## /settings: اسم الحساب وفريقه واللغة.

settings-title =
    ⚙️ { $party }
    حساب { $kind ->
        [partner] شريك
        [agent] وكيل
       *[subagent] وكيل فرعي
    }، { $status ->
        [active] نشط
        [frozen] مجمّد
        [pending] بانتظار الموافقة
       *[closed] مغلق
    }.
settings-name_hint = يظهر الحساب بهذا الاسم لدى وكيلك وفي تقاريرك.
settings-team-title = 👥 الفريق: { $count } (الصفحة { $page } من { $pages })
settings-member = • { $name } — { $role ->
        [owner] مالك
        [manager] مدير
       *[viewer] مُطّلع
    }
settings-member-you = • { $name } — { $role ->
        [owner] مالك
        [manager] مدير
       *[viewer] مُطّلع
    } (أنت)
settings-button-rename = ✏️ إعادة التسمية
settings-button-remove = ✖ إزالة { $name }
settings-button-remove_confirm = نعم، أزِل
settings-button-language = 🌐 اللغة
settings-button-prev = › السابق
settings-button-next = التالي ‹

settings-rename-ask = اكتب الاسم الجديد لـ «{ $party }» (من 1 إلى 200 حرف).
settings-renamed = ✅ أصبح اسم الحساب «{ $party }».

settings-remove-confirm = هل تزيل { $name } ({ $role ->
        [owner] مالك
        [manager] مدير
       *[viewer] مُطّلع
    }) من { $party }؟ يفقد الوصول إلى هذا الحساب فورًا.
settings-remove-confirm_self = هل تغادر { $party } بنفسك؟ تفقد الوصول إلى هذا الحساب فورًا (أنت { $role ->
        [owner] مالكه
        [manager] مديره
       *[viewer] مُطّلع عليه
    }).
settings-removed = ✅ أُزيل { $name } من الفريق.
settings-remove-gone = هذا الشخص لم يعد في الفريق. لم يتغير شيء.
settings-left = غادرت { $party }. لتنضم مجددًا تحتاج إلى رابط دعوة جديد.

error-party-invalid_name = يتكوّن الاسم من 1 إلى 200 حرف. اكتب اسمًا آخر.
error-member-last_owner = يبقى للحساب مالك واحد على الأقل: لا يمكن إزالة آخر مالك.

command-settings = الاسم والفريق
