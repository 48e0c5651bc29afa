"""Render the dashboard in headless Chromium (Debian's `chromium`, driven by Playwright) to a PNG.

    python -m flows.screenshot [--workdir ./dtoc-work] [--width 1280]

Playwright drives the system's Chromium (`DTOC_CHROMIUM`, default /usr/bin/chromium); it never
downloads a browser of its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.workspace import default_workdir, environment

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    return environment("DTOC_CHROMIUM")


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(page_path: Path, png: Path, width: int = 1280) -> Path:
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": width, "height": 900})
        page.goto(page_path.resolve().as_uri())
        page.screenshot(path=str(png), full_page=True)
    return png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=default_workdir())
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    site = Path(args.workdir) / "publish" / "site"
    print(screenshot(site / "index.html", site / "dashboard.png", args.width))


if __name__ == "__main__":
    main()
