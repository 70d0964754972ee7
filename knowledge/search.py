"""Ranked procedure search: field-weighted BM25 over words and Chinese bigrams, with a calibrated confidence."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge.model import Procedure, ProcedureText
from knowledge.text import content_words, has_cjk, is_soft, normalize, phrase_key, phrases, word_tokens, words

K1 = 1.2
B = 0.6
FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "faq": 1.5, "department": 1.0, "body": 0.3}
PHRASE_WEIGHT = 4.0  # a whole title or keyword found verbatim in the question
MAX_PHRASE_SCAN = 80  # characters of the question scanned for verbatim keywords
STRONG_FIELDS = ("title", "keywords", "faq", "department")

CONFIDENT = 0.6  # share of the question's meaning the best procedure must cover
CLOSE_RATIO = 0.8  # a runner-up within this share of the best score makes the question ambiguous
BODY_MATCH = 0.5  # credit for a word found only in the body text (materials, steps, basis)
VAGUE_SHARE = 0.2  # a question whose rarest word names this share of all procedures is vague


@dataclass(frozen=True)
class Hit:
    """One ranked procedure with its raw score and the share of the question it covers."""

    procedure: Procedure
    score: float
    coverage: float


@dataclass(frozen=True)
class SearchResult:
    """The ranked hits of a question and the verdict: confident single answer, choices, or nothing."""

    hits: tuple[Hit, ...]
    confident: bool
    ambiguous: bool
    vague: bool = False

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
        top = self.hits[0].score if self.hits else 0.0
        floor = 0.0 if self.vague else top * CLOSE_RATIO
        return [h.procedure for h in self.hits if h.coverage >= CONFIDENT and h.score >= floor][:limit]


def _field_texts(text: ProcedureText) -> dict[str, list[str]]:
    body = [m.name + " " + (m.note or "") for m in text.materials] + list(text.steps) + [text.basis]
    body += [f.a for f in text.faq] + [text.time_limit, text.fee, text.hours, text.location]
    return {
        "title": [text.title],
        "keywords": list(text.keywords),
        "faq": [f.q for f in text.faq],
        "department": [text.department],
        "body": body,
    }


class SearchIndex:
    """An inverted index over procedures; built once per knowledge base, read-only afterwards."""

    def __init__(self, procedures: list[Procedure]) -> None:
        self.procedures = procedures
        tf: list[dict[str, float]] = []
        self._phrase_lengths: set[int] = set()
        self._strong: list[frozenset[str]] = []
        self._body: list[frozenset[str]] = []
        lengths = np.zeros(len(procedures), dtype=np.float32)
        for i, procedure in enumerate(procedures):
            weights: dict[str, float] = defaultdict(float)
            strong: set[str] = set()
            body: set[str] = set()
            for text in (procedure, procedure.en):
                for field, chunks in _field_texts(text).items():
                    for chunk in chunks:
                        chunk_words = words(normalize(chunk, limit=2000))
                        tokens = [tok for word in chunk_words for tok in word_tokens(word)] + phrases(chunk_words)
                        for token in tokens:
                            weights[token] += FIELD_WEIGHTS[field]
                            (strong if field in STRONG_FIELDS else body).add(token)
                        lengths[i] += FIELD_WEIGHTS[field] * len(chunk_words)
                        if field in ("title", "keywords"):
                            phrase = phrase_key(chunk_words)
                            weights[phrase] += PHRASE_WEIGHT
                            self._phrase_lengths.add(len(phrase) - 3)
            tf.append(weights)
            self._strong.append(frozenset(strong))
            self._body.append(frozenset(body - strong))
        n = max(len(procedures), 1)
        avg = float(lengths.mean()) if len(procedures) else 1.0
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, weights in enumerate(tf):
            norm = K1 * (1 - B + B * lengths[i] / avg)
            for token, w in weights.items():
                postings[token].append((i, w * (K1 + 1) / (w + norm)))
        self._idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for token, rows in postings.items():
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            self._idf[token] = idf
            idx = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
            val = np.fromiter((r[1] * idf for r in rows), dtype=np.float32, count=len(rows))
            self._postings[token] = (idx, val)
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        strong_df: dict[str, int] = defaultdict(int)
        for tokens in self._strong:
            for token in tokens:
                strong_df[token] += 1
        self._strong_share = {token: count / n for token, count in strong_df.items()}
        self._vocab_by_deletion = self._deletion_index(t for t in self._idf if t.isascii() and len(t) >= 4)

    @staticmethod
    def _deletion_index(tokens) -> dict[str, str]:
        index: dict[str, str] = {}
        for token in tokens:
            for i in range(len(token)):
                index.setdefault(token[:i] + token[i + 1 :], token)
        return index

    def _spell(self, word: str) -> str:
        """Map an English word one typo away from a known word to that word."""
        if word in self._idf or not word.isascii() or len(word) < 4:
            return word
        if word in self._vocab_by_deletion:
            return self._vocab_by_deletion[word]
        for i in range(len(word)):
            candidate = word[:i] + word[i + 1 :]
            if candidate in self._idf:
                return candidate
            if candidate in self._vocab_by_deletion:
                return self._vocab_by_deletion[candidate]
        return word

    def _phrase_tokens(self, text: str) -> list[str]:
        """Verbatim titles and keywords inside the question, as `kw:` tokens."""
        chinese = "".join(ch for ch in normalize(text)[:MAX_PHRASE_SCAN] if has_cjk(ch))
        latin = " ".join(w for w in words(normalize(text)[:MAX_PHRASE_SCAN]) if w.isascii())
        found = []
        for source in (chinese, latin):
            for size in self._phrase_lengths:
                for start in range(0, len(source) - size + 1):
                    token = "kw:" + source[start : start + size]
                    if token in self._postings:
                        found.append(token)
        return found

    def _coverage(self, doc: int, query_words: list[str]) -> float:
        strong, body = self._strong[doc], self._body[doc]
        all_soft = all(is_soft(w) for w in query_words)
        total = matched = 0.0
        for word in query_words:
            tokens = word_tokens(word)
            weight = self._idf.get(word, self._unknown_idf)
            if word in strong:
                hit = 1.0
            elif word in body:
                hit = BODY_MATCH
            elif len(tokens) > 1:
                parts = tokens[1:]
                hit = sum(1.0 if t in strong else BODY_MATCH if t in body else 0.0 for t in parts) / len(parts)
            else:
                hit = 0.0
            if is_soft(word) and not all_soft and hit < 1.0:
                continue  # asking "where/when/how much" must not count against a procedure that answers it
            total += weight
            matched += weight * hit
        return matched / total if total else 0.0

    def _vague(self, query_words: list[str]) -> bool:
        """True when even the rarest word of the question is shared by many procedures (e.g. "许可证怎么办")."""
        shares = [self._strong_share.get(w, 0.0) for w in query_words if not is_soft(w) and w in self._strong_share]
        return bool(shares) and min(shares) >= VAGUE_SHARE

    def search(self, question: str, limit: int = 5) -> SearchResult:
        """Rank procedures for a question; decide whether the best one is a confident answer."""
        query_words = [self._spell(w) for w in content_words(question)]
        if not query_words or not self.procedures:
            return SearchResult((), False, False)
        scores = np.zeros(len(self.procedures), dtype=np.float32)
        query_tokens = [tok for word in dict.fromkeys(query_words) for tok in word_tokens(word)]
        query_tokens += phrases(query_words) + self._phrase_tokens(question)
        for token in dict.fromkeys(query_tokens):
            posting = self._postings.get(token)
            if posting is not None:
                scores[posting[0]] += posting[1]
        count = min(limit, len(self.procedures))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
        top = sorted((int(i) for i in top if scores[i] > 0), key=lambda i: -scores[i])
        hits = tuple(Hit(self.procedures[i], float(scores[i]), self._coverage(i, query_words)) for i in top)
        if not hits:
            return SearchResult((), False, False)
        confident = hits[0].coverage >= CONFIDENT
        others = [h for h in hits[1:] if h.coverage >= CONFIDENT]
        close = [h for h in others if h.score >= hits[0].score * CLOSE_RATIO]
        vague = len(others) >= 2 and self._vague(query_words)
        return SearchResult(hits, confident, confident and bool(close or vague), vague)
