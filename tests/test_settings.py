"""Production settings refuse to start half-configured and pass Django's deploy checks."""

import subprocess
import sys

from tests.conftest import ROOT

GOOD_KEY = "k" * 20 + "-production-secret-that-is-long-enough-1234"


def run_manage(*args, **env):
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base | env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", ALLOWED_HOSTS="terrain.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", SECRET_KEY="short", ALLOWED_HOSTS="terrain.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=".terrain.example.org"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_bundled_proxy_lets_through_the_biggest_file_the_import_takes():
    """The import wizard announces files up to 500 MB; nginx in compose.yaml refused
    anything over 50 MB (about 400,000 voters) with its own bare 413 page."""
    import re

    from crm.importing.pipeline import MAX_UPLOAD_BYTES

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    size, unit = re.search(r"client_max_body_size\s+(\d+)([kKmMgG]?);", conf).groups()
    limit = int(size) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[unit.lower()]
    assert limit > MAX_UPLOAD_BYTES  # the multipart form around the file takes a few bytes more
