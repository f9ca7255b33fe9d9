from __future__ import annotations

import pytest

from devstack.emulator.config import parse_config


def test_flags_override_environment_which_overrides_defaults():
    config = parse_config(["--port", "7000"], {"EMULATOR_KEY": "k", "EMULATOR_PORT": "6000", "EMULATOR_WORKERS": "2"})
    assert (config.key, config.port, config.workers, config.engine) == ("k", 7000, 2, "pseudo")


def test_allow_bearer_from_flag_or_environment():
    assert parse_config(["--key", "k", "--allow-bearer"], {}).allow_bearer
    assert parse_config(["--key", "k"], {"EMULATOR_ALLOW_BEARER": "true"}).allow_bearer
    assert not parse_config(["--key", "k"], {}).allow_bearer


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        ([], {}),
        (["--key", "k", "--throttle-rate", "1.5"], {}),
        (["--key", "k", "--workers", "0"], {}),
        (["--key", "k"], {"EMULATOR_PORT": "eighty"}),
        (["--key", "k", "--engine", "foo"], {}),
        (["--key", "k"], {"EMULATOR_ENGINE": "deepl"}),
    ],
)
def test_invalid_settings_exit_with_a_usage_error(argv, environ, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(argv, environ)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err
