"""At the runner's start: warn about a language setting the Translator does not translate into.

The app fails such a language on each document when the Translator refuses it (its other languages are translated);
this says so once, at start, naming the setting. The list comes from Text Translation's language list, which needs no
key (`/translator/text/v3.0/languages?scope=translation`, served by the emulator and by a Translator's custom domain);
when it cannot be read, nothing is checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import requests

from shared.errors import SettingError
from shared.settings import LANGUAGE_ROUTES, SOURCE_LANGUAGE, TARGET_LANGUAGES, TRANSLATOR_ENDPOINT, Settings

logger = logging.getLogger(__name__)
LANGUAGES_PATH = "/translator/text/v3.0/languages"


def warn_about_unknown_languages(environ: dict[str, str]) -> list[str]:
    """Log a warning for each configured language the Translator does not list; returns the warnings."""
    try:
        settings = Settings.from_environ(environ)
    except (SettingError, ValueError):
        return []  # the app reports its own setting errors
    known = _translator_languages(environ.get(TRANSLATOR_ENDPOINT, ""))
    if known is None:
        return []
    warnings = [
        f"{setting} names '{code}', which the Translator does not translate "
        f"{'from' if setting == SOURCE_LANGUAGE else 'into'}: "
        + ("every document will fail." if setting == SOURCE_LANGUAGE else "each document gets it as a Failed target.")
        for setting, code in _configured(settings)
        if code.lower() not in known
    ]
    for warning in warnings:
        logger.warning(warning)
    return warnings


def _configured(settings: Settings) -> Iterator[tuple[str, str]]:
    if settings.source_language:
        yield SOURCE_LANGUAGE, settings.source_language
    for code in settings.target_languages:
        yield TARGET_LANGUAGES, code
    for route in settings.language_routes:
        for code in route.languages:
            yield LANGUAGE_ROUTES, code


def _translator_languages(endpoint: str) -> frozenset[str] | None:
    if not endpoint:
        return None
    try:
        response = requests.get(
            endpoint.rstrip("/") + LANGUAGES_PATH, params={"api-version": "3.0", "scope": "translation"}, timeout=5
        )
        response.raise_for_status()
        return frozenset(code.lower() for code in response.json()["translation"])
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        logger.info("language settings not checked: the Translator's language list could not be read (%s)", exc)
        return None
