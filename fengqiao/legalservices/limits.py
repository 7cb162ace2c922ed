"""The public pages' and endpoints' rate limit (PUBLIC_LEGAL_RATE, per client IP)."""

from fengqiao.cases.public_views import RateLimit

public_limit = RateLimit("legal", "PUBLIC_LEGAL_RATE", "5/600")
