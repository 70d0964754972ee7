"""Channel adapters: translate between a platform and our neutral messages at the edge."""
