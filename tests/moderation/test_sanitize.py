"""sanitize_html keeps a small allow-list; sanitize_text cleans plain text."""

from __future__ import annotations

import pytest

from circlemart.moderation.services import sanitize_html, sanitize_text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>hi", "hi"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>hi", "hi"),
        ('<img src=x onerror="alert(1)">hi', "hi"),
        ('<p onclick="alert(1)">hi</p>', "<p>hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="nofollow noopener">x</a>'),
        (
            '<a href="data:text/html,<script>alert(1)</script>">x</a>',
            '<a rel="nofollow noopener">x</a>',
        ),
        ("<style>body{display:none}</style>ok", "ok"),
        ('<iframe src="https://evil.example"></iframe>ok', "ok"),
        ('<svg onload="alert(1)"><circle/></svg>ok', "ok"),
        ("<!-- <script>x</script> -->ok", "ok"),
        ('<p style="position:fixed">hi</p>', "<p>hi</p>"),
        (
            '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
            '<a href="https://ok.example" rel="nofollow noopener">x</a>',
        ),
    ],
)
def test_xss_payloads_are_neutralised(dirty, clean):
    assert sanitize_html(dirty) == clean


def test_allowed_markup_survives():
    html = (
        "<p>Hello <strong>bold</strong> <em>it</em><br></p>"
        "<ul><li>a</li></ul><ol><li>b</li></ol><blockquote>q</blockquote>"
        '<a href="mailto:x@example.com">m</a><a href="http://example.com/a?b=1">h</a>'
    )
    assert sanitize_html(html) == (
        "<p>Hello <strong>bold</strong> <em>it</em><br></p>"
        "<ul><li>a</li></ul><ol><li>b</li></ol><blockquote>q</blockquote>"
        '<a href="mailto:x@example.com" rel="nofollow noopener">m</a>'
        '<a href="http://example.com/a?b=1" rel="nofollow noopener">h</a>'
    )


def test_other_tags_are_unwrapped_keeping_text():
    assert sanitize_html("<h1>Title</h1><div><span>x</span></div>") == "Titlex"


def test_text_entities_stay_escaped():
    assert sanitize_html("1 < 2 & <b>3</b>") == "1 &lt; 2 &amp; 3"


def test_sanitize_text():
    assert sanitize_text("  line1\r\nline2\rline3\u2028end\x00\x07\x1b[31m  ") == (
        "line1\nline2\nline3\nend[31m"
    )


def test_sanitize_text_drops_bidi_overrides_but_keeps_emoji_joiners():
    family = "👨\u200d👩\u200d👧"
    assert sanitize_text(f"abc\u202egnp.exe {family}\ttab") == f"abcgnp.exe {family}\ttab"


def test_sanitize_text_keeps_markup_as_text():
    assert sanitize_text("<b>hi</b>") == "<b>hi</b>"
