## /start, joining through an invite, applying, /help, /language and the main menu.

start-unknown =
    👋 Welcome to Steller: gift cards for your customers, straight from Telegram.
    To join, open the invite link your agent (or Steller) gave you.
    Running a shop yourself? Apply as an agent and Steller will review your application.
button-apply = Apply as agent
apply-confirm = Apply as an agent under the name “{ $name }”? Steller reviews every application.
button-apply_confirm = Yes, apply
apply-received = ✅ Thank you! Your application “{ $name }” is with Steller. You will hear from us here.

join-preview = { $inviter } invites you to join Steller { $what }. Join now?
join-as-agent = as an agent
join-as-subagent = as a sub-agent
join-as-partner = as a partner
join-role-owner = as the owner
join-role-manager = as a manager
join-role-viewer = as a viewer
button-join = Join
join-welcome = 🎉 Welcome to { $party }! You joined { $role }.
join-cancelled = No problem: you did not join. The link still works until it expires.
join-already_member = You already belong to { $party }. One Telegram account belongs to one party.

menu-title = { $party } — what would you like to do?
menu-order = 🛒 Order
menu-orders = 📦 Orders
menu-wallet = 💰 Wallet
menu-subagents = 👥 Sub-agents
menu-invite = ✉️ Invite
menu-report = 📈 Report
menu-language = 🌐 Language
menu-settings = ⚙️ Settings
menu-help = ❓ Help
menu-admin = 🛠 Admin
menu-not_understood = I did not understand that. Open /menu to see what you can do.

help-none =
    Steller sells digital gift cards through a network of agents.
    • Open the invite link you were given to join, or press /start and apply as an agent.
    Support: { $support }
help-buyer =
    • /order — order cards for a customer; codes arrive here, masked, with a Reveal button.
    • /orders — your recent orders and their cards.
    • /wallet — your balance and a statement.
    • /report — your sales.
    Support: { $support }
help-parent =
    • /order — order cards for a customer; codes arrive here, masked, with a Reveal button.
    • /orders — your recent orders and their cards.
    • /wallet — your balance, commission and a statement.
    • /subagents — your sub-agents: fund them, take money back, freeze, see their sales.
    • /invite — invite links for new sub-agents.
    • /report — sales and commission, per sub-agent.
    Support: { $support }
help-viewer =
    You can look at this account's orders, wallet and reports; ordering and moving money are for its owner and managers.
    Support: { $support }
help-admin = 🛠 You are a Steller admin: /admin opens the admin menu.

language-choose = Choose your language:
language-name-en = English
language-name-ar = العربية
language-set = ✅ Language changed.
language-members_only = The bot follows your Telegram language until you join.
