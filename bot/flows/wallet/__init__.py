"""/wallet: balance, held, available, credit limit, commission, the last lines; the statement as CSV."""
