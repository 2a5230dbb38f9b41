import os
import shutil

import pytest

# Playwright's sync API keeps an asyncio loop on the main thread; Django would then
# refuse the fixtures' ORM calls. Nothing here shares a connection across threads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's hosts from this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Package scope: the loop stops once the browser tests are done, so the tests collected
# after them (tests/verify) may call async_to_sync again (realtime publishing).
@pytest.fixture(scope="package")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
