"""gunicorn settings for fengqiao (`gunicorn -c deploy/gunicorn.conf.py fengqiao.wsgi`).

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, …).
"""

import multiprocessing
import os

wsgi_app = "fengqiao.wsgi:application"
# nginx in front (deploy/nginx/fengqiao.conf) proxies to this address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Intake with attachments and the dossier PDFs are the slowest requests; nginx waits as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without end.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# fengqiao logs one line per request itself (fengqiao.request, with the request id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only nginx on this host may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
