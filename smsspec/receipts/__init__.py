"""Delivery receipts: what providers say after they accepted a message.

``reading`` (a notification read by the provider's descriptor), ``inboxes``
(the accounts a receiver serves, with their tokens), ``app`` (the ASGI
receiver and running it under uvicorn), ``setup`` (the project's config and
ledger), ``polling`` (asking a provider's status call, ``status --refresh``).
"""
