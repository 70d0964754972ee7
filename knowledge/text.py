"""Text normalisation and tokenisation for Chinese and English questions and procedures."""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import threading
import unicodedata

import jieba
import zhconv

MAX_QUERY_CHARS = 500

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_TOKEN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")

STOP_ZH = frozenset(
    [
        "交",  # handing documents in (要交哪些材料): every procedure takes them
        "提交",
        "下来",  # 办下来: got done
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "的",
        "地",
        "得",
        "了",
        "吗",
        "嘛",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "哈",
        "嗯",
        "么",
        "要",
        "想",
        "想要",
        "请问",
        "请",
        "问",
        "问问",
        "一下",
        "下",
        "怎么",
        "怎样",
        "如何",
        "怎么办",
        "怎么样",
        "咋",
        "咋办",
        "什么",
        "啥",
        "哪些",
        "哪里",
        "哪儿",
        "哪",
        "多少",
        "几",
        "需要",
        "需",
        "带",
        "要带",
        "东西",
        "办",
        "办理",
        "办个",
        "申请",
        "手续",
        "流程",
        "可以",
        "能",
        "能否",
        "是否",
        "有",
        "没有",
        "这个",
        "那个",
        "这",
        "那",
        "个",
        "是",
        "在",
        "去",
        "到",
        "和",
        "与",
        "及",
        "或",
        "给",
        "让",
        "用",
        "时候",
        "都",
        "就",
        "还",
        "也",
        "又",
        "再",
        "很",
        "太",
        "好",
        "吗",
        "谢谢",
        "麻烦",
        "知道",
        "告诉",
        "一个",
        "一家",
        "不要",
        "要不要",
        "需不需要",
        "用不用",
        "是不是",
        "能不能",
        "可不可以",
        "会不会",
        "有没有",
        "还能",
        "能不",
        "一位",
        "一张",
        "一次",
        "开个",
        "想开",
        "开",
        "你们",
        "咱们",
        "做",
        "弄",
        "搞",
        "材料",
        "资料",
        "东东",
        "所需",
        "哪个",
        "一些",
        "些",
        "为",
        "对",
        "把",
        "被",
        "从",
        "自己",
        "家",
        "里",
        # everyday fillers of spoken questions and long stories: they dilute the match and name nothing
        "人家",
        "才能",
        "才",
        "先",
        "得先",
        "就是",
        "俺",
        "咱",
        "俺们",
        "俺家",
        "我家",
        "家里",
        "小区",
        "我想",
        "听说",
        "具体",
        "到底",
        "其实",
        "然后",
        "反正",
        "大概",
        "应该",
        "已经",
        "还是",
        "的话",
        "比如",
        "一般",
        "一直",
        "专门",
        "那么",
        "这么",
        "现在",
        "马上",
        "赶紧",
        "刚",
        "刚刚",
        "结果",
        "因为",
        "所以",
        "但是",
        "可是",
        "不过",
        "而且",
        "啥子",
        "嘞",
        "呗",
        "哇",
        "喔",
        "哎",
        "唉",
        "诶",
        "咋弄",
        "咋整",
        "整",
        "啥的",
        "什么的",
        "之类",
        "等等",
        "老是",
        "总是",
        "该",
    ]
)
SOFT = frozenset(
    [
        "明天",  # when the citizen will come: a question of hours, not a topic
        "今天",
        "后天",
        "一周",
        "tomorrow",
        "today",
        "morning",
        "morn",
        "afternoon",
        "tonight",
        "在哪里",
        "在哪",
        "哪里",
        "哪儿",
        "地址",
        "位置",
        "地点",
        "怎么走",
        "几点",
        "时间",
        "电话",
        "号码",
        "多少钱",
        "费用",
        "收费",
        "多久",
        "时限",
        "期限",
        "有效期",
        "上班",
        "开门",
        "下班",
        "where",
        "when",
        "hour",
        "time",
        "phone",
        "number",
        "cost",
        "fee",
        "long",
        "open",
        "address",
        "location",
    ]
)
STOP_EN = frozenset(
    [
        "come",  # come in person
        "coming",
        "person",
        "a",
        "s",
        "take",
        "takes",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "is",
        "are",
        "am",
        "was",
        "were",
        "be",
        "been",
        "do",
        "does",
        "did",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "by",
        "and",
        "or",
        "how",
        "what",
        "where",
        "when",
        "which",
        "who",
        "whom",
        "can",
        "could",
        "would",
        "should",
        "please",
        "need",
        "needs",
        "require",
        "requires",
        "required",
        "requirement",
        "requirements",
        "want",
        "wants",
        "get",
        "getting",
        "apply",
        "applying",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "have",
        "has",
        "had",
        "any",
        "some",
        "about",
        "tell",
        "know",
        "into",
        "if",
        "so",
        "as",
        "up",
        "out",
        "much",
        "many",
        # everyday words of English stories and chat: English has no corpus rarity here, so they would read as topics
        "now",
        "just",
        "also",
        "still",
        "already",
        "really",
        "very",
        "yet",
        "then",
        "too",
        "ever",
        "again",
        "soon",
        "okay",
        "ok",
        "hi",
        "hello",
        "thanks",
        "thank",
        "got",
        "will",
        "shall",
        "might",
        "may",
        "must",
        "let",
        "us",
        "them",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "him",
        "one",
        "thing",
        "things",
        "something",
        "anything",
        "everything",
        "someone",
        "anyone",
        "kind",
        "sort",
        "lot",
        "lots",
        "bit",
        "detail",
        "details",
    ]
)

