"""`make up`'s local.settings.json: written once from the sample; an existing file only gains new settings, named."""

from __future__ import annotations

import json

from devstack.stack import Ports, settings_for


def test_a_missing_file_is_written_from_the_sample_and_pointed_at_the_ports(tmp_path, capsys):
    path = tmp_path / "local.settings.json"
    values = settings_for(Ports(emulator=6080), path)
    assert values["TRANSLATOR_ENDPOINT"] == "http://127.0.0.1:6080"
    assert json.loads(path.read_text())["Values"] == values
    assert capsys.readouterr().out == ""


def test_an_existing_file_keeps_its_values_and_each_added_setting_is_named(tmp_path, capsys):
    path = tmp_path / "local.settings.json"
    settings_for(Ports(), path)
    document = json.loads(path.read_text())
    document["Values"]["TARGET_LANGUAGES"] = "es"
    del document["Values"]["POLL_SCHEDULE"], document["Values"]["STATE_TABLE"]
    path.write_text(json.dumps(document))

    values = settings_for(Ports(emulator=7777), path)

    assert values["TARGET_LANGUAGES"] == "es"
    assert values["TRANSLATOR_ENDPOINT"] == "http://127.0.0.1:5080"  # kept: the file is the user's
    assert "POLL_SCHEDULE" in values
    assert "STATE_TABLE" in values
    assert capsys.readouterr().out == (
        "local.settings.json: added POLL_SCHEDULE, STATE_TABLE from local.settings.sample.json (new settings).\n"
    )
    settings_for(Ports(), path)
    assert capsys.readouterr().out == ""  # nothing new: silent
