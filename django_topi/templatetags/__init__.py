"""Template tags for the shop's pages: the topi button, rental prices and the cart's rental overview."""
