"""Admin pricing and card lists: /discount (kind defaults and party overrides, per brand or card) and
/cardlist (the default agent list and a party's own list: add by search, remove, reorder)."""
