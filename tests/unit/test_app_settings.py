"""App settings: defaults, validation, and errors that name the setting."""

from __future__ import annotations

import json

import pytest

from shared.errors import SettingError
from shared.settings import Settings, StorageAccess

BASE = {
    "DocumentStorage": "UseDevelopmentStorage=true",
    "TARGET_LANGUAGES": "fr, de",
    "TRANSLATOR_ENDPOINT": "https://contoso.cognitiveservices.azure.com/",
}


def load(**overrides: str) -> Settings:
    return Settings.from_environ({**BASE, **overrides})


def test_defaults():
    settings = load()
    assert settings.target_languages == ("fr", "de")
    assert settings.translator_endpoint == "https://contoso.cognitiveservices.azure.com"
    assert (settings.source_container, settings.target_container) == ("inbox", "translated")
    assert (settings.completion_queue, settings.state_table) == ("translation-completed", "translationstate")
    assert settings.api_version == "2024-05-01"
    assert settings.storage_access is StorageAccess.SAS
    assert settings.sas_ttl_hours == 24
    assert settings.max_batch_documents == 1000
    assert settings.max_batch_bytes == 250 * 1024 * 1024


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"TARGET_LANGUAGES": ""}, "TARGET_LANGUAGES"),
        ({"TARGET_LANGUAGES": "fr,klingon!"}, "TARGET_LANGUAGES"),
        (
            {"TARGET_LANGUAGES": ",".join(["fr", "de", "es", "it", "pt", "nl", "sv", "da", "fi", "pl", "cs"])},
            "TARGET_LANGUAGES",
        ),
        ({"TRANSLATOR_ENDPOINT": ""}, "TRANSLATOR_ENDPOINT"),
        ({"TRANSLATOR_ENDPOINT": "http://contoso.cognitiveservices.azure.com"}, "TRANSLATOR_ENDPOINT"),
        ({"TRANSLATOR_ENDPOINT": "https://contoso.cognitiveservices.azure.com/translator"}, "TRANSLATOR_ENDPOINT"),
        ({"TRANSLATOR_API_VERSION": "v1.0"}, "TRANSLATOR_API_VERSION"),
        ({"TRANSLATOR_STORAGE_ACCESS": "key"}, "TRANSLATOR_STORAGE_ACCESS"),
        ({"SAS_TTL_HOURS": "500"}, "SAS_TTL_HOURS"),
        ({"SAS_TTL_HOURS": "soon"}, "SAS_TTL_HOURS"),
        ({"MAX_BATCH_DOCUMENTS": "1001"}, "MAX_BATCH_DOCUMENTS"),
        ({"SOURCE_CONTAINER": "Inbox_1"}, "SOURCE_CONTAINER"),
        ({"SOURCE_LANGUAGE": "english"}, "SOURCE_LANGUAGE"),
        ({"DocumentStorage": "not a connection string"}, "DocumentStorage"),
        ({"SOURCE_CONTAINER": "docs", "TARGET_CONTAINER": "docs"}, "TARGET_CONTAINER"),
        ({"TARGET_CONTAINER": "inbox"}, "TARGET_CONTAINER"),
        ({"GLOSSARY_CONTAINER": "inbox"}, "GLOSSARY_CONTAINER"),
        ({"GLOSSARY_CONTAINER": "translated"}, "GLOSSARY_CONTAINER"),
        (
            {
                "DocumentStorage": "BlobEndpoint=https://acct.blob.core.windows.net/;AccountName=acct;"
                "SharedAccessSignature=sv=2022-11-02&ss=b&sig=SECRETSIG"
            },
            "DocumentStorage",
        ),
        ({"DocumentStorage": "AccountName=acct;sharedaccesssignature=sv=1&sig=SECRETSIG"}, "DocumentStorage"),
    ],
)
def test_invalid_settings_name_the_setting(overrides, setting):
    with pytest.raises(SettingError) as caught:
        load(**overrides)
    assert caught.value.name == setting
    assert setting in str(caught.value)


