"""Sending messages to providers, and the ledger that keeps each delivery to at most one send."""
