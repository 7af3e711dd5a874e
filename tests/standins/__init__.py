"""Stand-in merchant order systems that speak the platforms' protocols over real HTTP.

`serve(app)` (server.py) runs any of them on a loopback port: `ShopifyStandIn` (shopify.py),
`WooCommerceStandIn` (woocommerce.py), `GenericStandIn` (generic.py) and `FaultyStandIn`
(faulty.py). Each counts what it was sent (`requests`, `received`).
"""
