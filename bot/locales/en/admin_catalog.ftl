## Admin pricing and card lists: /discount and /cardlist.

admin_catalog-button-menu = 🛠 Admin menu
admin_catalog-button-previous = ‹ Previous
admin_catalog-button-next = Next ›
admin_catalog-brand-not_found = No brand has the id or the name “{ $ref }”.
admin_catalog-brand-ambiguous = Several brands are named “{ $ref }”: { $ids }. Name one by its id.
admin_catalog-product-not_found = No card has the id “{ $ref }”. Card ids are Bamboo's product ids; find one with /cardlist → Add a card.

## Discounts (/discount).

admin_catalog-discount-usage = Use: /discount <party or kind> <percent> [brand or card]
    • /discount agent 5 — the default for agents, all cards
    • /discount 42 3.5 brand:Steam — party #42, Steam cards only
    • /discount "Top Agent" 4 product:1234 — one card
    Kinds: agent, subagent, partner. A name with spaces goes in quotes. /discount alone asks step by step.
admin_catalog-discount-not_a_percent = That is not a percentage. Type it like 5 or 3.5 (from 0 up to below 100).
admin_catalog-discount-kind-agent = agents (the default)
admin_catalog-discount-kind-subagent = sub-agents (the default)
admin_catalog-discount-kind-partner = partners (the default)
admin_catalog-discount-party = { $name } (#{ $id })
admin_catalog-discount-scope-all = all cards
admin_catalog-discount-scope-brand = brand { $name } (#{ $id })
admin_catalog-discount-scope-product = card { $name } (#{ $id })
admin_catalog-discount-confirm = 🏷 Set the discount of { $target } on { $scope } to { $percent } % off face value?
admin_catalog-discount-example-now = Example: { $party } pays { $price } now for { $card } ({ $face }).
admin_catalog-discount-example-none = No example price: no card of this scope can be priced for such a party right now.
admin_catalog-discount-done = ✅ The discount of { $target } on { $scope } is { $percent } %.
admin_catalog-discount-example-changed = Example: { $party } pays for { $card } ({ $face }): { $before } → { $after }.
admin_catalog-discount-cancelled = Cancelled. No discount was changed.
admin_catalog-discount-start = 🏷 Discounts — whose discount do you set?
    A kind's default applies to every party of that kind without one of its own; a party's own discount wins over it. A child is never given more than its parent.
admin_catalog-discount-ask-party = Type the party's id (like 42) or its exact name.
admin_catalog-discount-ask-scope = Discount of { $target }: on which cards?
admin_catalog-discount-ask-brand = Discount of { $target }: type the brand's id or exact name.
admin_catalog-discount-ask-product = Discount of { $target }: type the card's id (Bamboo's product id).
admin_catalog-discount-ask-percent = Discount of { $target }: type the percentage off face value, like 5 or 3.5.
admin_catalog-discount-button-kind-agent = 🧑‍💼 Agents
admin_catalog-discount-button-kind-subagent = 👥 Sub-agents
admin_catalog-discount-button-kind-partner = 🤝 Partners
admin_catalog-discount-button-party = 🔎 One party…
admin_catalog-discount-button-scope-all = All cards
admin_catalog-discount-button-scope-brand = One brand…
admin_catalog-discount-button-scope-product = One card…
admin_catalog-discount-button-list = 📋 Discounts set now
admin_catalog-discount-button-another = 🏷 Set a discount
admin_catalog-discount-list-title = 📋 { $count ->
        [0] No discounts are set: everyone pays face value.
        [one] One discount is set:
       *[other] { $count } discounts are set:
    }
admin_catalog-discount-list-line = • { $target }, { $scope }: { $percent } %
admin_catalog-discount-list-more = … and { $count } more (see `steller discount list`).

## Card lists (/cardlist).

admin_catalog-cardlist-home = 🗂 Card lists — which cards parties may buy, in the order they see them.
    The default agent list is what every agent and sub-agent without a list of its own buys from. A party's own list replaces it; a child never sees more than its parent.
admin_catalog-cardlist-button-default = 🗂 Default agent list
admin_catalog-cardlist-button-party = 🔎 A party's list…
admin_catalog-cardlist-button-lists = ‹ Card lists
admin_catalog-cardlist-ask-party = Type the party's id (like 42) or its exact name.
admin_catalog-cardlist-name-default = the default agent list
admin_catalog-cardlist-name-party = the list of { $name } (#{ $id })
admin_catalog-cardlist-title-default = 🗂 Default agent list: { $count ->
        [0] no cards yet.
        [one] one card.
       *[other] { $count } cards.
    }
admin_catalog-cardlist-title-own = 🗂 Own list of { $name } (#{ $id }): { $count ->
        [0] no cards — it can buy nothing.
        [one] one card.
       *[other] { $count } cards.
    } It replaces the default list.
admin_catalog-cardlist-title-uses_default = 🗂 { $name } (#{ $id }) has no list of its own: it buys from the default agent list ({ $count ->
        [one] one card
       *[other] { $count } cards
    }). A list of its own replaces the default: start from a copy of it, or add cards one by one.
admin_catalog-cardlist-title-catalog = 🗂 { $name } (#{ $id }) has no approved list: it sees the whole catalog. Adding a card starts its approved list; it then sees only those cards.
admin_catalog-cardlist-page = Page { $page } of { $pages }
admin_catalog-cardlist-line = { $index }. { $name } (#{ $id }) — { $offer }
admin_catalog-cardlist-offer-fixed = { $values } { $currency }
admin_catalog-cardlist-offer-range = any amount { $low }–{ $high } { $currency }
admin_catalog-cardlist-unavailable = {" "}⚠️ not available now
admin_catalog-cardlist-item = { $name } (#{ $id })
    Brand { $brand }, { $country }
    Offered: { $offer }
    Place { $position } of { $count }
admin_catalog-cardlist-button-up = ↑ Up
admin_catalog-cardlist-button-down = ↓ Down
admin_catalog-cardlist-button-remove = ✖ Remove
admin_catalog-cardlist-button-remove_yes = ✖ Yes, remove
admin_catalog-cardlist-button-change = ✏️ Change the amounts
admin_catalog-cardlist-button-back = ‹ Back to the list
admin_catalog-cardlist-button-add = ➕ Add a card
admin_catalog-cardlist-button-add_first = ➕ Add a card (starts its own list)
admin_catalog-cardlist-button-copy = 📋 Start from a copy of the default list
admin_catalog-cardlist-button-drop = ↩ Drop its own list
admin_catalog-cardlist-button-drop_yes = ↩ Yes, drop it
admin_catalog-cardlist-already-top = It is already the first card.
admin_catalog-cardlist-already-bottom = It is already the last card.
admin_catalog-cardlist-not_on_list = That card is not on this list (any more). Nothing was changed.
admin_catalog-cardlist-remove-confirm = Remove { $name } from { $list }? Parties buying from it no longer see it.
admin_catalog-cardlist-removed = ✖ Removed.
admin_catalog-cardlist-copied = 📋 It now has its own list, a copy of the default list.
admin_catalog-cardlist-has_own = It already has a list of its own. Nothing was changed.
admin_catalog-cardlist-no_own = It has no list of its own. Nothing was changed.
admin_catalog-cardlist-drop-confirm-default = Drop the own list of { $name } (#{ $id })? It then buys from the default agent list again.
admin_catalog-cardlist-drop-confirm-catalog = Drop the approved list of { $name } (#{ $id })? It then sees the whole catalog again.
admin_catalog-cardlist-dropped = ↩ Its own list was dropped.
admin_catalog-cardlist-ask-search = Adding a card to { $list }: type part of the card's or the brand's name, or the card's id.
admin_catalog-cardlist-search-none = No card in the catalog matches “{ $text }”. Type another search.
admin_catalog-cardlist-search-results = Cards matching “{ $text }” — pick one (or type another search):
admin_catalog-cardlist-gone = This card has left the vendor's catalog: it cannot be added.
admin_catalog-cardlist-how = { $name }: any amount from { $low } to { $high }. How may parties buy it?
admin_catalog-cardlist-button-full = Any amount { $low }–{ $high }
admin_catalog-cardlist-button-range = A narrower range…
admin_catalog-cardlist-button-denominations = Fixed amounts…
admin_catalog-cardlist-ask-range = { $name } ({ $low }–{ $high }): type the range parties may buy, like 10-100.
admin_catalog-cardlist-ask-denominations = { $name } ({ $low }–{ $high }): type the amounts parties may buy, like 10, 20, 50.
admin_catalog-cardlist-not-range = That is not a range. Type it like 10-100.
admin_catalog-cardlist-not-denominations = Those are not amounts. Type them like 10, 20, 50.
admin_catalog-cardlist-outside = That does not fit { $name }: every amount must lie within { $low }–{ $high }, and a range runs from low to high. Type it again.
admin_catalog-cardlist-added = ✅ { $name } is on the list.

## Refusals of the core these commands may meet.

error-pricing-discount_above_parent = A party's discount cannot be above its parent's (and the sub-agent default not above the agent default). Nothing was changed.
error-pricing-discount_below_child = A sub-agent already has more discount than that; lower theirs first. Nothing was changed.
error-pricing-invalid_discount = That is not a valid discount. Nothing was changed.
error-cardlist-invalid_item = That card cannot be offered like that. Nothing was changed.
error-cardlist-not_found = That card list does not exist (any more).
