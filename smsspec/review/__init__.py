"""Reviewing changes: what a change to the specs does for recipients (diff) and what they will see (preview)."""
