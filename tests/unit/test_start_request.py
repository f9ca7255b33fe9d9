from __future__ import annotations

import copy

import pytest

from devstack.emulator.errors import ApiError
from devstack.emulator.start_request import StorageType, parse_start_request

SRC = "http://127.0.0.1:10000/devstoreaccount1/src?sv=1&sig=abc"
TGT = "http://127.0.0.1:10000/devstoreaccount1/tgt?sv=1&sig=def"
VALID = {"inputs": [{"source": {"sourceUrl": SRC}, "targets": [{"targetUrl": TGT, "language": "fr"}]}]}


def with_changes(change) -> dict:
    body = copy.deepcopy(VALID)
    change(body)
    return body


def test_a_minimal_request_parses_with_folder_default():
    (spec,) = parse_start_request(VALID)
    assert spec.storage_type is StorageType.FOLDER
    assert spec.source.container == "src"
    assert spec.targets[0].language == "fr"


def ten_targets(body):
    body["inputs"][0]["targets"] = [{"targetUrl": f"{TGT}{i}", "language": "fr"} for i in range(11)]


@pytest.mark.parametrize(
    ("body", "inner_code"),
    [
        ([], "InvalidRequestBody"),
        ({}, "MissingInputs"),
        ({"inputs": []}, "MissingInputs"),
        (with_changes(lambda b: b["inputs"][0].pop("source")), "MissingSourceUrl"),
        (with_changes(lambda b: b["inputs"][0].pop("targets")), "MissingTargets"),
        (with_changes(lambda b: b["inputs"][0].update(targets=[])), "MissingTargets"),
        (with_changes(lambda b: b["inputs"][0]["targets"][0].pop("targetUrl")), "MissingTargetUrl"),
        (with_changes(lambda b: b["inputs"][0]["targets"][0].pop("language")), "MissingTargetLanguage"),
        (with_changes(lambda b: b["inputs"][0]["targets"][0].update(language="xx-nope")), "InvalidTargetLanguage"),
        (with_changes(lambda b: b["inputs"][0]["source"].update(language="klingon")), "InvalidSourceLanguage"),
        (with_changes(lambda b: b["inputs"][0].update(storageType="Blob")), "InvalidStorageType"),
        (with_changes(lambda b: b["inputs"][0].update(storageType="File")), "InvalidSourceUrl"),
        (with_changes(lambda b: b["inputs"][0]["source"].update(sourceUrl="ftp://x/y")), "InvalidSourceUrl"),
        (with_changes(ten_targets), "TooManyTargets"),
        (
            with_changes(lambda b: b["inputs"][0]["targets"][0].update(glossaries=[{"glossaryUrl": SRC}])),
            "InvalidGlossary",
        ),
        (
            with_changes(
                lambda b: b["inputs"][0]["targets"][0].update(glossaries=[{"glossaryUrl": SRC, "format": "PDF"}])
            ),
            "InvalidGlossaryFormat",
        ),
    ],
)
def test_invalid_requests_are_400_with_a_specific_inner_code(body, inner_code: str):
    with pytest.raises(ApiError) as error:
        parse_start_request(body)
    assert error.value.status_code == 400
    assert error.value.detail.code in ("InvalidRequest", "InvalidArgument")
    assert error.value.detail.inner_code == inner_code


def test_duplicate_target_is_detected_even_with_different_sas():
    body = with_changes(
        lambda b: b["inputs"][0]["targets"].append({"targetUrl": TGT.replace("sig=def", "sig=zzz"), "language": "de"})
    )
    with pytest.raises(ApiError) as error:
        parse_start_request(body)
    assert error.value.detail.inner_code == "DuplicateTargetUrl"


def test_two_inputs_may_share_a_target_url():
    """Recorded (test_multiple_sources_single_target.json): the service accepts two inputs writing to one container."""
    specs = parse_start_request(with_changes(lambda b: b["inputs"].append(copy.deepcopy(b["inputs"][0]))))
    assert len(specs) == 2


def test_a_url_naming_no_container_is_accepted_at_post():
    """Recorded (test_bad_input_source.json): `https://idont.ex.ist` is 202; the job then fails validation."""
    (spec,) = parse_start_request(
        with_changes(lambda b: b["inputs"][0]["source"].update(sourceUrl="https://idont.ex.ist"))
    )
    assert spec.source.container == ""