_lock = threading.Lock()
_segmenter: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    global _segmenter
    with _lock:
        if _segmenter is None:
            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            segmenter.initialize()
            _teach(segmenter, _pending)
            _pending.clear()
            _segmenter = segmenter
    return _segmenter


def add_words(new_words) -> None:
    """Teach the segmenter whole words (the synonyms' canonical forms), so `新办` stays one word instead of `新` + `办`.

    Before the dictionary is loaded (about 0.4 s and 70 MB) the words wait for it: loading a knowledge base, e.g.
    for a one-off command that never segments anything, does not pay for the dictionary.
    """
    with _lock:
        if _segmenter is None:
            _pending.extend(new_words)
        else:
            _teach(_segmenter, new_words)


def _teach(segmenter: jieba.Tokenizer, new_words) -> None:
    """Add words to the segmenter (the caller holds the lock)."""
    for word in new_words:
        if len(word) >= 2 and _CJK_RUN.fullmatch(word) and word not in _added:
            _original_freq.setdefault(word, segmenter.FREQ.get(word, 0))
            segmenter.add_word(word, freq=max(segmenter.suggest_freq(word), 1000))
            _added.add(word)


_added: set[str] = set()
_original_freq: dict[str, int] = {}
_pending: list[str] = []


@functools.lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """How unusual a Chinese word is in everyday language: -log of its share of the segmenter's corpus.

    孩子 8.1, 机构 8.0, 备案 9.8 are everyday words; 疫苗 12.0, 诊所 12.8, 健康证 16.5 name things; a word the
    corpus has never seen (出生医学证明, a compound of the office's) is rarest. English words get 0: nothing is known of them here.
    """
    if not _CJK_RUN.fullmatch(word):
        return 0.0
    segmenter = _jieba()
    freq = _original_freq.get(word, segmenter.FREQ.get(word, 0))
    return math.log(segmenter.total / max(freq, 1))


def warm_up() -> None:
    """Load the segmenter's dictionary and the traditional→simplified table now, not in the first citizen's turn."""
    _jieba()
    zhconv.convert("測試", "zh-cn")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff0-\uffff]")


# Cantonese as Hong Kong citizens type it, in Mandarin words (你哋地址喺边度 → 你们地址在哪里): only characters and words
# that are Cantonese alone, so no Mandarin question changes
_CANTONESE = {
    "你哋": "你们",
    "我哋": "我们",
    "佢哋": "他们",
    "边度": "哪里",
    "喺": "在",
    "嘅": "的",
    "做咩": "做什么",
    "咩": "什么",
    "点样": "怎么",
    "唔该晒": "谢谢",
    "唔该": "谢谢",
    "多谢晒": "谢谢",
    "冇": "没有",
    "睇": "看",
    "俾": "给",
}
_CANTONESE_WORDS = re.compile("|".join(sorted(_CANTONESE, key=len, reverse=True)))


def normalize(text: str, limit: int = MAX_QUERY_CHARS, *, simplify: bool = True) -> str:
    """NFKC-fold, lowercase, drop control characters, collapse white space, cut to `limit`; traditional → simplified Chinese.

    With `simplify` (a citizen's question, not procedure text) Cantonese words are also read as their Mandarin ones.
    """
    text = unicodedata.normalize("NFKC", _CONTROL.sub(" ", text[: limit * 4]))
    text = " ".join(text.lower().split())[:limit]
    if not simplify or not has_cjk(text):
        return text
    return _CANTONESE_WORDS.sub(lambda m: _CANTONESE[m.group(0)], zhconv.convert(text, "zh-cn"))


