"""text_screen / text_check: actions, masking on the original text, word-list edits."""

from __future__ import annotations

import pytest
from django.utils import translation

from circlemart.core import cache as generations
from circlemart.core.errors import ValidationFailed
from circlemart.moderation import services
from circlemart.moderation.contracts import Action, ScreenResult
from circlemart.moderation.models import SensitiveWord

pytestmark = pytest.mark.django_db


def screen(text: str) -> ScreenResult:
    return services.text_screen(text=text, field="body")


@pytest.mark.usefixtures("words")
class TestScreen:
    def test_clean_text_is_allowed_unchanged(self):
        assert screen("今天买了一件很好看的外套") == ScreenResult(
            action=Action.ALLOW, text="今天买了一件很好看的外套", categories=(), matches=()
        )

    def test_empty_text(self):
        assert screen("").action == Action.ALLOW

    @pytest.mark.parametrize(
        "text",
        ["去赌博网站", "去賭博網站", "去 赌 博 网 站", "去赌*博*网*站", "赌\u200d博\u200b网站"],
    )
    def test_blocked_variants(self, text):
        result = screen(text)
        assert result.action == Action.BLOCK
        assert result.categories == ("gambling",)
        assert result.matches == ("赌博网站",)
        assert result.text == text  # block words are not masked

    @pytest.mark.parametrize(
        "text", ["CLICK HERE TO WIN", "ｃｌｉｃｋ ｈｅｒｅ ｔｏ ｗｉｎ", "Click-Here-To-Win!"]
    )
    def test_english_variants(self, text):
        assert screen(text).action == Action.BLOCK

    @pytest.mark.parametrize(
        "text", ["加微信", "加 微 信", "加*微*信", "加\u200d微信", "加．微．信"]
    )
    def test_review_variants(self, text):
        result = screen(text)
        assert result.action == Action.REVIEW
        assert result.matches == ("加微信",)

    def test_mask_replaces_the_original_span_and_keeps_the_rest(self):
        result = screen("你这个傻 逼，真是的")
        assert result == ScreenResult(
            action=Action.MASK, text="你这个***，真是的", categories=("abuse",), matches=("傻逼",)
        )

    def test_mask_on_mixed_case_full_width_english(self):
        assert screen("You are an ＩＤｉot, friend").text == "You are an *****, friend"

    def test_mask_every_occurrence(self):
        assert screen("idiot! IDIOT").text == "*****! *****"

    def test_latin_words_match_whole_words_only(self):
        assert screen("first class glass").action == Action.ALLOW
        assert screen("what an ass.").text == "what an ***."

    def test_strongest_action_wins_and_masks_still_apply(self):
        result = screen("傻逼，加微信，去赌博网站")
        assert result.action == Action.BLOCK
        assert result.categories == ("abuse", "spam", "gambling")
        assert result.matches == ("傻逼", "加微信", "赌博网站")
        assert result.text == "**，加微信，去赌博网站"

    def test_review_beats_mask(self):
        assert screen("傻逼 加微信").action == Action.REVIEW


@pytest.mark.usefixtures("words")
class TestCheck:
    def test_block_raises_naming_the_field(self):
        with translation.override("en"), pytest.raises(ValidationFailed) as caught:
            services.text_check(text="去賭博網站", field="nickname")
        assert caught.value.code == "sensitive_content"
        assert caught.value.field == "nickname"
        assert caught.value.as_dict() == {
            "code": "sensitive_content",
            "message": "This text contains words that are not allowed. "
            "Please edit it and try again.",
            "field": "nickname",
        }

    def test_below_block_returns_the_result(self):
        result = services.text_check(text="傻逼", field="bio")
        assert (result.action, result.text) == (Action.MASK, "**")


def word_generation() -> int:
    return generations.generations(["moderation:words"])["moderation:words"]


@pytest.mark.usefixtures("words")
class TestWordListEdits:
    # With Redis the generation is bumped after commit: each edit runs as a committed request.
    def test_added_word_takes_effect(self, django_capture_on_commit_callbacks):
        assert screen("便宜代购").action == Action.ALLOW
        before = word_generation()
        with django_capture_on_commit_callbacks(execute=True):
            services.word_upsert(word="代购", category="spam", action="review")
        assert word_generation() == before + 1
        assert screen("便宜代购").action == Action.REVIEW

    def test_changed_action_takes_effect(self, django_capture_on_commit_callbacks):
        assert screen("加微信").action == Action.REVIEW
        with django_capture_on_commit_callbacks(execute=True):
            services.word_upsert(word="加微信", category="spam", action="block")
        assert screen("加微信").action == Action.BLOCK

    def test_deactivated_word_stops_matching(self, django_capture_on_commit_callbacks):
        assert screen("idiot").action == Action.MASK
        word_id = SensitiveWord.objects.get(word="idiot").pk
        with django_capture_on_commit_callbacks(execute=True):
            assert services.words_set_active(word_ids=[word_id], is_active=False) == 1
        assert screen("idiot") == ScreenResult(
            action=Action.ALLOW, text="idiot", categories=(), matches=()
        )

    def test_bulk_import(self):
        count = services.words_import(
            text="# promo words\n免费领取\n\n  限时秒杀群  \r\n", category="spam", action="review"
        )
        assert count == 2
        assert sorted(
            SensitiveWord.objects.filter(word__in=["免费领取", "限时秒杀群"]).values_list(
                "word", "action"
            )
        ) == [("免费领取", "review"), ("限时秒杀群", "review")]
        assert screen("进 限时秒杀群").action == Action.REVIEW

    def test_invalid_action_refused(self):
        with pytest.raises(ValidationFailed) as caught:
            services.word_upsert(word="x", category="spam", action="explode")
        assert caught.value.field == "action"
        assert not SensitiveWord.objects.filter(word="x").exists()

    def test_no_words_allows_everything(self):
        SensitiveWord.objects.all().delete()
        services.word_list_changed()
        assert screen("赌博网站").action == Action.ALLOW

    def test_spellings_that_fold_alike_take_the_stronger_action(self):
        services.word_upsert(word="加 微 信", category="spam", action="block")
        assert screen("加微信").action == Action.BLOCK


def test_starter_list_ships_with_the_migration():
    assert SensitiveWord.objects.filter(is_active=True).count() >= 15
    assert set(SensitiveWord.objects.values_list("category", flat=True)) >= {
        "spam",
        "gambling",
        "abuse",
        "fraud",
    }
    assert screen("去賭博網站").action == Action.BLOCK
    assert screen("加 微 信 聊").action == Action.REVIEW
    assert screen("Click here to WIN").action == Action.BLOCK


@pytest.mark.usefixtures("words")
def test_block_message_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        services.text_check(text="赌博网站", field="body")
    assert caught.value.as_dict()["message"] == "内容包含不允许使用的词语，请修改后重试。"
