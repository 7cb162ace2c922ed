"""deploy/: the files an installation uses are valid for the tools that read them."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def env_file() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "fengqiao.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_gunicorn_config_checks():
    env = {**os.environ, "SECRET_KEY": "x" * 50, "DEBUG": "0", "ALLOWED_HOSTS": "localhost"}
    done = subprocess.run(
        [BIN / "gunicorn", "--check-config", "-c", DEPLOY / "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_nginx_site_is_valid_and_serves_protected_files_from_media_root(tmp_path):
    site = (DEPLOY / "nginx" / "fengqiao.conf").read_text()
    settings = env_file()
    prefix = settings["FILE_ACCEL_REDIRECT_PREFIX"]
    block = re.search(rf"location {re.escape(prefix)} \{{(.*?)\}}", site, re.S)
    assert block, f"no location for {prefix}"
    assert "internal;" in block.group(1)
    assert f"alias {settings['MEDIA_ROOT']}/;" in block.group(1)
    assert f"alias {settings['VAR_DIR']}/static/;" in site
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx:
        pytest.skip("nginx is not installed (apt-get install nginx-light to check the site)")
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed (needed for a test certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=fengqiao.test", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (tmp_path / "site.conf").write_text(
        site.replace("/etc/ssl/fengqiao/fullchain.pem", str(cert)).replace(
            "/etc/ssl/fengqiao/privkey.pem", str(key)
        )
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", tmp_path, "-e", tmp_path / "error.log", "-c", tmp_path / "nginx.conf"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


UNITS = ["fengqiao-web.service", "fengqiao-worker@.service", "fengqiao-scheduler.service",
         "fengqiao-backup.service", "fengqiao-backup.timer"]  # fmt: skip


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_units_parse(unit, tmp_path):
    text = (DEPLOY / "systemd" / unit).read_text()
    assert "EnvironmentFile=/etc/fengqiao/fengqiao.env" in text or unit.endswith(".timer")
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    # The installed paths do not exist here: point the commands at this checkout's venv.
    name = unit.replace("@.service", "@1.service")
    (tmp_path / name).write_text(text.replace("/srv/fengqiao/venv/bin", str(BIN)))
    if unit.endswith(".timer"):
        service = (DEPLOY / "systemd" / "fengqiao-backup.service").read_text()
        (tmp_path / "fengqiao-backup.service").write_text(
            service.replace("/srv/fengqiao/venv/bin", str(BIN))
        )
    done = subprocess.run(
        [analyze, "verify", tmp_path / name], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_compose_file_has_the_services_on_postgresql_and_redis():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "scheduler"} <= set(services)
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    for name in ("web", "worker", "scheduler", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
    assert "db_worker" in services["worker"]["command"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["scheduler"]["command"] == ["fengqiao", "scheduler"]
    assert (ROOT / "Dockerfile").exists()


LOGGING_UNITS = {
    "fengqiao-web.service": "web",
    "fengqiao-worker@.service": "worker-%i",
    "fengqiao-scheduler.service": "scheduler",
}
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 31}


def test_request_logs_are_kept_six_months_where_the_application_cannot_change_them(tmp_path):
    """Issue 13: request logs kept at least six months, and no application role deletes them."""
    conf = (DEPLOY / "logrotate" / "fengqiao").read_text()
    lines = [line.split("#")[0].split() for line in conf.splitlines()]
    words = [w for w in lines if w]
    assert words[0][0] == "/var/log/fengqiao/*.log"
    periods = [w[0] for w in words if w[0] in PERIOD_DAYS]
    (rotate,) = [int(w[1]) for w in words if w[0] == "rotate"]
    assert len(periods) == 1 and rotate * PERIOD_DAYS[periods[0]] >= 183
    assert not [w for w in words if w[0] in ("maxage", "maxsize", "size")]
    assert ["su", "root", "adm"] in words
    for unit, name in LOGGING_UNITS.items():
        text = (DEPLOY / "systemd" / unit).read_text()
        # Opened by the service manager (root), not by the fengqiao account; no LogsDirectory=
        # (that one would belong to the service's user).
        for stream in ("StandardOutput", "StandardError"):
            assert f"{stream}=append:/var/log/fengqiao/{name}.log" in text
        assert "LogsDirectory" not in text and "User=fengqiao" in text
    readme = (ROOT / "README.md").read_text()
    assert "install -d -o root -g adm -m 750 /var/log/fengqiao" in readme
    assert "cp deploy/logrotate/fengqiao /etc/logrotate.d/" in readme
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not Path(logrotate).exists():
        pytest.skip("logrotate is not installed")
    done = subprocess.run(
        [logrotate, "--debug", "--state", tmp_path / "state", DEPLOY / "logrotate" / "fengqiao"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower(), done.stderr