@pytest.mark.parametrize("routes", ["{not json", '["fr"]', '{"legal/": 7}', '{"legal/": "fr,??"}'])
def test_malformed_language_routes_fail_the_documents_they_route_not_the_app(routes):
    settings = load(LANGUAGE_ROUTES=routes)
    with pytest.raises(SettingError) as caught:
        settings.languages_for("legal/a.txt")
    assert caught.value.name == "LANGUAGE_ROUTES"


def test_local_emulator_may_use_plain_http():
    assert load(TRANSLATOR_ENDPOINT="http://127.0.0.1:5080").translator_endpoint == "http://127.0.0.1:5080"


def test_identity_form_needs_blob_and_table_uris():
    identity = {key: value for key, value in BASE.items() if key != "DocumentStorage"}
    identity["DocumentStorage__blobServiceUri"] = "https://acct.blob.core.windows.net"
    with pytest.raises(SettingError, match="DocumentStorage__tableServiceUri"):
        Settings.from_environ(identity)
    identity["DocumentStorage__tableServiceUri"] = "https://acct.table.core.windows.net"
    identity["DocumentStorage__clientId"] = "00000000-0000-0000-0000-000000000001"
    storage = Settings.from_environ(identity).storage
    assert storage.connection_string is None
    assert storage.client_id == "00000000-0000-0000-0000-000000000001"


def test_no_storage_setting_at_all_says_what_to_set():
    without = {key: value for key, value in BASE.items() if key != "DocumentStorage"}
    with pytest.raises(SettingError, match="blobServiceUri"):
        Settings.from_environ(without)


def test_language_routes_longest_prefix_wins_else_defaults():
    settings = load(LANGUAGE_ROUTES='{"legal/": "es", "legal/eu/": ["it", "pt"], "": "ja"}')
    assert settings.languages_for("legal/eu/x.txt") == ("it", "pt")
    assert settings.languages_for("legal/x.txt") == ("es",)
    assert settings.languages_for("other.txt") == ("ja",)
    assert load().languages_for("other.txt") == ("fr", "de")


def test_settings_are_hashable_so_services_can_be_cached_per_configuration():
    assert hash(load()) == hash(load())
    assert load() != load(TARGET_LANGUAGES="es")


def test_one_container_in_two_roles_is_refused_before_it_can_loop():
    with pytest.raises(SettingError) as caught:
        load(TARGET_CONTAINER="inbox")
    assert "'inbox' is also SOURCE_CONTAINER" in str(caught.value)


def test_a_sas_connection_string_is_refused_without_repeating_the_sas():
    with pytest.raises(SettingError) as caught:
        load(DocumentStorage="AccountName=acct;SharedAccessSignature=sv=2022-11-02&sig=SECRETSIG")
    assert "SAS connection string" in str(caught.value)
    assert "SECRETSIG" not in str(caught.value)


@pytest.mark.parametrize("prefix", ["/", "/legal/"])
def test_route_prefixes_no_blob_name_can_match_are_a_language_routes_error(prefix):
    settings = load(LANGUAGE_ROUTES=json.dumps({prefix: "es"}))
    with pytest.raises(SettingError) as caught:
        settings.languages_for("legal/nda.txt")
    assert caught.value.name == "LANGUAGE_ROUTES"
    assert "never start with '/'" in str(caught.value)


def test_source_language_is_spelled_canonically():
    assert load(SOURCE_LANGUAGE="ZH-HANS").source_language == "zh-Hans"


@pytest.mark.parametrize(
    ("raw", "cap"), [("", None), ("2000000", 2_000_000), ("2_000_000", 2_000_000), ("1,000", 1000)]
)
def test_the_daily_character_cap_is_an_optional_whole_number(raw, cap):
    assert load(MAX_CHARACTERS_PER_DAY=raw).max_characters_per_day == cap


@pytest.mark.parametrize("raw", ["0", "-5", "1e6", "2.5", "lots", "²"])
def test_a_malformed_daily_character_cap_names_the_setting(raw):
    with pytest.raises(SettingError) as raised:
        load(MAX_CHARACTERS_PER_DAY=raw)
    assert "MAX_CHARACTERS_PER_DAY" in str(raised.value)