def has_cjk(text: str) -> bool:
    """True when the text contains Chinese characters."""
    return bool(_CJK_RUN.search(text))


def stem(word: str) -> str:
    """A light English stemmer: plural, -ing and -ed forms meet their base word (changed, changes, changing → chang)."""
    if word.endswith(("ied", "ies")) and len(word) >= 6:
        return word[:-3] + "y"
    base = word
    for suffix in ("ing", "ed", "es", "s"):
        if not word.endswith(suffix) or word.endswith("ss") or len(word) - len(suffix) < 3:
            continue
        if suffix in ("ed", "es") and word.endswith("e" + suffix):
            continue  # need, fees, agrees: the e before the ending is the word's own
        base = word[: -len(suffix)]
        break
    if base != word and len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiouylsz":
        base = base[:-1]  # stopped, planning: the doubled consonant is spelling only
    if base.endswith("cenc"):
        base = base[:-2] + "ns"  # licence is license
    elif base.endswith("cence"):
        base = base[:-3] + "nse"
    if base.endswith("e") and not base.endswith("ee") and len(base) >= 4:
        base = base[:-1]  # change and changed, license and licensed share one stem
    return base


_SOFT_STEMS = frozenset(stem(w) for w in SOFT if w.isascii())  # questions' English words arrive stemmed (time → tim)


def chinese_chars(text: str) -> str:
    """The Chinese characters of a text, run together."""
    return "".join(_CJK_RUN.findall(text))


def latin_words(text: str) -> list[str]:
    """The stemmed English words and numbers of normalised text, in order (what `words` makes of everything but Chinese)."""
    return [stem(w) for w in _LATIN_WORD.findall(text)]


def words(text: str) -> list[str]:
    """Segment normalised text into words: jieba for Chinese runs, stemmed words for Latin."""
    out: list[str] = []
    for run in _TOKEN_RUN.findall(text):
        if _CJK_RUN.fullmatch(run):
            out.extend(w for w in _jieba().lcut(run, HMM=False) if w.strip())
        else:
            out.append(run if run in STOP_EN else stem(run))  # "does" is a stop word; its stem "doe" would not be
    return out


def is_stopword(word: str) -> bool:
    """True for function words and generic verbs that say nothing about the procedure."""
    return word in STOP_ZH or word in STOP_EN


def word_tokens(word: str) -> list[str]:
    """Index tokens of one word: the word itself, plus its character bigrams when it is long Chinese."""
    if len(word) >= 3 and _CJK_RUN.fullmatch(word):
        return [word] + [word[i : i + 2] for i in range(len(word) - 1)]
    return [word]


def content_words(text: str) -> list[str]:
    """The meaningful words of a text, in order, without stop words (duplicates kept)."""
    return [w for w in words(normalize(text)) if not is_stopword(w)]


def is_soft(word: str) -> bool:
    """Words that ask about place, time or cost: they help ranking but a procedure need not contain them."""
    return word in SOFT or word in _SOFT_STEMS


def phrases(word_list: list[str]) -> list[str]:
    """Adjacent English word pairs as single tokens (`health_certificate`), so word order can count."""
    return [
        f"{a}_{b}" for a, b in itertools.pairwise(word_list) if a.isascii() and b.isascii() and not is_stopword(a) and not is_stopword(b)
    ]


def index_tokens(text: str) -> list[str]:
    """Tokens of procedure text, fast enough for large knowledge bases: Chinese characters and bigrams, English stems and pairs."""
    text = normalize(text, limit=4000, simplify=False)
    tokens: list[str] = []
    latin: list[str] = []
    for run in _TOKEN_RUN.findall(text):
        if run.isascii():
            latin.append(stem(run))
        else:
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens + latin + phrases(latin)


def phrase_token(text: str) -> str:
    """The verbatim-phrase token of a title or keyword: Chinese characters run together, English stems spaced."""
    text = normalize(text, limit=200, simplify=False)
    chinese = "".join(_CJK_RUN.findall(text))
    if chinese and _LATIN_WORD.search(text):
        return "kw:" + "".join(_TOKEN_RUN.findall(text))  # "DR许可" is not the phrase "许可": kept whole, never found verbatim
    return "kw:" + (chinese if chinese else " ".join(stem(w) for w in _LATIN_WORD.findall(text)))
