"""Segmentation: the same pipeline for documents and queries, Chinese and Latin."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from circlemart.search import segment

pytestmark = pytest.mark.django_db  # first use reads brand and category names


def query_found_in(query: str, document: str) -> bool:
    return set(segment.segment(query, for_query=True)) <= set(segment.segment(document))


class TestChinese:
    def test_query_word_finds_longer_title(self):
        assert segment.segment("蓝牙耳机", for_query=True) == ["蓝牙", "耳机"]
        assert segment.segment("无线蓝牙降噪耳机") == ["无线", "蓝牙", "降噪", "耳机", "降噪耳机"]
        assert query_found_in("蓝牙耳机", "无线蓝牙降噪耳机")

    def test_document_keeps_the_word_and_its_dictionary_parts(self):
        assert segment.segment("蓝牙耳机") == ["蓝牙", "耳机", "蓝牙耳机"]
        assert segment.segment("红色的连衣裙") == ["红色", "连衣", "衣裙", "连衣裙"]

    def test_committed_word_list_keeps_product_terms_whole(self):
        assert segment.segment("氨基酸洗面奶", for_query=True) == ["氨基酸", "洗面奶"]
        assert query_found_in("洗面奶", "控油氨基酸洗面奶 男士")
        assert not query_found_in("洗面奶", "洗面巾")

    def test_stop_words_are_dropped(self):
        assert segment.segment("红色的连衣裙", for_query=True) == ["红色", "连衣", "衣裙"]

    def test_names_added_to_the_dictionary_stay_one_word(self):
        assert segment.segment("澜汐", for_query=True) == ["澜", "汐"]
        assert segment.add_words(["澜汐 Lanxi"]) == 1
        assert segment.segment("澜汐", for_query=True) == ["澜汐"]
        assert segment.add_words(["澜汐"]) == 0
        assert query_found_in("澜汐", "澜汐补水面膜")

    def test_single_characters_of_a_title_are_available(self):
        assert segment.han_characters("男士运动鞋 的") == ["男", "士", "运", "动", "鞋"]


class TestLatin:
    def test_plural_and_case_share_a_stem(self):
        assert segment.segment("Headphones") == ["headphon"]
        assert segment.segment("headphone", for_query=True) == ["headphon"]
        assert query_found_in("HEADPHONE", "Sony Wireless Headphones")

    def test_model_numbers_are_kept_in_every_spelling(self):
        assert segment.segment("WH-1000XM4") == ["wh", "1000", "xm", "4", "1000xm4", "wh1000xm4"]
        for query in ("wh-1000xm4", "WH1000XM4", "1000XM4", "wh 1000 xm4"):
            assert query_found_in(query, "Sony WH-1000XM4"), query

    def test_digits_and_units(self):
        assert segment.segment("iPhone15 256GB") == [
            "iphon",
            "15",
            "iphone15",
            "256",
            "gb",
            "256gb",
        ]
        assert query_found_in("iphone 15", "Apple iPhone15")

    def test_full_width_and_accents_fold(self):
        assert segment.segment("ＳＯＮＹ　Café") == ["soni", "cafe"]

    def test_english_stop_words_and_operators_are_plain_words_or_gone(self):
        assert segment.segment("the AND or NOT near", for_query=True) == ["near"]

    def test_mixed_chinese_and_latin(self):
        assert segment.segment("小米Redmi手机", for_query=True) == ["小米", "redmi", "手机"]


class TestNormalise:
    def test_syntax_emoji_and_control_characters_become_separators(self):
        raw = '"foo" * (bar) : ^ - ; -- % 😀\x00\x07 NEAR/2 \u202e'
        assert segment.normalise(raw) == "foo bar near/2"

    def test_long_input_is_cut_at_a_word_boundary(self):
        assert segment.normalise("ab " * 5000) == " ".join(["ab"] * 33)
        assert segment.normalise("x" * 10_000) == "x" * segment.QUERY_MAX_CHARS

    def test_query_analysis_marks_correctable_words(self):
        analysed = segment.analyse_query("Headphnes 蓝牙耳机 the WH-1000XM4")
        assert analysed.text == "headphnes 蓝牙耳机 the wh-1000xm4"
        assert [(word.text, word.terms, word.correctable) for word in analysed.words] == [
            ("headphnes", ("headphn",), True),
            ("蓝牙耳机", ("蓝牙", "耳机"), False),
            ("the", (), False),
            ("wh-1000xm4", ("wh", "1000", "xm", "4"), False),
        ]
        assert analysed.terms == ("headphn", "蓝牙", "耳机", "wh", "1000", "xm", "4")

    def test_latin_vocabulary_maps_terms_to_words(self):
        assert segment.latin_vocabulary("Sony Headphones T-shirt 256GB") == {
            "soni": "sony",
            "headphon": "headphones",
            "shirt": "shirt",
            "tshirt": "tshirt",
            "gb": "gb",
        }


class TestJiebaLoading:
    def test_loaded_once_across_threads_and_log_silenced(self, monkeypatch: Any):
        builds: list[int] = []

        def slow_build() -> object:
            builds.append(1)
            time.sleep(0.05)
            return object()

        fresh = segment._Jieba()
        monkeypatch.setattr(fresh, "_build", slow_build)
        results: list[object] = []
        threads = [
            threading.Thread(target=lambda: results.append(fresh.tokenizer())) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(builds) == 1
        assert len(results) == 8
        assert len({id(result) for result in results}) == 1
        segment.segment("加载")
        assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING

    def test_cache_lives_in_the_data_directory(self, settings: Any):
        tokenizer = segment._jieba.tokenizer()
        assert tokenizer.tmp_dir == str(settings.DATA_DIR / "cache")

    def test_builds_offline(self, monkeypatch: Any):
        def refuse(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("jieba tried to use the network")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        fresh = segment._Jieba()
        tokenizer = fresh.tokenizer()
        assert list(tokenizer.cut("无线蓝牙耳机", HMM=False)) == ["无线", "蓝牙耳机"]

    def test_not_loaded_until_first_use(self):
        program = (
            "import sys, django; django.setup(); "
            "import circlemart.search.selectors, circlemart.search.services; "
            "print('jieba' in sys.modules)"
        )
        output = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": ""},
        )
        assert output.stdout.strip() == "False"
