from __future__ import annotations

from devstack.emulator.engine import PseudoEngine, TextTranslator, charged_characters
from devstack.emulator.glossaries import Glossary


def translate(text: str, target: str = "fr") -> str:
    return PseudoEngine().translate([text], source=None, target=target)[0]


def test_pseudo_marks_the_target_language_and_changes_letters():
    assert translate("Hello world", "de") == "[de] Héļļö ŵöŕļd"


def test_pseudo_leaves_numbers_urls_emails_and_entities_alone():
    out = translate("Call 555-1234 or see https://example.com/a?b=1 or mail a.b@example.org &amp; more")
    for kept in ("555-1234", "https://example.com/a?b=1", "a.b@example.org", "&amp;"):
        assert kept in out


def test_pseudo_keeps_leading_whitespace_and_skips_text_without_letters():
    assert translate("   indented") == "   [fr] îñdéñtéd"
    assert translate(" 42 ") == " 42 "
    assert translate("") == ""


def test_pseudo_is_deterministic():
    assert translate("Same input") == translate("Same input")


def test_glossary_terms_are_applied_exactly_and_case_sensitively():
    translator = TextTranslator(
        PseudoEngine(), source="en", target="fr", glossary=Glossary({"Contoso": "Contoso SA", "cloud": "nuage"})
    )
    out = translator.translate(["Contoso loves the cloud; contoso and Cloud are not terms; Contosos neither."])[0]
    assert "Contoso SA" in out
    assert "nuage" in out
    assert "çöñtöšö" in out  # lower-case 'contoso' is not the term, so it is pseudo-translated
    assert "Çļöûd" in out
    assert "Çöñtöšöš" in out  # whole words only: "Contosos" is not the term


def test_longest_glossary_term_wins():
    translator = TextTranslator(
        PseudoEngine(), source=None, target="fr", glossary=Glossary({"New": "Nouveau", "New York": "New York City"})
    )
    assert "New York City" in translator.translate(["I love New York"])[0]


def test_charged_characters_count_translatable_source_text():
    assert charged_characters(["abc", "  ", "de f"]) == 7
