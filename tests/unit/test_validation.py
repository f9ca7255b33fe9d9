"""Checks on new documents, from properties and the first bytes only."""

from __future__ import annotations

import pytest

from shared.languages import parse_languages
from shared.validation import check_format, check_name, check_signature, check_size, target_languages

SUPPORTED = frozenset({".txt", ".docx", ".html"})


@pytest.mark.parametrize(("size", "code"), [(0, "EmptyDocument"), (40 * 1024 * 1024 + 1, "DocumentTooLarge")])
def test_size_limits(size, code):
    assert check_size(size).code == code


@pytest.mark.parametrize("size", [1, 40 * 1024 * 1024])
def test_sizes_within_limits_pass(size):
    assert check_size(size) is None


@pytest.mark.parametrize(
    "name",
    [
        "a/../b.txt",
        "./a.txt",
        "a//b.txt",
        "trailing.",
        "tab\there.txt",
        "x" * 1020 + ".txt",
        "bidi\u202e.txt",
        "isolate\u2067.txt",
        "mark\u200f.txt",
    ],
)
def test_unusable_names_are_rejected(name):
    assert check_name(name).code == "InvalidDocumentName"


@pytest.mark.parametrize(
    "name",
    [
        "plain.txt",
        "with space.txt",
        "ünïcödé/文件.txt",
        "hash#and?query%.txt",
        "a..b.txt",
        "گزارش\u200cها.txt",  # Persian: the zero-width non-joiner is part of the word
        "क्\u200dष.txt",  # Devanagari with a zero-width joiner
    ],
)
def test_awkward_but_usable_names_pass(name):
    assert check_name(name) is None


def test_format_must_be_one_the_translator_reports():
    assert check_format("a.TXT", SUPPORTED) is None
    rejection = check_format("a.exe", SUPPORTED)
    assert rejection.code == "UnsupportedFormat"
    assert ".docx" in rejection.message
    assert check_format("noextension", SUPPORTED).code == "UnsupportedFormat"


def test_unknown_format_list_leaves_the_decision_to_the_service():
    assert check_format("a.exe", None) is None


def test_zip_based_office_files_need_the_zip_signature():
    assert check_signature("a.docx", b"PK\x03\x04\x14\x00\x06\x00") is None
    assert check_signature("a.xlsx", b"%PDF-1.7").code == "ContentMismatch"
    assert check_signature("a.pptx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1").code == "EncryptedDocument"
    assert check_signature("a.txt", b"anything") is None


def test_metadata_languages_override_and_are_validated():
    assert target_languages({"TargetLanguages": "ja, ko"}, lambda: ("fr",)) == ("ja", "ko")
    assert target_languages({}, lambda: ("fr",)) == ("fr",)
    assert target_languages({"targetlanguages": "fr;de"}, lambda: ("fr",)).code == "InvalidTargetLanguages"


def test_language_lists_are_deduplicated_case_insensitively():
    assert parse_languages("fr, FR, zh-Hans, zh-hans, pt-pt") == ("fr", "zh-Hans", "pt-pt")


def test_language_codes_get_one_canonical_spelling_for_folders_and_messages():
    assert parse_languages("ZH-HANS, zh-hant, PT-PT, sr-latn, FR-CA") == (
        "zh-Hans",
        "zh-Hant",
        "pt-pt",
        "sr-Latn",
        "fr-ca",
    )
    assert target_languages({"targetlanguages": "zh-hans"}, lambda: ("fr",)) == ("zh-Hans",)
    with pytest.raises(ValueError, match="no target language"):
        parse_languages(" , ")
