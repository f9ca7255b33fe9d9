"""Language lists as users write them (settings, routes, blob metadata): parsed, checked and de-duplicated."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_TARGET_LANGUAGES = 10  # Document Translation accepts at most 10 target languages per document
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


def is_language_code(text: str) -> bool:
    """Whether `text` is shaped like a Translator language code (`fr`, `pt-pt`, `zh-Hans`, `sr-Latn`)."""
    return bool(_LANGUAGE_CODE.match(text))


def canonical_language(code: str) -> str:
    """One spelling per code, as the Translator lists them: subtags lower case, scripts title case
    (`ZH-HANS` and `zh-hans` → `zh-Hans`, `PT-PT` → `pt-pt`). Output folders and messages use this spelling."""
    primary, *subtags = code.strip().split("-")
    return "-".join([primary.lower(), *(tag.title() if len(tag) == 4 else tag.lower() for tag in subtags)])


def parse_languages(raw: str | Iterable[str]) -> tuple[str, ...]:
    """`"fr, de"` or `["fr", "de"]` → `("fr", "de")`; raises ValueError saying what is wrong."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    languages: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a language code")
        code = item.strip()
        if not code:
            continue
        if not is_language_code(code):
            raise ValueError(f"'{code[:40]}' is not a language code (expected e.g. fr, de, pt-pt, zh-Hans)")
        code = canonical_language(code)
        if code not in languages:
            languages.append(code)
    if not languages:
        raise ValueError("no target language given")
    if len(languages) > MAX_TARGET_LANGUAGES:
        raise ValueError(f"{len(languages)} target languages given; at most {MAX_TARGET_LANGUAGES} are allowed")
    return tuple(languages)
