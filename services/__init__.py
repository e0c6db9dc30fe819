"""Domain logic: no Flask request objects here. Services own transactions and invariants."""
