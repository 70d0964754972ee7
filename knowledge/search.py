"""Ranked procedure search: field-weighted BM25 over words and Chinese bigrams in the office's own vocabulary, with a calibrated verdict."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import NamedTuple, TypeVar

import numpy as np

from knowledge.model import Faq, Procedure, ProcedureText
from knowledge.reading import as_materials, compares, next_step, other_topic, owned_scope, reports, what_is_meant
from knowledge.synonyms import Synonyms
from knowledge.text import (
    chinese_chars,
    index_tokens,
    is_soft,
    is_stopword,
    latin_words,
    normalize,
    phrase_token,
    phrases,
    rarity,
    word_tokens,
    words,
)

K1 = 1.2
B = 0.6
FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "questions": 1.5, "faq": 1.0}
ANCHOR = "a:"  # postings of the words in a procedure's title and keywords: a direct answer needs one of them (or a verbatim keyword)
TITLE = "t:"  # postings of the words in a procedure's title: where/when/phone words name the procedure whose title they are in
QUESTION = "q:"  # an example question whole: a citizen asking exactly it (punctuation and spaces aside) is answered by its procedure
PHRASE_WEIGHT = 4.0  # a whole title or keyword found verbatim in the question
MAX_PHRASE_SCAN = 80  # characters of the question scanned for verbatim keywords
PREFIX = 6  # English words sharing this many leading letters are taken as the same word
MAX_PHRASE_CHARS = 12  # longer keywords are still matched word by word, just not verbatim
DENSE_SHARE = 16  # a token of at least 1/16 of all procedures is also kept as a full-length vector: adding it is several times faster
DENSE_BUDGET = 4_000_000  # ... for the commonest tokens, up to this many numbers in all (16 MB)
SMALL_INDEX = 100_000  # (token, procedure) pairs up to which each procedure's tokens are also kept as a set (about 10 MB)

CONFIDENT = 0.55  # share of the question's known words the best procedure must cover to be answered directly
MIN_EVIDENCE = 2.5  # ... and the weight of the words it covers (an idf sum: one rare word is about 2.7)
GUESS = 0.34  # coverage from which a procedure is offered as a best guess when none is confident
MIN_GUESS_EVIDENCE = 1.6
DOMINANT_COVERAGE = 0.35  # below CONFIDENT, the best procedure is still answered directly when it covers this share ...
DOMINANT_MARGIN = 0.25  # ... and ranks this far above every other (a long story's situation words dilute coverage, not the topic)
CLOSE_RATIO = 0.8  # choices offered for a vague question score within this share of the best
CLOSE_GAP = 0.08  # a confident runner-up ranked within this much of the best makes the question ambiguous
TITLED_GAP = 0.16  # ... and within this much when its title names something of the question that the best lacks
PARTLY = 0.75  # a word the best has by fewer than this share of its bigrams' weight (死亡医学证明 in 出生医学证明) it lacks
THIN_COVERAGE = 0.9  # below this, a best procedure named by one word of its keywords alone is offered as a choice, not answered
OWN_WORD_SHARE = 0.1  # ... unless that word is one of the office's own (synonyms.yaml) and names fewer than this share of procedures
SCORE_SHARE = 0.5  # how much the raw BM25 score adds to coverage when ranking
GENERIC_RARITY = 10.0  # words more common than this in everyday Chinese are generic (see text.rarity)
GENERIC_SHARE = 0.5  # what a generic word weighs in coverage, against a word that names something
UNKNOWN_WEIGHT = 0.5  # what a word the knowledge base has never seen weighs against every procedure (an idf is 0.4 to 2.7)
SCOPE_WEIGHT = 2.0  # an out-of-scope topic weighs as much as two rare words against every procedure
SHARED_ANCHOR = 0.3  # a title or keyword word found in this share of all procedures (许可) names none of them on its own
VAGUE_SHARE = 0.2  # a question whose rarest word names this share of all procedures is vague
FAQ_MATCH = 0.6  # share of the question's detail words one FAQ question must cover
FAQ_TOPICS = frozenset(["有效期", "期限", "时限", "收费"])  # words that ask "how long / how much" yet name what a FAQ item is about
FAQ_CACHE = 4096  # procedures (per language) whose FAQ tokens are kept between questions
WORD_CACHE = 16384  # words whose spelling and index tokens are kept between questions (per index, per kind)


@dataclass(frozen=True)
class Hit:
    """One ranked procedure with its raw score, the share of the question it covers and the weight covered."""

    procedure: Procedure
    score: float
    coverage: float
    evidence: float = 0.0

    def _key(self) -> tuple[str, float, float, float]:
        return self.procedure.id, self.score, self.coverage, self.evidence

    # a procedure's id names it within a knowledge base: comparing every field of two procedures was a tenth of a search
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hit) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True)
class SearchResult:
    """The ranked hits of a question and the verdict: confident single answer, choices, best guesses, or nothing."""

    hits: tuple[Hit, ...]
    confident: bool
    ambiguous: bool
    vague: bool = False
    words: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    dominant: bool = False  # confident by dominance: below the coverage bar, yet far ahead of every other procedure
    rivals: tuple[Hit, ...] = ()  # confident runner-ups that make the question a choice
    thin: bool = False  # named by one keyword word alone, with words of the question left over: offered as a choice
    reported: bool = False  # asks where or how to report someone: answered with the procedure titled by the report word
    explanation: tuple[str, ...] = field(default=(), compare=False)

    @property
    def best(self) -> Hit | None:
        """The top hit, if any."""
        return self.hits[0] if self.hits else None

    @property
    def confidence(self) -> float:
        """The top hit's coverage (0 when nothing matched)."""
        return self.hits[0].coverage if self.hits else 0.0

    def choices(self, limit: int = 3) -> list[Procedure]:
        """The likeliest procedures to offer when the question is ambiguous."""
        if not self.hits:
            return []
        top = max(h.score for h in self.hits)
        if self.vague:
            return [h.procedure for h in self.hits if h.coverage >= CONFIDENT][:limit]
        if self.thin:
            best = self.hits[0]
            return [best.procedure] + [h.procedure for h in self.hits[1:] if h.coverage >= GUESS and h.evidence >= MIN_GUESS_EVIDENCE][
                : limit - 1
            ]
        floor = _rank(self.hits[0], top) - CLOSE_GAP
        close = [h for h in self.hits if h.coverage >= CONFIDENT and h.evidence >= MIN_EVIDENCE and _rank(h, top) >= floor]
        close += [h for h in self.rivals if h not in close]  # a rival further down (its title names the question's 护士)
        return [h.procedure for h in close][:limit]

    def guesses(self, limit: int = 3) -> list[Procedure]:
        """Best guesses when no procedure is confident: the likeliest few that cover a fair part of the question."""
        if self.confident:
            return self.choices(limit) if self.ambiguous else [self.hits[0].procedure]
        if self.out_of_scope:
            return []  # another office's topic: no guessing at our procedures
        if self.vague:
            return self.choices(limit)  # every word is shared by many procedures: the likeliest of them
        top = max((h.score for h in self.hits), default=0.0)
        return [h.procedure for h in self.hits if h.coverage >= GUESS and h.evidence >= MIN_GUESS_EVIDENCE and h.score >= top * 0.5][:limit]


