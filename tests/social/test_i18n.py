"""Social pages and messages in Simplified Chinese."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.social.helpers import bearer

pytestmark = pytest.mark.django_db


def test_pages_are_chinese_by_default():
    client = Client()
    client.force_login(UserFactory())
    html = client.get("/notes/new/").content.decode()
    assert "写笔记" in html
    assert "存草稿" in html


def test_api_errors_are_translated():
    user = UserFactory()
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        "/api/v1/social/notes",
        json.dumps({"text": "ok", "video_url": "ftp://x"}),
        content_type="application/json",
        headers=bearer(user),
    )
    assert response.json()["error"]["message"] == "请输入有效的 http 或 https 视频链接。"
