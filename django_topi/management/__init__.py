"""Management commands: reconcile with topi, push the catalog, register shipping methods, expire offers, replay webhooks."""
