"""Source language detection for documents sent without `source.language` (or `sourceLanguage`), offline.

py3langid (a maintained port of langid.py) ships its model inside the package: nothing is downloaded. A document's
first SAMPLE_CHARS of translatable text are classified; an answer below MIN_PROBABILITY (a title, a number list) or
outside the Translator's languages is no answer, and the engine then uses its own default. The model is loaded on
the first document sent without a language; it takes about 110 MB of memory and a second, once per process.
"""

from __future__ import annotations

import threading
from functools import cache

from devstack.emulator.languages import is_supported

SAMPLE_CHARS = 2000
MIN_PROBABILITY = 0.3
# langid labels whose Translator code differs
_TRANSLATOR_CODES = {"zh": "zh-Hans", "no": "nb", "nn": "nb", "sr": "sr-Cyrl", "mn": "mn-Cyrl", "tl": "fil"}
_lock = threading.Lock()


@cache
def _identifier():  # loaded once, on first use (about a second)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(sample: str) -> str | None:
    """The Translator code of the language `sample` is written in, or None when it cannot be told."""
    text = sample[:SAMPLE_CHARS]
    if not any(char.isalpha() for char in text):
        return None
    with _lock:  # the identifier is not documented as thread-safe
        label, probability = _identifier().classify(text)
    code = _TRANSLATOR_CODES.get(label, label)
    return code if probability >= MIN_PROBABILITY and is_supported(code) else None
