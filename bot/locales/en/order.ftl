## /order and /orders.

order-choose_card = 🛒 Which card?
order-empty_catalog = No cards are available to you right now. Ask your agent or Steller.
order-unavailable = This card is not available right now.
order-next_page = Next ›
order-previous_page = ‹ Previous
order-first_page = « First
order-choose_face = { $name }: which value?
order-type_face = { $name }: type the value, from { $low } to { $high }.
order-not_a_face = That is not a value for this card. Type one from { $low } to { $high }.
order-choose_quantity = { $name } { $face }: how many cards?
order-other_quantity = Another quantity
order-type_quantity = Type how many cards (1 to { $max }).
order-not_a_quantity = That is not a quantity. Type a whole number from 1 to { $max }.
order-summary =
    🧾 { $quantity ->
        [one] One card
       *[other] { $quantity } cards
    }: { $name } { $face }
    Total: { $total }
    Your balance after: { $after }
order-not_enough = ⚠️ You can spend { $spendable } right now: this order would be refused.
order-cancelled = Cancelled: nothing was ordered.

orders-title = 📦 Your recent orders:
orders-none = You have no orders yet. Open /order to buy cards.
orders-line = { $status } { $date } · { $quantity ->
        [one] 1 card
       *[other] { $quantity } cards
    } · { $total }
orders-icon-pending = ⏳
orders-icon-placing = ⏳
orders-icon-processing = 🔄
orders-icon-completed = ✅
orders-icon-partially_completed = ⚠️
orders-icon-failed = ❌
orders-card =
    Order { $short } — { $status }
    { $quantity ->
        [one] One card
       *[other] { $quantity } cards
    }: { $name } { $face } · { $total }
orders-status-pending = ⏳ waiting to be placed
orders-status-placing = ⏳ being placed
orders-status-processing = 🔄 being prepared by the vendor
orders-status-completed = ✅ delivered
orders-status-partially_completed = ⚠️ partly delivered
orders-status-failed = ❌ not delivered
orders-cards_delivered = { $cards } of { $quantity } delivered:
orders-refunded = ↩️ { $total } went back to your wallet.
orders-reveal = 👁 Reveal { $masked }
orders-revealed =
    🔑 Code: { $code }
    PIN: { $pin }
    This message deletes itself in { $seconds } seconds.
