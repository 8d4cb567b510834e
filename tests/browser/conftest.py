"""Browser fixtures: Duban served on 127.0.0.1 by the test, driven by Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.demo import load_demo
from app.extensions import db
from tests.conftest import ROOT, empty_all_tables, make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium; skipped where it cannot be installed, except in CI."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        message = "未找到 /usr/bin/chromium(scripts/test.sh 会用 apt-get 安装),浏览器测试跳过"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server(migrated_app, database_url, snapshots) -> Iterator[str]:
    """Duban with the demo data, served on a free port of 127.0.0.1 for this module's tests."""
    app = make_test_app(database_url)
    with app.app_context():
        snapshots.reset()
        load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, bodies_closed_early(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        empty_all_tables()


def bodies_closed_early(app):
    """The app with every response body read and closed before Werkzeug writes it.

    When the browser drops a connection (a page navigating on), Werkzeug's dev server fails in its
    cleanup before closing the body, leaking the static file's handle; the ResourceWarning then
    fails whichever test is running. Buffered bodies hold no file.
    """
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@pytest.fixture
def page(browser, request):
    """A fresh browser page in Chinese; a screenshot of its last state is kept as an artifact."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
