"""Lab without pop-ups (issue 13, item 8): in `make lab` and on Binder (./start) the settings shipped in etc/jupyter/
turn off JupyterLab's news (LabApp.news_url=None, whose question "Would you like to get notified about official
Jupyter news?" covered the explorer in every session) and its update check; labconfig/page_config.json disables the
announcements plug-in that asks. Real servers on free loopback ports, stopped by their PID."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from ..helpers import ROOT, get_json
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def page_config(base: str, token: str) -> dict:
    with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as response:
        text = response.read().decode("utf-8")
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def check_no_news(base: str, token: str) -> dict:
    status, news = get_json(f"{base}/lab/api/news", token, timeout=30)
    assert status == 200 and news["news"] == [], news
    status, update = get_json(f"{base}/lab/api/update", token, timeout=30)
    assert status == 200 and update["notification"] is None, update
    config = page_config(base, token)
    assert config["news"] == {"disabled": True}
    assert ANNOUNCEMENTS in config["disabledExtensions"], config["disabledExtensions"]
    return config


def test_the_shipped_settings_turn_the_news_off():
    server = json.loads((ROOT / "etc" / "jupyter" / "jupyter_server_config.json").read_text(encoding="utf-8"))
    assert server["LabApp"] == {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}
    labconfig = json.loads((ROOT / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert labconfig["disabledExtensions"][ANNOUNCEMENTS] is True


def test_make_lab_shows_no_news_pop_up(make_lab, browser):
    check_no_news(make_lab.base, make_lab.token)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{make_lab.base}/lab/tree/notebooks/00-start-here.ipynb?token={make_lab.token}")
        page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=90_000)
        page.wait_for_timeout(4_000)  # the question came a moment after the app was restored
        assert page.get_by_text("official Jupyter news").count() == 0
        assert page.locator(".jp-Notification-Toast, .Toastify__toast").count() == 0
        screenshot(page, "lab-no-news-1366x768")
    finally:
        context.close()


def test_binder_start_shows_no_news(binder):
    check_no_news(binder["start"].base, binder["start"].token)
    # without ./start the news is on: it is the shipped settings that turn it off
    assert page_config(binder["plain"].base, binder["plain"].token)["news"] == {"disabled": False}
