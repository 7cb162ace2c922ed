"""`fengqiao check --deploy` with production settings (DEBUG off, defaults otherwise) reports only
the warning the README explains (security.W021: HSTS preload is the domain owner's decision)."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "var" / "fonts"


def test_check_deploy_is_clean_with_production_defaults(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process, never in production.
        if not k.startswith(
            ("SECURE_", "DEBUG", "TWO_FACTOR_", "SESSION_", "CSRF_", "DJANGO_ALLOW_ASYNC_UNSAFE")
        )
    }
    env.update(
        SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="fengqiao.example.org",
        DEBUG="false",
        VAR_DIR=str(tmp_path),
        # The PDF fonts `make setup` built under the repository's var/ (production sets its own).
        PDF_CJK_FONT=str(FONTS / "NotoSerifSC-Regular.ttf"),
        PDF_CJK_FALLBACK_FONTS=f"{FONTS / 'HanaMinA.ttf'},{FONTS / 'HanaMinB.ttf'}",
        # Production sets the registry's own keys (docs/registry-keys.md; else registry.W001).
        REGISTRY_KEYS="k1=" + base64.b64encode(b"\x01" * 16).decode(),
        REGISTRY_HASH_KEY=base64.b64encode(b"\x02" * 32).decode(),
    )
    result = subprocess.run(
        [sys.executable, "-m", "fengqiao", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    found = set(re.findall(r"\((\w+\.[WE]\d+)\)", output))
    assert found == {"security.W021"}, output
