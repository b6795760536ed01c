## /settings: the party's name, its team, the language.

settings-title =
    ⚙️ { $party }
    { $kind ->
        [partner] Partner
        [agent] Agent
       *[subagent] Sub-agent
    } account, { $status ->
        [active] active
        [frozen] frozen
        [pending] waiting for approval
       *[closed] closed
    }.
settings-name_hint = Your agent and your reports show the account under this name.
settings-team-title = 👥 Team: { $count } (page { $page } of { $pages })
settings-member = • { $name } — { $role ->
        [owner] owner
        [manager] manager
       *[viewer] viewer
    }
settings-member-you = • { $name } — { $role ->
        [owner] owner
        [manager] manager
       *[viewer] viewer
    } (you)
settings-button-rename = ✏️ Rename
settings-button-remove = ✖ Remove { $name }
settings-button-remove_confirm = Yes, remove
settings-button-language = 🌐 Language
settings-button-prev = ‹ Previous
settings-button-next = Next ›

settings-rename-ask = Type the new name for “{ $party }” (1 to 200 characters).
settings-renamed = ✅ The account is now called “{ $party }”.

settings-remove-confirm = Remove { $name } ({ $role ->
        [owner] owner
        [manager] manager
       *[viewer] viewer
    }) from { $party }? They lose access to this account at once.
settings-remove-confirm_self = Leave { $party } yourself? You lose access to this account at once (you are its { $role ->
        [owner] owner
        [manager] manager
       *[viewer] viewer
    }).
settings-removed = ✅ { $name } was removed from the team.
settings-remove-gone = That person is no longer on the team. Nothing was changed.
settings-left = You left { $party }. To join again you need a new invite link.

error-party-invalid_name = A name has 1 to 200 characters. Type another one.
error-member-last_owner = An account keeps at least one owner: its last owner cannot be removed.

command-settings = Name and team
