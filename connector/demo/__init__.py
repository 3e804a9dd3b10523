"""`tandem demo`: a local demo store (the Shopify stand-in), demo data and a supplier mailbox."""
