"""The `scaffold serve` page in a real headless Chromium, served by a real uvicorn.

Chromium is the distribution's (`apt-get install chromium`, which scripts/test.sh does);
Playwright drives it through `executable_path` and never downloads a browser. The
screenshot is kept under the test's temporary directory (its path is printed);
SCAFFOLD_SCREENSHOT=path copies it elsewhere, which is how the README's is made.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from typer.testing import CliRunner

from scaffold.cli import app as cli

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000  # a render takes seconds on a busy machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("serve")
    port = _free_port()
    with (logs / "out.log").open("w") as out, (logs / "err.log").open("w") as err:
        process = subprocess.Popen(
            [
                *(sys.executable, "-c", "from scaffold.cli import app; app()", "serve"),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            stdout=out,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"scaffold serve did not start: {(logs / 'err.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        # Ctrl-C, as a user stops it: a clean shutdown, no traceback from the workers.
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        stderr = (logs / "err.log").read_text()
        assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("no chromium: apt-get install chromium (scripts/test.sh installs it)")
    return found


def _summary(page: Page) -> str:
    return str(page.locator("#summary").text_content())


def test_page_picks_a_combination_previews_and_downloads_what_scaffold_new_renders(
    server: str, chromium: str, tmp_path: Path
) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, accept_downloads=True
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        page.goto(server)
        expect(page.locator("#summary")).to_contain_text("files in my-service/")
        expect(page.locator("#tree")).to_contain_text("go.mod")

        # Every control is labelled, and the keyboard reaches the first one first.
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select')]
                .filter((el) => el.labels.length === 0).map((el) => el.id)"""
        )
        assert unlabelled == []
        page.locator("body").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "q-stack"

        # Choices that do not fit the stack disappear; the preview follows the choice.
        page.select_option("#q-stack", "python-fastapi")
        frameworks = page.locator("#q-framework option").evaluate_all(
            "(options) => options.map((o) => o.value)"
        )
        assert frameworks == ["fastapi"]
        expect(page.locator('[data-question="go_module"]')).to_be_hidden()
        expect(page.locator('[data-question="python_package"]')).to_be_visible()
        page.select_option("#q-architecture", "serverless")
        page.select_option("#q-cache", "none")
        page.fill("#q-project_name", "Orders API")
        expect(page.locator("#summary")).to_contain_text("files in orders-api/")
        expect(page.locator("#tree")).to_contain_text("pyproject.toml")
        expect(page.locator("#tree")).not_to_contain_text("go.mod")
        assert "stack=python-fastapi" in page.url and "project_name=Orders+API" in page.url

        # The file viewer shows the rendered text.
        page.locator("#tree button.file", has_text="pyproject.toml").first.click()
        expect(page.locator("#viewer-path")).to_have_text("pyproject.toml")
        expect(page.locator("#viewer")).to_contain_text('name = "orders-api"')

        # A bad answer is refused in one line, at its field, and nothing renders.
        page.fill("#q-http_port", "80")
        expect(page.locator("#error")).to_contain_text("http_port must be between")
        expect(page.locator("#q-http_port")).to_have_attribute("aria-invalid", "true")
        page.fill("#q-http_port", "9090")
        expect(page.locator("#error")).to_have_text("")
        expect(page.locator("#command")).to_contain_text("http_port=9090")

        command = str(page.locator("#command").text_content())
        page.click("#copy")
        expect(page.locator("#status")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == command

        with page.expect_download() as download_info:
            page.click("#download")
        download = download_info.value
        assert download.suggested_filename == "orders-api.zip"
        zipped = download.path().read_bytes()

        screenshot = tmp_path / "serve.png"
        page.screenshot(path=screenshot)
        print(f"screenshot: {screenshot}")
        if wanted := os.environ.get("SCAFFOLD_SCREENSHOT"):
            shutil.copy(screenshot, wanted)

        # The URL holds the choice: opening it again shows the same form.
        again = context.new_page()
        again.goto(page.url)
        expect(again.locator("#q-stack")).to_have_value("python-fastapi")
        expect(again.locator("#q-architecture")).to_have_value("serverless")
        expect(again.locator("#q-project_name")).to_have_value("Orders API")
        expect(again.locator("#command")).to_have_text(command)
        browser.close()

    # The download is what `scaffold new` renders from the command the page showed.
    argv = shlex.split(command)
    assert argv[:3] == ["scaffold", "new", "orders-api"]
    dest = tmp_path / "orders-api"
    created = CliRunner().invoke(cli, ["new", str(dest), *argv[3:]])
    assert created.exit_code == 0, created.output
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    entries = {info.filename: info for info in archive.infolist()}
    on_disk = {f"orders-api/{p.relative_to(dest).as_posix()}": p for p in dest.rglob("*")}
    on_disk = {name: path for name, path in on_disk.items() if path.is_file()}
    assert sorted(entries) == sorted(on_disk)
    for name, path in on_disk.items():
        assert archive.read(name) == path.read_bytes(), name
        assert entries[name].external_attr >> 16 == path.stat().st_mode, name
