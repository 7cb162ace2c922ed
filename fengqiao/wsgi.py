import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()

# Load the Chinese word dictionary now (≈ 1 s) rather than in the first request that searches.
from fengqiao.search.text import tokenizer  # noqa: E402

tokenizer()
