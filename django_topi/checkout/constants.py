"""The checkout's fixed numbers and names."""

SESSION_KEY = "django_topi_offers"
#: How soon a client should ask again while another click is talking to topi.
PENDING_RETRY_SECONDS = 2
#: How often one click looks again when topi's answers change what it knew (an offer expired,
#: an unknown offer turned out to be for another cart). Each look is bounded; so are the looks.
MAX_LOOKS = 4
#: topi's name for an edit refused because the customer already checked the offer out.
ALREADY_CHECKED_OUT = "AlreadyCheckedOut"
