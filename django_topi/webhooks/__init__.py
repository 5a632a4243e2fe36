"""topi's webhooks: a thin view, verification, and processing that stores before it acts."""
