"""Ranked procedure search: field-weighted BM25 over words and Chinese bigrams, with a calibrated confidence."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.model import Procedure, ProcedureText
from knowledge.text import content_words, has_cjk, index_tokens, is_soft, normalize, phrase_token, phrases, word_tokens, words

K1 = 1.2
B = 0.6
FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "faq": 1.5, "department": 1.0}
PHRASE_WEIGHT = 4.0  # a whole title or keyword found verbatim in the question
MAX_PHRASE_SCAN = 80  # characters of the question scanned for verbatim keywords
PREFIX = 6  # English words sharing this many leading letters are taken as the same word
MAX_PHRASE_CHARS = 12  # longer keywords are still matched word by word, just not verbatim

CONFIDENT = 0.6  # share of the question's meaning the best procedure must cover
CLOSE_RATIO = 0.8  # a runner-up within this share of the best score makes the question ambiguous
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
    # the body (materials, steps, fees) is the answer, not the question: indexing it only adds noise
    return {
        "title": [text.title],
        "keywords": list(text.keywords),
        "faq": [f.q for f in text.faq],
        "department": [text.department],
    }


class SearchIndex:
    """An inverted index over procedures; built once per knowledge base, read-only afterwards."""

    def __init__(self, procedures: Sequence[Procedure], postings: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.procedures = procedures
        self._postings = postings
        n = self._n = max(len(procedures), 1)
        self._idf = {token: math.log(1 + (n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for token, p in postings.items()}
        self._phrase_lengths = sorted(
            {len(t) - 3 for t in postings if t.startswith("kw:") and 2 <= len(t) - 3 <= MAX_PHRASE_CHARS and not t.isascii()}
        )
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        english = [t for t in self._idf if t.isascii() and t.isalpha() and len(t) >= 4]
        self._vocab_by_deletion = self._deletion_index(english)
        self._vocab_by_prefix: dict[str, str] = {}
        for token in sorted(english, key=lambda t: -len(postings[t][0])):
            self._vocab_by_prefix.setdefault(token[:PREFIX], token)

    @classmethod
    def build(cls, procedures: Sequence[Procedure]) -> SearchIndex:
        """Tokenise every procedure's title, keywords, FAQ questions and department into BM25 postings."""
        n = max(len(procedures), 1)
        lengths = np.zeros(len(procedures), dtype=np.float32)
        rows_by_token: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, procedure in enumerate(procedures):
            weights: dict[str, float] = defaultdict(float)
            for text in (procedure, procedure.en):
                for field, chunks in _field_texts(text).items():
                    weight = FIELD_WEIGHTS[field]
                    for chunk in chunks:
                        tokens = index_tokens(chunk)
                        for token in tokens:
                            weights[token] += weight
                        lengths[i] += weight * len(tokens)
                        if field in ("title", "keywords"):
                            weights[phrase_token(chunk)] += PHRASE_WEIGHT
            for token, weight in weights.items():
                rows_by_token[token].append((i, weight))
        avg = float(lengths.mean()) if len(procedures) else 1.0
        norms = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for token, rows in rows_by_token.items():
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            idx = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
            tf = np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows))
            postings[token] = (idx, (idf * tf * (K1 + 1) / (tf + norms[idx])).astype(np.float32))
        return cls(procedures, postings)

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
    def restore(cls, procedures: Sequence[Procedure], state: dict) -> SearchIndex:
        """An index from `export()` output, without tokenising anything."""
        sizes = np.frombuffer(state["sizes"], dtype=np.int64)
        docs = np.frombuffer(state["docs"], dtype=np.int32)
        weights = np.frombuffer(state["weights"], dtype=np.float32)
        ends = np.cumsum(sizes).tolist()
        starts = [0] + ends[:-1]
        postings = {t: (docs[a:b], weights[a:b]) for t, a, b in zip(state["tokens"], starts, ends)}
        return cls(procedures, postings)

    @staticmethod
    def _deletion_index(tokens) -> dict[str, str]:
        index: dict[str, str] = {}
        for token in tokens:
            for i in range(len(token)):
                index.setdefault(token[:i] + token[i + 1 :], token)
        return index

    def _spell(self, word: str) -> str:
        """Map an unknown English word to a known one: one typo away, or the same word with another ending."""
        if word in self._idf or not word.isascii() or len(word) < 4:
            return word
        if word in self._vocab_by_deletion:
            return self._vocab_by_deletion[word]
        if len(word) >= PREFIX and word[:PREFIX] in self._vocab_by_prefix:
            return self._vocab_by_prefix[word[:PREFIX]]  # register ~ registration, disinfect ~ disinfection
        for i in range(len(word)):
            candidate = word[:i] + word[i + 1 :]
            if candidate in self._idf:
                return candidate
            if candidate in self._vocab_by_deletion:
                return self._vocab_by_deletion[candidate]
        return word

    def _phrase_tokens(self, text: str) -> list[str]:
        """Verbatim titles and keywords inside the question, as `kw:` tokens."""
        clean = normalize(text)[:MAX_PHRASE_SCAN]
        chinese = "".join(ch for ch in clean if has_cjk(ch))
        candidates = [chinese[i : i + size] for size in self._phrase_lengths for i in range(len(chinese) - size + 1)]
        latin = [w for w in words(clean) if w.isascii()]
        candidates += [" ".join(latin[i : i + size]) for size in range(1, 6) for i in range(len(latin) - size + 1)]
        return [token for token in ("kw:" + c for c in candidates) if token in self._postings]

    def _has(self, token: str, doc: int) -> bool:
        posting = self._postings.get(token)
        if posting is None:
            return False
        docs = posting[0]
        at = int(np.searchsorted(docs, doc))
        return at < len(docs) and docs[at] == doc

    def _coverage(self, doc: int, query_words: list[str]) -> float:
        all_soft = all(is_soft(w) for w in query_words)
        total = matched = 0.0
        for word in query_words:
            tokens = word_tokens(word)
            weight = self._idf.get(tokens[-1] if len(tokens) == 1 else word, self._unknown_idf)
            if len(tokens) > 1:
                parts = tokens[1:]
                weight = max(self._idf.get(t, self._unknown_idf) for t in parts)
                hit = sum(self._has(t, doc) for t in parts) / len(parts)
            else:
                hit = 1.0 if self._has(word, doc) else 0.0
            if is_soft(word) and not all_soft and hit < 1.0:
                continue  # asking "where/when/how much" must not count against a procedure that answers it
            total += weight
            matched += weight * hit
        return matched / total if total else 0.0

    def _vague(self, query_words: list[str]) -> bool:
        """True when even the rarest word of the question is shared by many procedures (e.g. "许可证怎么办")."""
        shares = []
        for word in query_words:
            if is_soft(word):
                continue
            tokens = word_tokens(word)
            known = [self._postings[t][0].size / self._n for t in (tokens[1:] or tokens) if t in self._postings]
            if known:
                shares.append(min(known))
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
