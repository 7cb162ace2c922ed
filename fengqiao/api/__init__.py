"""The API foundation shared by every app: tokens, one error shape, idempotent writes, schema."""
