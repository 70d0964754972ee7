"""The office's shared vocabulary (synonyms.yaml): words that mean the same, narrower words, typos, out-of-scope topics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.text import add_words, normalize
from knowledge.yamlfile import read_yaml

FILE_NAME = "synonyms.yaml"
SECTIONS = ("same", "means", "typos", "out_of_scope")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _clean(word: str) -> str:
    return normalize(word, limit=100)


def _alternation(words: list[str], plural: str) -> re.Pattern[str] | None:
    """The words as one pattern, the first listed winning where several match; English words whole, with a plural ending.

    The words are grouped by first character (order kept within each group): only one group can match at any place, so
    the pattern means the same as the plain list, but the regex engine skips to places where a word can start and then
    tries that group alone (the plain list, led by look-behinds, made it try all of them at every character).
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        first, rest = word[:1], re.escape(word[1:])
        if not _CJK.search(word):  # the look-behind after the first character: the same test, one character later
            rest = rf"(?<![a-z0-9]{re.escape(first)}){rest}{plural}(?![a-z0-9])"
        groups.setdefault(first, []).append(rest)
    return re.compile("|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())) if groups else None


@dataclass
class Synonyms:
    """Rewrites text into the office's canonical vocabulary; one compiled pattern, so a rewrite costs one regex pass."""

    replace: dict[str, str] = field(default_factory=dict)
    out_of_scope: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()  # the canonical words themselves: matched whole, so 卫生许可证 is not 卫生许可 + 证
    typos: dict[str, str] = field(default_factory=dict)  # a mistyped word → the right word as written in the typos section
    _pattern: re.Pattern[str] | None = None
    _scope: re.Pattern[str] | None = None
    _typo_pattern: re.Pattern[str] | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Synonyms:
        """Build from the (validated) contents of synonyms.yaml."""
        canonical: dict[str, str] = {}
        for group in data.get("same") or []:
            words = [_clean(w) for w in group]
            for word in words:
                canonical[word] = words[0]
        typos: dict[str, str] = {}
        for right, wrongs in (data.get("typos") or {}).items():
            for wrong in wrongs:
                canonical[_clean(wrong)] = canonical.get(_clean(right), _clean(right))
                typos[_clean(wrong)] = _clean(right)
        replace = {word: target for word, target in canonical.items() if word != target}
        for broader, narrower in (data.get("means") or {}).items():
            broad = canonical.get(_clean(broader), _clean(broader))
            for word in narrower:
                clean = _clean(word)
                replace[clean] = f" {broad} "  # the place or job is context; what it implies is the question
        replace = {word: _resolved(target, replace) for word, target in replace.items()}
        scope = frozenset(_clean(w) for w in data.get("out_of_scope") or [])
        add_words({target.strip() for target in replace.values()} | set(canonical.values()))
        return cls(replace, scope, frozenset(canonical.values()) - set(replace), typos)

    def __post_init__(self) -> None:
        # a canonical word is in the pattern too, as itself: otherwise a shorter variant inside it (卫生许可 in 卫生许可证) would be
        # rewritten and leave the rest dangling (卫生许可证证), and a question that writes the variant would not meet it
        variants = sorted(set(self.replace) | self.keep, key=len, reverse=True)
        self._pattern = _alternation(variants, "(?:s|es)?")
        self._scope = _alternation(sorted(self.out_of_scope, key=len, reverse=True), "s?")
        self._typo_pattern = _alternation(sorted(self.typos, key=len, reverse=True), "")

    def _target(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if found in self.keep:
            return found
        target = self.replace.get(found)
        if target is None:  # an English plural: look the singular up
            for cut in (2, 1):
                target = self.replace.get(found[:-cut])
                if target is not None:
                    break
            else:
                return found  # the plural of a canonical word: itself
        return f" {target} " if not _CJK.search(found) else (target or found)

    def rewrite(self, text: str, *, narrower: bool = True) -> str:
        """Normalised text with every variant replaced by its canonical word and every narrower word by the broader one.

        With `narrower=False` a narrower word is kept as written (去世 stays 去世): what the text names, not what it implies.
        """
        if self._pattern is None:
            return text
        if narrower:
            return self._pattern.sub(self._target, text)
        return self._pattern.sub(self._same_target, text)

    def _same_target(self, match: re.Match[str]) -> str:
        target = self._target(match)
        padding = "  " if not _CJK.search(match.group(0)) else " "
        return match.group(0) if target.startswith(padding) else target  # a narrower word's target is padded with spaces

    def correct(self, text: str) -> str:
        """Normalised text with only its typos put right (投素 → 投诉, 电化 → 电话), every other word as written."""
        if self._typo_pattern is None:
            return text
        return self._typo_pattern.sub(lambda match: self.typos.get(match.group(0), match.group(0)), text)

    def scope_words(self, text: str) -> list[str]:
        """Out-of-scope markers found in normalised text (they count against any procedure)."""
        if self._scope is None:
            return []
        return list(dict.fromkeys(match.group(0) for match in self._scope.finditer(text)))


def _resolved(target: str, replace: dict[str, str]) -> str:
    """The end of a chain of rewrites: 接生 is the same as 助产, which means 母婴保健技术, so 接生 means 母婴保健技术 at once."""
    seen = {target.strip()}
    while target.strip() in replace and replace[target.strip()].strip() not in seen:
        following = replace[target.strip()]
        target = following if following.startswith(" ") or not target.startswith(" ") else f" {following.strip()} "
        seen.add(target.strip())
    return target


def _strings(value: object, where: str, errors: list[str], display: str) -> list[str]:
    if not isinstance(value, list) or not value:
        errors.append(f"{display}: {where}: expected a non-empty list of words")
        return []
    good = []
    for i, item in enumerate(value):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            errors.append(f"{display}: {where}[{i}]: expected a word, got {item!r}")
        else:
            good.append(item)
    return good


def validate(data: object, display: str) -> tuple[dict[str, Any], list[str]]:
    """Check the structure of synonyms.yaml; return the usable part and `file: field: problem` lines."""
    errors: list[str] = []
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{display}: (file): expected a mapping with sections {', '.join(SECTIONS)}"]
    clean: dict[str, Any] = {"same": [], "means": {}, "typos": {}, "out_of_scope": []}
    for key in data:
        if key not in SECTIONS:
            errors.append(f"{display}: {key}: unknown section (expected one of {', '.join(SECTIONS)})")
    seen: dict[str, str] = {}
    for i, group in enumerate(data.get("same") or []):
        words = _strings(group, f"same[{i}]", errors, display)
        if len(words) == 1:
            errors.append(f"{display}: same[{i}]: a group needs at least two words")
        for word in words:
            key = _clean(word)
            if key in seen:
                errors.append(f"{display}: same[{i}]: '{word}' is already in {seen[key]}")
            seen[key] = f"same[{i}]"
        clean["same"].append(words)
    for section in ("means", "typos"):
        value = data.get(section) or {}
        if not isinstance(value, dict):
            errors.append(f"{display}: {section}: expected a mapping of word: [words]")
            continue
        for head, words in value.items():
            clean[section][str(head)] = _strings(words, f"{section}.{head}", errors, display)
    scope = data.get("out_of_scope")
    if scope is not None:
        if not isinstance(scope, list) or not scope:
            errors.append(f"{display}: out_of_scope: expected a non-empty list of words or of word groups")
        else:  # words, or groups of words (one topic a line)
            for i, item in enumerate(scope):
                group = item if isinstance(item, list) else [item]
                clean["out_of_scope"].extend(_strings(group, f"out_of_scope[{i}]", errors, display))
    return clean, errors


def load(folder: Path) -> tuple[Synonyms, list[str], list[str]]:
    """The synonyms of a knowledge base folder (empty when there is no file), its errors and warnings."""
    path = folder / FILE_NAME
    if not path.exists():
        return Synonyms(), [], []
    display = str(path.relative_to(folder.parent)) if folder.parent in path.parents else str(path)
    data, duplicates = read_yaml(path, display)
    if data is None and duplicates:
        return Synonyms(), duplicates, []
    clean, errors = validate(data, display)
    return Synonyms.from_data(clean), duplicates + errors, []