class _Word(NamedTuple):
    """A query word as _coverage reads it: its tokens and weights, and the looked-up names of its title and keyword postings."""

    word: str
    parts: tuple[str, ...]
    idf: tuple[float, ...]
    total: float  # the idf sum of its parts
    weight: float  # halved for an everyday word
    soft: bool  # a where/when/how-much word
    shared: bool  # everyday, or a title/keyword word of many procedures: names none alone
    own: bool  # one of the office's own words (synonyms.yaml)
    kw: str
    anchors: tuple[str, ...]
    titles: tuple[str, ...]


def _asks_only_where(token: str) -> bool:
    """A verbatim keyword made of where/when/phone words alone (phone number): it names no topic of ours against another office's."""
    text = token[3:]
    parts = text.split(" ") if text.isascii() else [w for w in words(text) if not is_stopword(w)] or [text]
    return is_soft(text) or all(is_soft(part) for part in parts)


def _in_hand(after: str, scope_words: list[str]) -> bool:
    """Every out-of-scope thing comes before "already obtained" (刚领了营业执照，下一步办卫生许可, `after` the part after it): done."""
    return bool(after and scope_words) and not any(word in after for word in scope_words)


def _without(text: str, spans: Sequence[str]) -> str:
    """The text with each of the spans blanked out: what it says outside them."""
    for span in spans:
        text = text.replace(span, " ")
    return text


def _shared_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _rank(hit: Hit, top_score: float) -> float:
    """Coverage first, raw score second: the order in which hits are offered."""
    return hit.coverage + SCORE_SHARE * hit.score / max(top_score, 1e-9)


def _dominates(hits: list[Hit], found: list[list[str]], top_score: float) -> bool:
    """The best hit is named (enough evidence), covers a fair share of the question, and ranks far above every rival reading.

    A runner-up that matches only words the best matches too (健康证 for 健康证 and its reissue) explains nothing the best
    does not: it is no rival reading.
    """
    best = hits[0]
    if best.evidence < MIN_EVIDENCE or best.coverage < DOMINANT_COVERAGE:
        return False
    mine = set(found[0])
    rivals = [_rank(hit, top_score) for hit, words in zip(hits[1:], found[1:]) if not set(words) <= mine]
    return _rank(best, top_score) - max(rivals, default=0.0) >= DOMINANT_MARGIN


def _names_ours(hit: Hit, found: list[str]) -> bool:
    """The question names this procedure: enough evidence, or two of its own words together (诊所 + 负责人), not only where/when words."""
    named = [w for w in found if not is_soft(w) and len(w) > 1]
    return (hit.evidence >= MIN_EVIDENCE and not all(map(is_soft, found))) or (hit.evidence > 0 and len(named) >= 2)


_NOT_WORD = re.compile(r"[\W_]+")


def question_token(rewritten: str) -> str:
    """The token of a whole question (normalised, rewritten into the office's vocabulary), without punctuation or spaces."""
    return QUESTION + _NOT_WORD.sub("", rewritten)


def _field_texts(text: ProcedureText) -> dict[str, list[str]]:
    # the body (materials, steps, fees) is the answer, not the question: indexing it only adds noise
    return {
        "title": [text.title],
        "keywords": list(text.keywords),
        "questions": list(text.questions),
        "faq": [f.q for f in text.faq],
    }


_T = TypeVar("_T")


def _per_word(method: Callable[[SearchIndex, str], _T]) -> Callable[[SearchIndex, str], _T]:
    """Remember a method's answer per word, in the index itself: the index never changes, so neither does the answer."""
    name = method.__name__

    def remembered(self: SearchIndex, word: str) -> _T:
        cache = self._word_cache[name]
        try:
            return cache[word]
        except KeyError:  # not asked yet (or just dropped by another thread)
            pass
        if len(cache) >= WORD_CACHE:
            cache.pop(next(iter(cache), None), None)  # the oldest: a bound, not a policy
        answer = cache[word] = method(self, word)
        return answer

    remembered.__doc__ = method.__doc__
    return remembered


