"""Loaded with `-p tests.env` before Django starts: test-only settings from the environment."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# Tests talk plain HTTP to the test client and the live server.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("TWO_FACTOR_REQUIRED_ROLES", "")  # tests that need it turn it on
