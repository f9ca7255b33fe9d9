"""A local server speaking Azure AI Translator's Document Translation batch API over real blob storage."""

from devstack.emulator.app import create_app
from devstack.emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig", "create_app"]
