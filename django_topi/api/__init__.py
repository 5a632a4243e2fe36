"""DRF endpoints for headless shops (checkout) and, later, staff tools."""
