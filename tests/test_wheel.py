"""The wheel is the whole service: built from the checkout, installed elsewhere, it serves the map page
with its templates, static files, translations and migrations (setup.py copies them into the package)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVE = textwrap.dedent("""
    import sys
    from pathlib import Path

    import spaces
    assert spaces.__file__.startswith(sys.argv[1]), spaces.__file__  # the installed copy, not the checkout
    from spaces import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[2], "SECRET_KEY": "wheel-test", "TILE_URL": ""})
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and "Räume und Treffpunkte in Hannover" in page.get_data(as_text=True)
    assert client.get("/static/css/raumfinder.css").status_code == 200
    assert "Rooms and meeting spots in Hannover" in client.get("/?lang=en").get_data(as_text=True)
    assert (Path(app.extensions["migrate"].directory) / "versions").is_dir()
    print(app.template_folder)
""")


def test_the_wheel_serves_a_page_from_an_installed_copy(tmp_path, database_url):
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                    str(ROOT), "-w", str(dist)], check=True, capture_output=True)
    [wheel] = dist.glob("raumfinder-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                    "--target", str(site), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site), "RAUMFINDER_INSTANCE": str(tmp_path / "instance")}
    served = subprocess.run([sys.executable, "-c", SERVE, str(site), database_url], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert served.returncode == 0, served.stderr[-3000:]
    assert served.stdout.strip() == str(site / "spaces" / "_files" / "templates")
