## /invite: روابط لوكلاء فرعيين جدد ولأعضاء الفريق، والدعوات المفتوحة، وإلغاؤها.

invites-menu =
    ✉️ دعوات { $party }
    رابط الدعوة يتيح لشخص الانضمام وكيلًا فرعيًا لك؛ ورابط الفريق يتيح لشخص مساعدتك في إدارة هذا الحساب. يظهر كل رابط مرة واحدة فقط عند إنشائه.
invites-menu_team_only =
    ✉️ دعوات { $party }
    رابط الفريق يتيح لشخص مساعدتك في إدارة هذا الحساب. يظهر مرة واحدة فقط عند إنشائه.
invites-button-single = ➕ رابط جديد لاستخدام واحد
invites-button-multi = ➕ رابط جديد لعدة استخدامات
invites-button-team = 👤 دعوة عضو إلى الفريق
invites-button-list = 📋 الدعوات المفتوحة ({ $count })
invites-button-share = 📤 مشاركة الرابط
invites-button-more = ✉️ دعوات أخرى
invites-button-revoke = ✖ إلغاء { $hint }
invites-button-revoke_confirm = نعم، ألغِها
invites-button-prev = › السابق
invites-button-next = التالي ‹

invites-multi-cap = كم شخصًا يمكنه الانضمام بهذا الرابط؟
invites-multi-ttl = رابط لما يصل إلى { $uses ->
        [zero] { $uses } شخص
        [one] شخص واحد
        [two] شخصين
        [few] { $uses } أشخاص
        [many] { $uses } شخصًا
       *[other] { $uses } شخص
    }. كم يبقى صالحًا؟
invites-days = { $days ->
        [zero] { $days } يوم
        [one] يوم واحد
        [two] يومان
        [few] { $days } أيام
        [many] { $days } يومًا
       *[other] { $days } يوم
    }

invites-team-choose = ادعُ شخصًا ليساعد في إدارة { $party }. بأي دور؟
invites-role-manager = مدير: يطلب ويحوّل الأموال
invites-role-viewer = مُطّلع: يشاهد فقط

invites-created-single =
    ✅ رابط دعوتك { $kind ->
        [agent] لوكيل جديد واحد
       *[subagent] لوكيل فرعي جديد واحد
    } في الأسفل. يعمل مرة واحدة حتى { $expires }.
    أرسله إلى من تدعوه: هذه هي المرة الوحيدة التي يظهر فيها.
invites-created-multi =
    ✅ رابط دعوتك { $kind ->
        [agent] لوكلاء جدد
       *[subagent] لوكلاء فرعيين جدد
    } يصل عددهم إلى { $uses ->
        [zero] { $uses } شخص
        [one] شخص واحد
        [two] شخصين
        [few] { $uses } أشخاص
        [many] { $uses } شخصًا
       *[other] { $uses } شخص
    } في الأسفل. يعمل حتى { $expires }.
    أرسله إلى من تدعوهم: هذه هي المرة الوحيدة التي يظهر فيها.
invites-created-member =
    ✅ رابط الفريق في الأسفل: من يفتحه ينضم إلى { $party } { $role ->
        [manager] مديرًا
       *[viewer] مُطّلعًا
    }. يعمل لشخص واحد حتى { $expires }.
    هذه هي المرة الوحيدة التي يظهر فيها.

invites-list-title = 📋 الدعوات المفتوحة: { $count } (الصفحة { $page } من { $pages })
invites-list-empty = لا توجد دعوات مفتوحة.
invites-line-party = • { $hint } — رابط { $kind ->
        [agent] وكيل
       *[subagent] وكيل فرعي
    }، { $left ->
        [zero] لا استخدامات متبقية
        [one] استخدام واحد متبقٍ
        [two] استخدامان متبقيان
        [few] { $left } استخدامات متبقية
        [many] { $left } استخدامًا متبقيًا
       *[other] { $left } استخدام متبقٍ
    } من { $uses }، حتى { $expires }
invites-line-member = • { $hint } — رابط فريق { $role ->
        [manager] لمدير
       *[viewer] لمُطّلع
    }، حتى { $expires }

invites-revoke-confirm = هل تلغي الدعوة { $hint }؟ يتوقف رابطها فورًا؛ ويبقى من انضم بالفعل.
invites-revoke-gone = هذه الدعوة لم تعد مفتوحة: استُنفدت أو انتهت صلاحيتها أو أُلغيت.
invites-revoked = ✅ أُلغيت الدعوة { $hint }: رابطها لم يعد يعمل.

error-invite-invalid_uses = يعمل رابط الدعوة لشخص واحد حتى 1000 شخص.
error-invite-invalid_ttl = يعمل رابط الدعوة من ساعة واحدة حتى 90 يومًا.
error-invite-invalid_role = رابط الفريق يدعو مديرًا أو مُطّلعًا.
error-party-max_depth = لا يمكن لحسابك أن يضم وكلاء فرعيين: بلغت الشبكة أقصى عمق مسموح.
error-party-invalid_kind = لا يمكن دعوة هذا النوع من الحسابات هنا.