class SearchIndex:
    """An inverted index over procedures; built once per knowledge base, read-only afterwards."""

    def __init__(
        self, procedures: Sequence[Procedure], postings: dict[str, tuple[np.ndarray, np.ndarray]], synonyms: Synonyms | None = None
    ) -> None:
        self.procedures = procedures
        self.synonyms = synonyms or Synonyms()
        self._postings = postings
        n = self._n = max(len(procedures), 1)
        self._idf = {token: math.log(1 + (n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for token, p in postings.items()}
        self._shortcuts(postings)
        self._scope_idf = math.log(1 + (n + 0.5) / 0.5)
        self._doc = {procedure.id: i for i, procedure in enumerate(procedures)}
        self._vocabulary = frozenset(target.strip() for target in self.synonyms.replace.values())  # the office's own words
        self._own_words = self._vocabulary | {
            " ".join(latin_words(w)) for w in self._vocabulary if w.isascii()
        }  # ... as questions spell them
        english = [t for t in self._idf if t.isascii() and t.isalpha() and len(t) >= 4]
        self._vocab_by_deletion = self._deletion_index(english)
        self._vocab_by_prefix: dict[str, str] = {}
        self._faq_cache: dict[tuple[int, str], tuple[Procedure, frozenset[str], tuple[frozenset[str], ...]]] = {}
        self._word_cache: defaultdict[str, dict] = defaultdict(dict)
        for token in sorted(english, key=lambda t: -len(postings[t][0])):
            self._vocab_by_prefix.setdefault(token[:PREFIX], token)

    def _shortcuts(self, postings: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Lookups derived from the postings that spare a search work: where keywords start, pair keys, dense vectors."""
        heads: defaultdict[str, set[int]] = defaultdict(set)  # where a verbatim keyword can start, and its possible lengths
        latin_heads: defaultdict[str, set[int]] = defaultdict(set)  # the same for English keywords: first word, word counts
        for t in postings:
            if not t.startswith("kw:"):
                continue
            if t.isascii():
                latin_heads[t[3:].split(" ")[0]].add(t.count(" ") + 1)
            elif 3 <= len(t) - 3 <= MAX_PHRASE_CHARS:
                heads[t[3:6]].add(len(t) - 3)
        self._phrase_heads = {head: sorted(sizes) for head, sizes in heads.items()}
        self._latin_heads = {head: sorted(sizes) for head, sizes in latin_heads.items()}
        # every (token, procedure) pair of the postings as one sorted array, so a search looks all its pairs up at once
        self._token_ids = {token: i for i, token in enumerate(postings)}
        key_type = np.int32 if len(postings) * self._n < 2**31 else np.int64
        sizes = np.fromiter((len(p[0]) for p in postings.values()), dtype=np.int64, count=len(postings))
        docs = np.concatenate([p[0] for p in postings.values()]) if postings else np.zeros(0, np.int32)
        starts = np.arange(0, len(postings) * self._n, self._n, dtype=key_type)
        self._keys: np.ndarray = np.repeat(starts, sizes) + docs.astype(key_type)
        self._doc_tokens: list[set[str]] | None = None  # for a small index: a few set lookups cost less than numpy's calls
        if len(self._keys) <= SMALL_INDEX:
            self._doc_tokens = [set() for _ in self.procedures]
            for token, (where, _) in postings.items():
                for doc in where.tolist():
                    self._doc_tokens[doc].add(token)
        self._dense: dict[str, np.ndarray] = {}
        count, tokens = len(self.procedures), list(postings)
        for at in np.argsort(-sizes, kind="stable")[: DENSE_BUDGET // max(count, 1)].tolist():
            where, weights = postings[tokens[at]]
            if len(where) * DENSE_SHARE < count:
                break
            vector = self._dense[tokens[at]] = np.zeros(count, dtype=np.float32)
            vector[where] = weights

    @classmethod
    def build(cls, procedures: Sequence[Procedure], synonyms: Synonyms | None = None) -> SearchIndex:
        """Tokenise every procedure's title, keywords, example questions, FAQ questions and department into BM25 postings."""
        synonyms = synonyms or Synonyms()
        n = max(len(procedures), 1)
        lengths = np.zeros(len(procedures), dtype=np.float32)
        rows_by_token: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, procedure in enumerate(procedures):
            weights: dict[str, float] = defaultdict(float)
            for text in (procedure, procedure.en):
                for name, chunks in _field_texts(text).items():
                    weight = FIELD_WEIGHTS[name]
                    for chunk in chunks:
                        rewritten = synonyms.rewrite(normalize(chunk, limit=4000, simplify=False))
                        tokens = index_tokens(rewritten)
                        for token in tokens:
                            weights[token] += weight
                        lengths[i] += weight * len(tokens)
                        if name == "questions":
                            weights[question_token(synonyms.rewrite(normalize(chunk)))] += PHRASE_WEIGHT
                        if name in ("title", "keywords"):
                            weights[phrase_token(rewritten)] += PHRASE_WEIGHT
                            for token in tokens:
                                weights[ANCHOR + token] = 0.0
                        if name == "title":
                            for token in tokens:
                                weights[TITLE + token] = 0.0
            for token, weight in weights.items():
                rows_by_token[token].append((i, weight))
        avg = float(lengths.mean()) if len(procedures) else 1.0
        norms = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for token, rows in rows_by_token.items():
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            idx = np.fromiter((r[0] for r in rows), dtype=np.intp, count=len(rows))  # numpy's own index type: no copy per add
            tf = np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows))
            postings[token] = (idx, (idf * tf * (K1 + 1) / (tf + norms[idx])).astype(np.float32))
        return cls(procedures, postings, synonyms)

    def export(self) -> dict:
        """The postings as plain lists and bytes (for the load cache)."""
        tokens = list(self._postings)
        sizes = np.fromiter((len(self._postings[t][0]) for t in tokens), dtype=np.int64, count=len(tokens))
        docs = np.concatenate([self._postings[t][0] for t in tokens]) if tokens else np.zeros(0, np.int32)
        weights = np.concatenate([self._postings[t][1] for t in tokens]) if tokens else np.zeros(0, np.float32)
        return {
            "tokens": tokens,
            "sizes": sizes.tobytes(),
            "docs": docs.astype(np.int32).tobytes(),
            "weights": weights.astype(np.float32).tobytes(),
        }

    @classmethod
    def restore(cls, procedures: Sequence[Procedure], state: dict, synonyms: Synonyms | None = None) -> SearchIndex:
        """An index from `export()` output, without tokenising anything."""
        sizes = np.frombuffer(state["sizes"], dtype=np.int64)
        docs = np.frombuffer(state["docs"], dtype=np.int32).astype(np.intp)  # numpy's own index type: no copy per add
        weights = np.frombuffer(state["weights"], dtype=np.float32)
        ends = np.cumsum(sizes).tolist()
        starts = [0] + ends[:-1]
        postings = {t: (docs[a:b], weights[a:b]) for t, a, b in zip(state["tokens"], starts, ends)}
        return cls(procedures, postings, synonyms)

    @staticmethod
    def _deletion_index(tokens) -> dict[str, str]:
        index: dict[str, str] = {}
        for token in tokens:
            for i in range(len(token)):
                index.setdefault(token[:i] + token[i + 1 :], token)
        return index

    @_per_word
    def _spell(self, word: str) -> str:
        """Map an unknown English word to a known one: one typo away, or the same word with another ending."""
        if word in self._idf or not word.isascii() or len(word) < 4:
            return word
        if word in self._vocab_by_deletion:
            return self._vocab_by_deletion[word]
        known = self._vocab_by_prefix.get(word[:PREFIX]) if len(word) >= PREFIX else None
        if known is not None and _shared_prefix(word, known) >= 0.8 * min(len(word), len(known)):
            return known  # register ~ registration, disinfect ~ disinfection; electricity is not electronic
        for i in range(len(word) if len(word) >= PREFIX else 0):  # "thank" less one letter is "tank": short words are left alone
            candidate = word[:i] + word[i + 1 :]
            if candidate in self._idf:
                return candidate
            if candidate in self._vocab_by_deletion:
                return self._vocab_by_deletion[candidate]
        return word

    def _phrase_tokens(self, clean: str) -> list[str]:
        """Verbatim titles and keywords inside the (normalised, rewritten) question, as `kw:` tokens."""
        clean = clean[:MAX_PHRASE_SCAN]
        chinese = chinese_chars(clean)
        heads = self._phrase_heads
        places = sorted(
            (size, i) for i in range(len(chinese) - 2) for size in heads.get(chinese[i : i + 3], ()) if i + size <= len(chinese)
        )
        candidates = [chinese[i : i + size] for size, i in places]  # shortest first, then left to right
        latin = latin_words(clean)
        places = sorted(
            (size, i)
            for i in range(len(latin))
            for size in self._latin_heads.get(latin[i], ())
            if 2 <= size <= 5 and i + size <= len(latin)
        )
        candidates += [" ".join(latin[i : i + size]) for size, i in places]
        return [token for token in ("kw:" + c for c in candidates) if token in self._postings]

    def _presence(self, tokens: list[str], docs: list[int]) -> dict[int, set[str]]:
        """Which of the tokens each of the procedures has (a set per procedure that may hold others too), all pairs at once."""
        if self._doc_tokens is not None:
            return {doc: self._doc_tokens[doc] for doc in docs}  # every token of the procedure: the same answers
        known = [t for t in dict.fromkeys(tokens) if t in self._token_ids]
        if not known or not docs:
            return {doc: set() for doc in docs}
        ids = np.fromiter((self._token_ids[t] for t in known), dtype=self._keys.dtype, count=len(known))
        keys = (np.asarray(docs, dtype=self._keys.dtype)[:, None] + ids * self._keys.dtype.type(self._n)).ravel()
        at = np.minimum(self._keys.searchsorted(keys), len(self._keys) - 1)
        rows = (self._keys[at] == keys).reshape(len(docs), len(known)).tolist()
        return {doc: set(compress(known, row)) for doc, row in zip(docs, rows)}

    def _named_phrases(self, clean: str, verbatim: list[str]) -> list[str]:
        """The verbatim titles and keywords the (normalised) question names itself: 去世 implies 死亡医学证明 but does not name it."""
        as_written = self.synonyms.rewrite(clean, narrower=False)
        return [t for t in verbatim if t.startswith(QUESTION)] + self._phrase_tokens(as_written)

    def _hit(self, parts: list[str], has: set[str]) -> float:
        """How much of a word a procedure has: its bigrams weighted by rarity, so 死亡医学证明 is not half-found in 出生医学证明."""
        if len(parts) == 1:
            return 1.0 if parts[0] in has else 0.0
        idf = self._idf
        total = sum(map(idf.__getitem__, parts))
        return sum([idf[t] for t in parts if t in has]) / total if total else 0.0

    @_per_word
    def _known(self, word: str) -> tuple[list[str], float]:
        """The tokens of a word the index knows, and the word's weight (0 when the knowledge base has never seen it)."""
        tokens = word_tokens(word)
        parts = [t for t in (tokens[1:] or tokens) if t in self._idf]
        if len(tokens) > 1 and tokens[0] in self._idf:
            parts = [tokens[0]]
        return parts, max((self._idf[t] for t in parts), default=0.0)

    def _prepare(self, query: list[tuple[str, list[str], float]]) -> tuple[bool, list[_Word]]:
        """What _coverage needs of each query word that does not depend on the procedure: computed once per question."""
        all_soft = all(is_soft(w) for w, _, _ in query)
        prepared = []
        for word, parts, weight in query:
            soft, common = is_soft(word), self._generic(word)
            idf = [self._idf[t] for t in parts]
            prepared.append(
                _Word(
                    word,
                    tuple(parts),
                    tuple(idf),
                    sum(idf),
                    weight * GENERIC_SHARE if common and not soft else weight,
                    soft,
                    common or min(self._postings[t][0].size for t in parts) / self._n >= SHARED_ANCHOR,
                    word in self._vocabulary,
                    "kw:" + word,
                    tuple(ANCHOR + t for t in parts),
                    tuple(TITLE + t for t in parts),
                )
            )
        return all_soft, prepared

    def _coverage(
        self, has: set[str], prepared: tuple[bool, list[_Word]], scope: float, phrases: list[str]
    ) -> tuple[float, float, list[str]]:
        """Share and weight of the question's known words this procedure has, and the words it matched.

        The weight is 0 unless one matched word is in the procedure's title or keywords, or a keyword is in the question verbatim.
        """
        all_soft, words = prepared
        total, matched, found = scope, 0.0, []
        verbatim = sum(self._idf[p] for p in phrases if p in has)
        anchored = verbatim > 0
        everyday = 0  # everyday words found in the title or keywords: two of them together (医院 + 广告) name a procedure
        for w in words:
            if len(w.parts) == 1:
                hit = 1.0 if w.parts[0] in has else 0.0
            else:
                hit = sum([idf for t, idf in zip(w.parts, w.idf) if t in has]) / w.total if w.total else 0.0
            if w.soft and hit < 1.0 and not all_soft:
                continue  # asking "where/when/how much" must not count against a procedure that answers it
            total += w.weight
            matched += w.weight * hit
            if hit:
                found.append(w.word)
                if w.soft:
                    anchored = anchored or all(t in has for t in w.titles)
                elif all(t in has for t in w.anchors):
                    # 小区 only inside the keyword 小区水箱卫生许可: a setting of the topic, not the topic
                    weak = w.shared or not (w.own or w.kw in has or all(t in has for t in w.titles))
                    everyday += weak
                    anchored = anchored or not weak or everyday >= 2
        evidence = float(matched + verbatim) if anchored else 0.0
        if all_soft and anchored and found:
            evidence = max(evidence, MIN_EVIDENCE)  # only where/when/phone words, and this procedure's title holds them: it is named
        return (float(matched / total) if total else 0.0), evidence, found

    def _hit_of(self, doc: int, score: float, prepared, scope: float, verbatim: list[str], has: set[str]) -> tuple[Hit, list[str]]:
        coverage, evidence, found = self._coverage(has, prepared, scope, verbatim)
        return Hit(self.procedures[doc], score, coverage, evidence), found

    def _titled_rival(self, has: set[str], found: list[str], best_found: list[str], query, has_best: set[str] | None = None) -> bool:
        """The hit's title (`has`: its tokens) has a word of the question that names something and that the best hit does not have at all
        (or, given `has_best`, has only partly: 死亡医学证明 is not in 出生医学证明's text, though 医学证明 is)."""
        parts_of = {word: parts for word, parts, _ in query}
        return any(
            (word not in best_found or (has_best is not None and self._hit(parts_of[word], has_best) < PARTLY))
            and len(word) > 1
            and not is_soft(word)
            and not self._generic(word)
            and all(TITLE + t in has for t in parts_of[word])
            for word in found
        )

    def _promote_titled(self, scored: list[tuple[Hit, list[str]]], present: dict[int, set[str]], query) -> Hit | None:
        """Put first a runner-up that has every word naming the best plus a title word of the question the best lacks; return the old best.

        健康证 with 补办 written is its reissue: the certificate itself, ranked first by its many price words, explains nothing more.
        """
        if len(scored) < 2:
            return None
        best, best_found = scored[0]
        parts_of = {word: parts for word, parts, _ in query}
        named = [w for w in best_found if not is_soft(w)]
        for i, (hit, found) in enumerate(scored[1:3], start=1):
            has = present[self._doc[hit.procedure.id]]
            if (
                hit.coverage > best.coverage
                and hit.coverage >= CONFIDENT
                and hit.evidence >= MIN_EVIDENCE
                and all(ANCHOR + t in has for w in named for t in parts_of[w])  # in its own title or keywords, not in passing
                and self._titled_rival(has, found, best_found, query)
            ):
                scored.insert(0, scored.pop(i))
                return best
        return None

    def _title_over_extras(self, scored: list[tuple[Hit, list[str]]], present: dict[int, set[str]], query, verbatim: list[str]) -> bool:
        """Put first a confident runner-up whose title holds a word of the question the best lacks, when the best leads only by
        words outside its own title (renewal … barber shop: "shop" is in the new licence's keywords, "renewal" in the other's title).

        The old best stays a close rival, so the citizen gets a choice with the titled reading first, not a silent swap. A best
        that has a keyword of its own written whole in the question (医师证) keeps its place against a runner-up whose title
        holds none of that keyword's words (中医诊所备案: the clinic is where the doctor works).
        """
        if len(scored) < 2:
            return False
        best, best_found = scored[0]
        has_best = present[self._doc[best.procedure.id]]
        parts_of = {word: parts for word, parts, _ in query}
        for i, (hit, found) in enumerate(scored[1:3], start=1):
            has = present[self._doc[hit.procedure.id]]
            extras = [w for w in best_found if w not in found and not is_soft(w)]
            if (
                hit.coverage >= CONFIDENT
                and hit.evidence >= MIN_EVIDENCE
                and extras
                and not any(all(ANCHOR + t in has_best for t in parts_of[w]) for w in extras)
                and self._titled_rival(has, found, best_found, query)
                and not any(token in has_best and not self._titles_any(token, has) for token in verbatim)
            ):
                scored.insert(0, scored.pop(i))
                return True
        return False

    def _titles_any(self, token: str, has: set[str]) -> bool:
        """A procedure (`has`: its tokens) holds the verbatim keyword, or one of its words in its own title (医师证: 医师)."""
        if token in has:
            return True
        known = [self._known(word)[0] for word in words(token[len("kw:") :]) if not is_soft(word)]
        return any(parts and all(TITLE + t in has for t in parts) for parts in known)

    def _compared_rival(self, has: set[str], found: list[str], has_best: set[str], query) -> bool:
        """The hit's title has a word of the question that names something and that the best's title lacks."""
        parts_of = {word: parts for word, parts, _ in query}
        return any(
            len(word) > 1
            and not is_soft(word)
            and not self._generic(word)
            and all(TITLE + t in has for t in parts_of[word])
            and not all(TITLE + t in has_best for t in parts_of[word])
            for word in found
        )

    def _thin(self, hit: Hit, has: set[str], found: list[str], query, verbatim: list[str]) -> bool:
        """Only one word of the question names this procedure, it is not in the title, no keyword is written whole, and words are left over."""
        if hit.coverage >= THIN_COVERAGE or any(token in has for token in verbatim) or all(is_soft(w) for w, _, _ in query):
            return False  # a question of nothing but where/when words names the procedure whose title holds them
        parts_of = {word: parts for word, parts, _ in query}
        named = [w for w in found if len(w) > 1 and not is_soft(w) and not self._generic(w)]
        # a word the office defined itself (公交, 搬迁, 周末) and few procedures hold was put there to name them: no guess
        own = [w for w in named if w in self._own_words and min(self._postings[t][0].size for t in parts_of[w]) / self._n < OWN_WORD_SHARE]
        return len(named) <= 1 and not own and not any(all(TITLE + t in has for t in parts_of[w]) for w in named)

    def _typo(self, word: str) -> bool:
        """An English word one letter away from one the office uses (oppen ~ open): a slip of the keyboard, not another topic."""
        if not word.isascii() or len(word) < 4:
            return False
        variants = self.synonyms.replace
        candidates = [word[:i] + word[i + 1 :] for i in range(len(word))]
        return word in self._vocab_by_deletion or any(c in self._idf or c in variants or c in self._vocab_by_deletion for c in candidates)

    def _names_something(self, word: str, parts: list[str]) -> bool:
        """A known word that could name the question's topic: not a where/when word, not everyday, not shared by many procedures."""
        if is_soft(word) or self._generic(word) or (len(parts) > 0 and all(self._generic(p) for p in parts)):
            return False  # 多少度 is known only by its everyday 多少
        return min(self._postings[t][0].size for t in parts) / self._n < VAGUE_SHARE

    @staticmethod
    def _generic(word: str) -> bool:
        """An everyday word (孩子, 机构, 设置, 上): it may help ranking but never names a procedure on its own."""
        return 0.0 < rarity(word) < GENERIC_RARITY

    def _vague(self, query: list[tuple[str, list[str], float]]) -> bool:
        """True when even the rarest word of the question is shared by many procedures (e.g. "许可证怎么办")."""
        shares = [min(self._postings[t][0].size for t in parts) / self._n for word, parts, _ in query if not is_soft(word)]
        return bool(shares) and min(shares) >= VAGUE_SHARE

    def _to_channel(self, scored: list[tuple[Hit, list[str]]], present: dict[int, set[str]], report: str) -> bool:
        """Put first the procedure whose title holds the report word (举报 → 投诉举报渠道), when the question asks where to report."""
        if not report:
            return False
        parts, _ = self._known(self.synonyms.rewrite(report).strip())
        for i, (hit, _) in enumerate(scored):
            has = present[self._doc[hit.procedure.id]]
            # the report word in its title is evidence enough: the question asks for the channels, whatever else it names
            if parts and all(TITLE + t in has for t in parts):
                scored.insert(0, scored.pop(i))
                return True
        return False

    def _step_words(self, after: str) -> list[tuple[str, list[str], float]]:
        """The words after "already obtained" as written (火化 stays 火化), each with its known tokens (none if unknown)."""
        if not after:
            return []
        written = self.synonyms.rewrite(after, narrower=False)
        return [(w, *self._known(w)) for w in dict.fromkeys(words(written)) if len(w) > 1 and not is_stopword(w) and not is_soft(w)]

    def _elsewhere(self, after: str, plainly: bool, step: list[tuple[str, list[str], float]], has_best: set[str]) -> str:
        """The next step the question asks about: another office's topic, or words the best procedure (the document in hand) lacks."""
        if not step:
            return ""
        theirs = self.synonyms.scope_words(after)
        if theirs or not plainly:
            return theirs[0] if theirs else ""
        return "" if any(parts and self._hit(parts, has_best) >= 1.0 for _, parts, _ in step) else step[0][0]

    def faq_tokens(self, procedure: Procedure, lang: str) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The tokens of a procedure's title and keywords, and of each FAQ question, in `lang` (kept for the last few thousand)."""
        key = (id(procedure), lang)
        cached = self._faq_cache.get(key)
        if cached is not None and cached[0] is procedure:
            return cached[1], cached[2]
        text = procedure.text(lang)
        rewrite = self.synonyms.rewrite
        topic = frozenset(t for chunk in [text.title, *text.keywords] for t in index_tokens(rewrite(normalize(chunk))))
        faqs = tuple(frozenset(index_tokens(rewrite(normalize(faq.q)))) for faq in text.faq)
        if len(self._faq_cache) >= FAQ_CACHE:
            self._faq_cache.pop(next(iter(self._faq_cache), (0, "")), None)  # the oldest: a bound, not a policy
        self._faq_cache[key] = (procedure, topic, faqs)  # the procedure itself, so its id cannot be reused while cached
        return topic, faqs

    def query_words(self, question: str) -> tuple[str, list[str], list[str]]:
        """The question normalised and rewritten into the office's vocabulary, its content words, and out-of-scope markers."""
        return self._clean_words(normalize(question))

    def _clean_words(self, clean: str) -> tuple[str, list[str], list[str]]:
        rewritten = self.synonyms.rewrite(clean)
        content = [self._spell(w) for w in words(rewritten) if not is_stopword(w)]
        return rewritten, content, self.synonyms.scope_words(clean)

    def score(self, tokens: list[str]) -> np.ndarray:
        """The BM25F score of every procedure for the query tokens (one number per procedure, in `procedures` order)."""
        scores = np.zeros(len(self.procedures), dtype=np.float32)
        for token in dict.fromkeys(tokens):
            dense = self._dense.get(token)
            if dense is not None:
                scores += dense  # the same sums: the procedures without the token add 0
                continue
            posting = self._postings.get(token)
            if posting is not None:
                scores[posting[0]] += posting[1]
        return scores

    def search(self, question: str, limit: int = 5, explain: bool = False) -> SearchResult:
        """Rank procedures for a question; decide whether the best one is a confident answer, a choice, or only a guess."""
        clean = normalize(question)
        rewritten, content, scope_words = self._clean_words(what_is_meant(clean))
        if not content or not self.procedures:
            return SearchResult((), False, False)
        verbatim = self._phrase_tokens(rewritten)
        whole = question_token(rewritten)
        if len(whole) > len(QUESTION) and whole in self._postings:
            verbatim.append(whole)  # the office taught this very question as an example of a procedure
        theirs = set(scope_words)
        after, plainly = next_step(clean)  # the part after "already obtained" (出生证已经拿到了，…), "" if none
        if as_materials(clean, scope_words) or _in_hand(after, scope_words):
            scope_words = []  # 要带户口本吗, 刚领了营业执照，下一步…: another office's document is a material or done, not the topic
        if (
            scope_words
            and not owned_scope(clean, scope_words)
            and any(
                len(token) >= 6 and not _asks_only_where(token) for token in self._named_phrases(_without(clean, scope_words), verbatim)
            )
        ):
            scope_words = []  # the question names one of our procedures by its own title or keyword (出生证明 … 结婚证): it is ours
        # ... and the other office's thing it also names (先办营业执照还是执业许可证) is no evidence for any procedure of ours
        content = [w for w in content if w not in theirs] or content
        query = []
        unknown = []
        for word in dict.fromkeys(content):
            parts, weight = self._known(word)
            if parts:
                query.append((word, parts, weight))
            elif len(word) > 1 and not is_soft(word):
                unknown.append(word)
        # words the knowledge base has never seen are the citizen's situation or another office's topic: they weigh a little
        # against every procedure, so one matching word among many strange ones is not a confident answer
        unseen = UNKNOWN_WEIGHT * len(unknown)
        # ... and when the question names nothing of ours (only everyday, shared or where/when words) but does name something we
        # have never heard of (房产证, 车辆, a dog), that thing is its topic: another office's, so no guesses at ours either
        strange = [w for w in unknown if not self._typo(w)]
        if any(self._names_something(word, parts) for word, parts, _ in query):
            strange = []
        scores = self.score([tok for _, parts, _ in query for tok in parts] + phrases(content) + verbatim)
        count = min(limit, len(self.procedures))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
        score_of = dict(zip(top.tolist(), scores[top].tolist()))
        ranked = sorted((i for i, score in score_of.items() if score > 0), key=lambda i: -score_of[i])
        scope = SCOPE_WEIGHT * self._scope_idf * len(scope_words) + unseen
        step = self._step_words(after)
        wanted = list(verbatim)  # what _coverage and _titled_rival look up, for the ranked procedures only
        for word, parts, _ in [*query, *step]:
            wanted += parts
            wanted += [ANCHOR + t for t in parts]
            wanted += [TITLE + t for t in parts]
            wanted.append("kw:" + word)
        present = self._presence(wanted, ranked)
        prepared = self._prepare(query)
        scored = [self._hit_of(i, score_of[i], prepared, scope, verbatim, present[i]) for i in ranked]
        if strange and not any(_names_ours(hit, found) for hit, found in scored):
            # nothing of ours is named, not even by two everyday words together (医院 + 广告): the strange word is the topic
            scope_words = [*scope_words, *strange]
            scope += SCOPE_WEIGHT * self._scope_idf * len(strange)
            scored = [self._hit_of(i, score_of[i], prepared, scope, verbatim, present[i]) for i in ranked]
        # a procedure that has every word of the question beats one that merely has its commonest word many times
        top_score = scored[0][0].score if scored else 1.0
        scored.sort(key=lambda pair: -_rank(pair[0], top_score))
        demoted = self._promote_titled(scored, present, query)
        if demoted is None:
            self._title_over_extras(scored, present, query, verbatim)
        reported = not scope_words and self._to_channel(scored, present, reports(clean) or reports(rewritten))
        hits = [hit for hit, _ in scored]
        matched_words = [found for _, found in scored]
        if not hits:
            return SearchResult(
                (),
                False,
                False,
                words=tuple(content),
                explanation=tuple(self._explain(content, query, scope_words, [], [])) if explain else (),
            )
        best = hits[0]
        has_best = present[self._doc[best.procedure.id]]
        # the question's topic is something else, with our word as its object: a product's use, a service's price, an exam
        topic = other_topic(clean, reporting=reported) or self._elsewhere(after, plainly, step, has_best)
        aside = bool(topic)
        confident = best.coverage >= CONFIDENT and best.evidence >= MIN_EVIDENCE and not aside
        dominant = not confident and not aside and not scope_words and _dominates(hits, matched_words, top_score)
        others = [h for h in hits[1:] if h.coverage >= CONFIDENT and h.evidence >= MIN_EVIDENCE and h is not demoted]
        close = [h for h in others if _rank(h, top_score) >= _rank(best, top_score) - CLOSE_GAP]
        # a confident runner-up whose title holds a word of the question that the best lacks (护士 against 医师) is a real rival
        close += [
            h
            for h, found in scored[1:]
            if h in others
            and h not in close
            and _rank(h, top_score) >= _rank(best, top_score) - TITLED_GAP
            and self._titled_rival(present[self._doc[h.procedure.id]], found, matched_words[0], query, has_best)
        ]
        # a named runner-up (a guess, not confident) whose title holds a word of the question the best has nowhere (意见箱 against
        # 办事大厅, health against a birth certificate's certificate) is a reading the best cannot explain
        close += [
            h
            for h, found in scored[1:3]
            if h not in close
            and h is not demoted
            and h.coverage >= GUESS
            and h.evidence >= MIN_EVIDENCE
            and (h.score > best.score or (h.evidence > best.evidence and best.coverage < CONFIDENT + CLOSE_GAP))
            and self._titled_rival(present[self._doc[h.procedure.id]], found, matched_words[0], query, has_best)
        ]
        if confident and compares(clean):
            # two things compared: a runner-up whose title names one the best's title does not is the other side
            close += [
                h
                for h, found in scored[1:3]
                if h not in close and self._compared_rival(present[self._doc[h.procedure.id]], found, has_best, query)
            ]
        # every word of the question is shared by many procedures (许可证怎么办): a choice, even if one has it verbatim
        # (unless it names one by a keyword of its own: 开诊所)
        vague = sum(h.coverage >= CONFIDENT for h in hits) >= 2 and self._vague(query) and not verbatim
        # one keyword word is thin evidence for a fresh wording (打疫苗疼不疼, 开个小诊所要投多少钱): better asked than guessed wrong
        thin = (confident or dominant) and self._thin(best, has_best, matched_words[0], query, verbatim)
        if reported and not aside:
            confident, dominant, close, vague, thin = True, False, [], False, False
        result = SearchResult(
            tuple(hits),
            confident or dominant,
            (confident and bool(close or vague)) or thin,
            vague,
            tuple(content),
            (*scope_words, topic) if topic else tuple(scope_words),  # ... so no guesses at our procedures either
            dominant=dominant,
            rivals=tuple(close),
            thin=thin,
            reported=bool(reported and not aside),
        )
        if explain:
            lines = self._explain(content, query, list(result.out_of_scope), hits, matched_words)
            lines.append(self._verdict(result))
            result = replace(result, explanation=tuple(lines))
        return result

    def _explain(self, content, query, scope_words, hits, matched_words) -> list[str]:
        known = {w for w, _, _ in query}
        weights = {q[0]: q[2] for q in query}
        lines = ["words: " + " ".join(f"{w}({weights[w]:.2f})" if w in known else f"{w}(unknown: ignored)" for w in dict.fromkeys(content))]
        if scope_words:
            lines.append("out of scope: " + ", ".join(scope_words) + " (counted against every procedure)")
        for hit, found in zip(hits, matched_words):
            fields = []
            for word in found:
                where = [name for name, chunks in _field_texts(hit.procedure).items() if any(word in normalize(c) for c in chunks)]
                fields.append(f"{word}→{'/'.join(where) or 'bigrams'}")
            lines.append(
                f"{hit.procedure.id}: score {hit.score:.2f}, coverage {hit.coverage:.2f}, evidence {hit.evidence:.2f}; matched {', '.join(fields) or '-'}"
            )
        return lines

    @staticmethod
    def _verdict(result: SearchResult) -> str:
        best = result.best
        if best is None:
            return "verdict: nothing matched"
        if result.reported:
            return (
                f"verdict: confident (the question asks where or how to report someone; {best.procedure.id}'s title holds the report word)"
            )
        if result.thin:
            return f"verdict: a choice (only one keyword word names {best.procedure.id}, none of its title, coverage {best.coverage:.2f} < {THIN_COVERAGE})"
        if result.dominant:
            return f"verdict: confident by dominance (coverage {best.coverage:.2f} >= {DOMINANT_COVERAGE}, ranked at least {DOMINANT_MARGIN} above the runner-up)"
        if result.out_of_scope and not result.confident:
            return f"verdict: another topic ({', '.join(result.out_of_scope)}): no answer and no guesses"
        if result.confident and not result.ambiguous:
            return f"verdict: confident (coverage {best.coverage:.2f} >= {CONFIDENT}, evidence {best.evidence:.2f} >= {MIN_EVIDENCE}, no confident runner-up within {CLOSE_GAP})"
        if result.ambiguous:
            return (
                "verdict: a choice ("
                + (
                    "the question is vague"
                    if result.vague
                    else f"a confident runner-up ranks within {CLOSE_GAP} of the best, or within {TITLED_GAP} with a title word of the question the best lacks, or a named guess out-scoring the best has such a word; "
                    "or two things are compared and a runner-up's title names one the best's title lacks"
                )
                + ")"
            )
        why = (
            f"coverage {best.coverage:.2f} < {CONFIDENT}" if best.coverage < CONFIDENT else f"evidence {best.evidence:.2f} < {MIN_EVIDENCE}"
        )
        return f"verdict: not confident ({why}); best guesses: {', '.join(p.id for p in result.guesses()) or 'none'}"


def match_faq(
    index: SearchIndex, procedure: Procedure, question: str, lang: str, content: Sequence[str] | None = None
) -> tuple[int, Faq] | None:
    """The one FAQ item of a procedure the question asks about, when its detail words (beyond the procedure's own name) match it.

    `content` is the question's content words when the caller has them already (`SearchResult.words`): no second segmentation.
    """
    text = procedure.text(lang)
    if not text.faq:
        return None
    topic, faq_tokens = index.faq_tokens(procedure, lang)
    if content is None:
        _, content, _ = index.query_words(question)
    parts_of = {w: word_tokens(w)[1:] or word_tokens(w) for w in dict.fromkeys(content)}
    detail = [w for w, parts in parts_of.items() if not all(t in topic for t in parts)]
    specific = [w for w in detail if (not is_soft(w) or w in FAQ_TOPICS) and len(w) > 1]
    if not specific:
        return None
    best: tuple[float, int] | None = None
    runner = 0.0
    weight = lambda w: 0.5 if is_soft(w) else 1.0  # noqa: E731
    total = sum(weight(w) for w in detail)
    for i, tokens in enumerate(faq_tokens):
        covered = sum(weight(w) * (sum(t in tokens for t in parts_of[w]) / len(parts_of[w])) for w in detail)
        share = covered / total
        if not any(all(t in tokens for t in parts_of[w]) for w in specific):
            continue
        if best is None or share > best[0]:
            runner = best[0] if best else 0.0
            best = (share, i)
        elif share > runner:
            runner = share
    if best is None or best[0] < FAQ_MATCH or runner >= best[0]:
        return None
    return best[1], text.faq[best[1]]
