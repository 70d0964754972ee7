"""The search's shortcuts (grouped patterns, pair keys, dense vectors, per-word memory) answer exactly as the plain way."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from knowledge import search
from knowledge.base import KnowledgeStore
from knowledge.search import SearchIndex, match_faq
from knowledge.synonyms import _CJK, Synonyms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kb():
    return KnowledgeStore(ROOT / "knowledge").current


def _questions() -> list[str]:
    with (ROOT / "tests" / "data" / "questions" / "dev.tsv").open(encoding="utf-8", newline="") as handle:
        return [row["question"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if row["question"].strip()]


def _plain(words, plural: str) -> re.Pattern[str]:
    parts = [re.escape(w) if _CJK.search(w) else rf"(?<![a-z0-9]){re.escape(w)}{plural}(?![a-z0-9])" for w in words]
    return re.compile("|".join(parts))


def test_grouped_synonym_patterns_match_like_the_plain_list():
    replace = {
        "licence": "license",
        "lic": "license",
        "li": "x",
        "health cert": "health certificate",
        "h": "hour",
        "卫生证": "健康证",
        "卫生": "卫健",
        "办证": "办理",
        "办": "办理",
    }
    synonyms = Synonyms(replace, frozenset(["car", "cars park", "房产", "房"]))
    variants = sorted(replace, key=len, reverse=True)
    scope = sorted(synonyms.out_of_scope, key=len, reverse=True)
    texts = [
        "licences lic li lics lies alicence licence2 2lic h hs hes ah",
        "health certs for health cert holders, health certificate",
        "卫生证卫生办证办 房产房 car cars carpark cars park",
        "lilicence licence licencees li-lic h.h",
        "",
    ]
    for text in texts:
        assert synonyms.rewrite(text) == _plain(variants, "(?:s|es)?").sub(synonyms._target, text)
        assert synonyms.scope_words(text) == list(dict.fromkeys(m.group(0) for m in _plain(scope, "s?").finditer(text)))


def test_faq_matching_with_the_search_words_matches_segmenting_again(kb):
    for question in _questions():
        result = kb.search(question)
        for hit in result.hits[:2]:
            for lang in ("zh", "en"):
                again = match_faq(kb.index, hit.procedure, question, lang)
                assert match_faq(kb.index, hit.procedure, question, lang, result.words) == again


def _outcome(index: SearchIndex, question: str) -> tuple:
    result = index.search(question, explain=True)
    return tuple((h.procedure.id, h.score, h.coverage, h.evidence) for h in result.hits), result


def test_pair_keys_and_dense_vectors_give_the_same_hits_as_sets_and_postings(kb, monkeypatch):
    procedures, synonyms = kb.index.procedures, kb.index.synonyms
    small = SearchIndex.build(procedures, synonyms)
    monkeypatch.setattr(search, "SMALL_INDEX", 0)
    monkeypatch.setattr(search, "DENSE_SHARE", 0)  # no token is common enough
    plain = SearchIndex.build(procedures, synonyms)
    monkeypatch.setattr(search, "DENSE_SHARE", 10**9)  # every token is
    dense = SearchIndex.build(procedures, synonyms)
    assert small._doc_tokens is not None and plain._doc_tokens is None and not plain._dense and len(dense._dense) == len(dense._postings)
    for question in _questions():
        expected = _outcome(small, question)
        assert _outcome(plain, question) == expected
        assert _outcome(dense, question) == expected
        assert _outcome(small, question) == expected  # the second time from the per-word memory


def test_the_bounded_memories_forget_without_changing_answers(kb, monkeypatch):
    monkeypatch.setattr(search, "WORD_CACHE", 2)
    monkeypatch.setattr(search, "FAQ_CACHE", 1)
    forgetful = SearchIndex.build(kb.index.procedures, kb.index.synonyms)
    for question in _questions():
        expected = _outcome(kb.index, question)
        assert _outcome(forgetful, question) == expected
        for hit in expected[1].hits[:2]:
            assert match_faq(forgetful, hit.procedure, question, "zh") == match_faq(kb.index, hit.procedure, question, "zh")
    assert len(forgetful._word_cache["_known"]) == 2 and len(forgetful._word_cache["_spell"]) == 2 and len(forgetful._faq_cache) == 1
