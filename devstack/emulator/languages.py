"""Language codes the emulator accepts: Azure AI Translator's translation languages (codes are case-insensitive)."""

from __future__ import annotations

_CODES = """
af am ar as az ba be bg bho bn bo brx bs ca cs cy da de doi dsb dv el en es et eu fa fi fil fj fo fr fr-ca ga gl
gom gu ha he hi hne hr hsb ht hu hy id ig ikt is it iu iu-latn ja ka kk km kmr kn ko ks ku ky lb ln lo lt lug lv
lzh mai mg mi mk ml mn-cyrl mn-mong mni mr ms mt mww my nb ne nl nso nya or otq pa pl prs ps pt pt-pt ro ru run rw
sd si sk sl sm sn so sq sr-cyrl sr-latn st sv sw ta te th ti tk tlh-latn tlh-piqd tn to tr tt ty ug uk ur uz vi
xh yo yua yue zh-hans zh-hant zu
"""

SUPPORTED_LANGUAGES: frozenset[str] = frozenset(_CODES.split())
RIGHT_TO_LEFT = frozenset({"ar", "dv", "fa", "he", "ks", "ku", "prs", "ps", "sd", "ug", "ur"})


def is_supported(code: str) -> bool:
    return code.strip().lower() in SUPPORTED_LANGUAGES
