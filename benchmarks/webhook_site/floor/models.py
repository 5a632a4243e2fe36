from django.db import models


class FloorEvent(models.Model):
    """One row per delivery's svix-id, whatever arrives again."""

    event_id = models.CharField(max_length=255, unique=True)
    topi_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.event_id
