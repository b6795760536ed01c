## /broadcast: an admin's message to every agent and sub-agent (the message itself is the admin's own text).

broadcast-compose = 📣 Type the message for every agent and sub-agent. It goes out exactly as you type it, as plain text (no bold, no links made from markup). You will see a preview first.
broadcast-recent-title = Recent broadcasts:
broadcast-recent-line = #{ $id } · { $when } · delivered { $delivered }, blocked { $blocked }, failed { $failed }, waiting { $pending } · “{ $preview }”
broadcast-button-menu = ‹ Admin menu
broadcast-button-edit = ✏️ Change the text
broadcast-button-send = 📣 Send to { $count ->
        [one] one person
       *[other] { $count } people
    }
broadcast-text_only = Only text can be broadcast. Type the message, or press Cancel.
broadcast-preview =
    ☝️ That is exactly what they will get.
    It goes to { $count ->
        [one] one person
       *[other] { $count } people
    }: every active member of every active agent and sub-agent. Partners, and agents that are frozen or not approved yet, do not get it.
    Send it?
broadcast-preview_nobody = ☝️ That is what they would get, but nobody would: no active agent or sub-agent has a member yet.
broadcast-sending = 📣 Broadcast #{ $id } is on its way to { $count ->
        [one] one person
       *[other] { $count } people
    }. You will get the final count here when it is done.
broadcast-cancelled = Broadcast cancelled. Nothing was sent.
broadcast-done = 📣 Broadcast #{ $broadcast_id } is done. Delivered: { $delivered } of { $recipients }. Blocked the bot: { $blocked }. Failed: { $failed }.
error-broadcast-empty = A broadcast needs some text.
error-broadcast-too_long = That is longer than one Telegram message (4096 characters). Shorten it and send it again.
error-broadcast-no_recipients = Nobody would get it: no active agent or sub-agent has a member yet.
