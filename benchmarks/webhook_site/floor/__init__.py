"""The floor: the least a webhook endpoint can do (parse, one row per event id, answer 200)."""
