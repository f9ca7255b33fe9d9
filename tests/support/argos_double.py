"""A small test double of the Argos Translate API (`argostranslate.translate`): no model can be downloaded here.

It mirrors the calls the adapter makes: `get_installed_languages()` → languages with `.code` and
`.get_translation(to)` (None when no package covers the pair) → a translation with `.translate(text)`.
"""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class FakeTranslation:
    source: str
    target: str
    calls: list[str] = field(default_factory=list)

    def translate(self, text: str) -> str:
        self.calls.append(text)
        return f"<{self.source}-{self.target}>{text.upper()}"


@dataclass
class FakeLanguage:
    code: str
    pairs: set[tuple[str, str]]
    translations: dict[str, FakeTranslation] = field(default_factory=dict)

    def get_translation(self, to: FakeLanguage) -> FakeTranslation | None:
        if (self.code, to.code) not in self.pairs:
            return None
        return self.translations.setdefault(to.code, FakeTranslation(self.code, to.code))


def fake_translate_module(pairs: set[tuple[str, str]]) -> types.ModuleType:
    codes = sorted({code for pair in pairs for code in pair})
    languages = [FakeLanguage(code, pairs) for code in codes]
    module = types.ModuleType("argostranslate.translate")
    module.get_installed_languages = lambda: languages  # type: ignore[attr-defined]
    return module


@contextmanager
def installed_argos(pairs: set[tuple[str, str]]):
    """Make `import argostranslate.translate` find the double (as if the extra and these packages were installed)."""
    translate = fake_translate_module(pairs)
    package = types.ModuleType("argostranslate")
    package.translate = translate  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("argostranslate", "argostranslate.translate")}
    sys.modules.update({"argostranslate": package, "argostranslate.translate": translate})
    try:
        yield translate
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
