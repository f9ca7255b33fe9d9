"""Translation engines behind one small interface, and the text pipeline that applies glossaries around them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from devstack.emulator.glossaries import Glossary

# Where one run of a paragraph ends and the next begins (Office documents): engines keep it where it stands, as they
# keep inline tags, so each run's formatting covers the translation of that run's own words.
RUN_BOUNDARY = "\ue002"
# Spans the pseudo engine never alters: glossary placeholders, URLs, e-mail addresses, markup entities, numbers.
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_DELIMITERS = re.compile("[\ue000\ue001]")
# A URL's scheme and an address's local part start where a run of their characters starts (the lookbehinds): so a
# 100 KB word is tried once, not from each of its characters (which made the scan quadratic).
_PROTECTED = re.compile(
    r"\ue000\d+\ue001"
    r"|(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"')\]]+"
    r"|www\.[^\s<>\"')\]]+"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|&#?\w+;"
    r"|\d[\d.,:/-]*"
)
_ACCENTED = str.maketrans(
    "AaCcEeGgIiLlNnOoRrSsUuWwYyZz",
    "ÅåÇçÉéĜĝÎîĻļÑñÖöŔŕŠšÛûŴŵÝýŽž",
)


class TranslationEngine(Protocol):
    """Translates a batch of plain-text segments; must keep protected placeholders (\\ue000N\\ue001) intact."""

    name: str

    def translate(self, segments: Sequence[str], *, source: str | None, target: str) -> list[str]: ...


class PseudoEngine:
    """Deterministic pseudo-translation: marks each segment with `[lang]` and accents its letters.

    Numbers, URLs, e-mail addresses, entities and placeholders are left exactly as they are, so tests can assert on
    the output and see at a glance which language a document was translated to.
    """

    name = "pseudo"

    def translate(self, segments: Sequence[str], *, source: str | None, target: str) -> list[str]:
        return [self._translate_one(text, target) for text in segments]

    @staticmethod
    def _translate_one(text: str, target: str) -> str:
        if not any(ch.isalpha() for ch in _PROTECTED.sub("", text)):
            return text
        pieces: list[str] = []
        last = 0
        for match in _PROTECTED.finditer(text):
            pieces.append(text[last : match.start()].translate(_ACCENTED))
            pieces.append(match.group(0))
            last = match.end()
        pieces.append(text[last:].translate(_ACCENTED))
        body = "".join(pieces)
        stripped = body.lstrip()
        leading = body[: len(body) - len(stripped)]
        return f"{leading}[{target}] {stripped}"


ENGINE_NAMES = ("pseudo", "argos")


def create_engine(name: str) -> TranslationEngine:
    """The engine called `name`; raises EngineUnavailable (argos without its package or models) or ValueError."""
    if name == "pseudo":
        return PseudoEngine()
    if name == "argos":
        from devstack.emulator.argos import ArgosEngine  # imported only when chosen

        return ArgosEngine()
    raise ValueError(f"unknown engine {name!r}; available: {', '.join(ENGINE_NAMES)}")


class TextTranslator:
    """Translates segments for one target language: glossary terms are fixed first, the engine does the rest."""

    def __init__(
        self, engine: TranslationEngine, *, source: str | None, target: str, glossary: Glossary | None = None
    ) -> None:
        self._engine = engine
        self._source = source
        self._target = target
        self._glossary = glossary or Glossary({})

    def translate(self, segments: Sequence[str]) -> list[str]:
        matcher = self._glossary.matcher
        if matcher is None and not any(_DELIMITERS.search(text) for text in segments):
            return self._engine.translate(segments, source=self._source, target=self._target)
        replacements: list[str] = []
        protected = [self._protect(text, replacements) for text in segments]
        translated = self._engine.translate(protected, source=self._source, target=self._target)
        return [_PLACEHOLDER.sub(lambda m: _restored(m, replacements), text) for text in translated]

    def _protect(self, text: str, replacements: list[str]) -> str:
        """Glossary terms become placeholders the engine keeps; so do the placeholder delimiters U+E000/U+E001 where
        the document itself has them, so they come back as they were and never pass for a placeholder. Terms are
        found across run boundaries; a term that spans runs goes into the run where it starts, the others it
        covered stay empty."""
        matcher = self._glossary.matcher
        clean, at = _without_boundaries(text)
        pieces: list[str] = []
        last = 0
        for start, end in matcher.spans(clean) if matcher else ():
            term_start, term_end = at(start), at(end - 1) + 1
            pieces.append(_DELIMITERS.sub(lambda m: _placeholder(m.group(0), replacements), text[last:term_start]))
            pieces.append(_placeholder(self._glossary.terms[clean[start:end]], replacements))
            pieces.append(RUN_BOUNDARY * text.count(RUN_BOUNDARY, term_start, term_end))
            last = term_end
        pieces.append(_DELIMITERS.sub(lambda m: _placeholder(m.group(0), replacements), text[last:]))
        return "".join(pieces)


def _without_boundaries(text: str) -> tuple[str, Callable[[int], int]]:
    """`text` without run boundaries, and where each of its characters stands in `text`."""
    if RUN_BOUNDARY not in text:
        return text, lambda index: index
    positions = [index for index, char in enumerate(text) if char != RUN_BOUNDARY]
    return text.replace(RUN_BOUNDARY, ""), positions.__getitem__


def _placeholder(replacement: str, replacements: list[str]) -> str:
    replacements.append(replacement)
    return f"\ue000{len(replacements) - 1}\ue001"


def _restored(match: re.Match[str], replacements: list[str]) -> str:
    index = int(match.group(1))
    return replacements[index] if index < len(replacements) else match.group(0)


def charged_characters(segments: Sequence[str]) -> int:
    """Characters charged for a document: the characters of its translatable source text."""
    texts = (text.replace(RUN_BOUNDARY, "") for text in segments)
    return sum(len(text) for text in texts if text.strip())
