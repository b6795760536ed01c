"""Analytics: the partner API's request log and the partner's own stats (PRODUCT.md §8)."""
