## Shared words, errors and the command menu.

error-unexpected = Something went wrong on our side. Please try again; if it keeps happening, tell support this reference: { $reference }
error-refused = That is not possible right now.
error-slow_down = Slow down a little: too many messages at once. Try again in a few seconds.
error-stale_button = This button is no longer valid. Open /menu to start again.
error-not_a_member = You are not a member of any party yet. Use an invite link to join.
error-access-denied = That is not yours to see or change.
error-member-role_not_allowed = Your role in this account does not allow that.
error-member-not_a_member = You are not a member of any party yet.
error-party-inactive = This account is not active right now: you can look, but not order or move money.
error-party-not_your_child = That is not one of your direct sub-agents.
error-party-frozen_by_admin = Steller froze this account; only Steller can unfreeze it.
error-invite-invalid = This invite link is not valid.
error-invite-expired = This invite link has expired. Ask for a new one.
error-invite-revoked = This invite link was revoked. Ask for a new one.
error-invite-used_up = This invite link has already been used. Ask for a new one.
error-member-already_member = You already belong to a party.
error-ledger-insufficient_funds = There is not enough money in the wallet for that.
error-order-insufficient_funds = There is not enough money in your wallet for this order.
error-amount-invalid = That is not an amount. Type it like 12 or 12.50.
error-admin-required = Only Steller admins can do that.

confirm-used_or_expired = This confirmation was already used or has expired. Nothing was changed.

button-back = ‹ Back
button-cancel = Cancel
button-confirm = Confirm

command-start = Start
command-help = What this bot does
command-language = Language
command-menu = Main menu
command-order = Order cards
command-orders = Your orders
command-wallet = Your wallet
command-subagents = Your sub-agents
command-invite = Invite links
command-allocate = Send money to a sub-agent
command-reclaim = Take money back from a sub-agent
command-report = Sales and commission
command-admin = Admin menu
error-not_found = That does not exist, or it is not yours.
error-order-price_changed = The price changed since you saw it. Open the card again to see the new total.
error-order-not_completed = The cards are not delivered yet.
error-order-invalid_face_value = That value is not offered for this card.
error-order-product_unavailable = This card is not available right now.
error-catalog-product_not_found = That card is not on your list.
command-pending = Applications waiting for approval
command-party = Look up a party
command-credit = Credit a wallet
command-broadcast = Message all agents
