## /invite: links for new sub-agents and team members, open invites, revoking.

invites-menu =
    ✉️ Invites for { $party }
    An invite link lets someone join as your sub-agent; a team link lets someone help you run this account. Each link is shown once, when you create it.
invites-menu_team_only =
    ✉️ Invites for { $party }
    A team link lets someone help you run this account. It is shown once, when you create it.
invites-button-single = ➕ New single-use link
invites-button-multi = ➕ New multi-use link
invites-button-team = 👤 Invite a team member
invites-button-list = 📋 Open invites ({ $count })
invites-button-share = 📤 Share the link
invites-button-more = ✉️ More invites
invites-button-revoke = ✖ Revoke { $hint }
invites-button-revoke_confirm = Yes, revoke
invites-button-prev = ‹ Previous
invites-button-next = Next ›

invites-multi-cap = How many people may join with this link?
invites-multi-ttl = A link for up to { $uses } people. How long should it work?
invites-days = { $days ->
        [one] 1 day
       *[other] { $days } days
    }

invites-team-choose = Invite someone to help run { $party }. As what?
invites-role-manager = Manager: orders and moves money
invites-role-viewer = Viewer: looks only

invites-created-single =
    ✅ Your invite link for one new { $kind ->
        [agent] agent
       *[subagent] sub-agent
    } is below. It works once, until { $expires }.
    Send it to the person you invite: this is the only time it is shown.
invites-created-multi =
    ✅ Your invite link for up to { $uses } new { $kind ->
        [agent] agents
       *[subagent] sub-agents
    } is below. It works until { $expires }.
    Send it to the people you invite: this is the only time it is shown.
invites-created-member =
    ✅ Your team link is below: whoever opens it joins { $party } as { $role ->
        [manager] a manager
       *[viewer] a viewer
    }. It works for one person, until { $expires }.
    This is the only time it is shown.

invites-list-title = 📋 Open invites: { $count } (page { $page } of { $pages })
invites-list-empty = There are no open invites.
invites-line-party = • { $hint } — { $kind ->
        [agent] agent
       *[subagent] sub-agent
    } link, { $left ->
        [one] one use
       *[other] { $left } uses
    } left of { $uses }, until { $expires }
invites-line-member = • { $hint } — team link for { $role ->
        [manager] a manager
       *[viewer] a viewer
    }, until { $expires }

invites-revoke-confirm = Revoke the invite { $hint }? Its link stops working at once; whoever already joined stays.
invites-revoke-gone = This invite is no longer open: it was used up, expired or revoked.
invites-revoked = ✅ Invite { $hint } revoked: its link no longer works.

error-invite-invalid_uses = An invite link works for 1 to 1,000 people.
error-invite-invalid_ttl = An invite link works for 1 hour to 90 days.
error-invite-invalid_role = A team link invites a manager or a viewer.
error-party-max_depth = Your account cannot have sub-agents: the network is as deep as it may be.
error-party-invalid_kind = That kind of account cannot be invited here.
