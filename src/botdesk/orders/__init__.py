"""Orders: the merchant's order system reached through a connector, and parcel carriers.

Nothing here calls a third party on its own: connectors reach only the host a tenant configured
(outbound.py), and carriers are only linked to, never asked (carriers.py).
"""
