"""The `argos` engine: real offline translation with installed Argos Translate language packages.

`argostranslate` is an optional extra (`pip install argostranslate`), imported only when this engine is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from devstack.emulator.errors import DocumentFailure

DEFAULT_SOURCE = "en"  # a document sent without a source language whose language detection could not tell
_KEPT = re.compile("(\ue000\\d+\ue001|\ue002)")  # glossary placeholders and run boundaries, never sent to the model
_INSTALL_HINT = (
    "install the optional extra and a language package where the internet is available: "
    "`pip install argostranslate` then `argospm update && argospm install translate-en_de` "
    "(one package per language pair; `argospm search` lists them)"
)


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here; raised at start-up, never per document."""


class ArgosEngine:
    """Translates with the Argos Translate package installed for each requested pair."""

    name = "argos"

    def __init__(self, translate_module: Any | None = None) -> None:
        if translate_module is None:
            try:
                import argostranslate.translate as translate_module  # optional extra
            except ImportError as exc:
                message = f"--engine argos: the argostranslate package is missing; {_INSTALL_HINT}"
                raise EngineUnavailable(message) from exc
        languages = translate_module.get_installed_languages()
        if not languages:
            raise EngineUnavailable(f"--engine argos: no Argos language packages are installed; {_INSTALL_HINT}")
        self._languages = {language.code.lower(): language for language in languages}

    @property
    def installed_codes(self) -> list[str]:
        return sorted(self._languages)

    def translate(self, segments: Sequence[str], *, source: str | None, target: str) -> list[str]:
        translation = self._translation(source or DEFAULT_SOURCE, target)
        return [self._translate_one(translation, text) for text in segments]

    def _translation(self, source: str, target: str) -> Any:
        source_language, target_language = self._language(source), self._language(target)
        translation = source_language.get_translation(target_language) if source_language and target_language else None
        if translation is None:
            raise DocumentFailure(
                "UnsupportedLanguagePair",
                f"No Argos language package translates '{source}' to '{target}'. "
                f"Installed languages: {', '.join(self.installed_codes)}.",
            )
        return translation

    def _language(self, code: str) -> Any:
        """Translator codes to Argos codes: exact, else the primary subtag (`zh-Hans` -> `zh`, `pt-pt` -> `pt`)."""
        code = code.lower()
        return self._languages.get(code) or self._languages.get(code.split("-", 1)[0])

    @staticmethod
    def _translate_one(translation: Any, text: str) -> str:
        """Translate between glossary placeholders and run boundaries, which a neural model would not keep intact."""
        pieces = _KEPT.split(text)
        return "".join(
            piece if _KEPT.fullmatch(piece) or not piece.strip() else _keep_spacing(piece, translation)
            for piece in pieces
        )


def _keep_spacing(piece: str, translation: Any) -> str:
    stripped = piece.strip()
    start = piece.index(stripped[0])
    return piece[:start] + translation.translate(stripped) + piece[start + len(stripped) :]
