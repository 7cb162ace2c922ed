"""`fengqiao check --deploy` with production settings (DEBUG off, defaults otherwise) reports only
the warning the README explains (security.W021: HSTS preload is the domain owner's decision)."""

import os
import re
import subprocess
import sys


def test_check_deploy_is_clean_with_production_defaults(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DEBUG", "TWO_FACTOR_", "SESSION_", "CSRF_"))
    }
    env.update(
        SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="fengqiao.example.org",
        DEBUG="false",
        VAR_DIR=str(tmp_path),
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
