"""The REST API: checkout for headless shops, and the staff API for offers, orders and the staff operations."""
