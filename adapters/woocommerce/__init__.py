"""WooCommerce behind Tandem's storefront port: the REST API v3 client (`client`), orders in
(`orders`, `mapper`, `webhooks`, `deliveries`), write-backs (`writeback`) and stock (`stock`).
The platform registers itself as the entry point `tandem.platforms: woocommerce`."""
