"""The request a batch becomes: one File input per document, one target per language, glossaries attached."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shared.logfields import log_fields
from shared.records import BatchMember, SourceVersion
from shared.services import Services
from shared.storage import BlobPath
from shared.translator import DocumentInput, Glossary, Target

logger = logging.getLogger(__name__)

GLOSSARY_EXTENSIONS = ("tsv", "csv")  # in order of preference
GLOSSARY_PAGE = 50


@dataclass
class BatchRequest:
    """The inputs of one batch request: one File input per document, one target per language, glossaries attached."""

    services: Services
    _glossaries: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # stem -> (blob name, ETag)

    def build(self, members: list[BatchMember]) -> list[DocumentInput]:
        return [self._input(member) for member in members]

    def _input(self, member: BatchMember) -> DocumentInput:
        settings, urls = self.services.settings, self.services.urls
        targets = tuple(
            Target(
                urls.target_url(BlobPath(settings.target_container, f"{language}/{member.name}")),
                language,
                self._glossary_for(member.source_language, language),
            )
            for language in member.wanted_languages
        )
        source_url = urls.source_url(BlobPath(member.container, member.name))
        return DocumentInput(source_url, targets, member.source_language)

    def glossary_versions(self, member: SourceVersion) -> list[str]:
        """The exact glossary each target language would get (`language=name@etag`), for telling translations apart."""
        versions = []
        for language in member.wanted_languages:
            found = self._glossary_blob(member.source_language, language)
            versions.append(f"{language}={found[0]}@{found[1]}" if found else f"{language}=")
        return versions

    def _glossary_for(self, source_language: str | None, language: str) -> Glossary | None:
        found = self._glossary_blob(source_language, language)
        if found is None:
            return None
        container, name = self.services.settings.glossary_container or "", found[0]
        return Glossary(self.services.urls.glossary_url(BlobPath(container, name)), name.rsplit(".", 1)[1].upper())

    def _glossary_blob(self, source_language: str | None, language: str) -> tuple[str, str] | None:
        """`{source}-{target}.tsv|csv`, else `{target}.tsv|csv`, at the root of GLOSSARY_CONTAINER: (name, ETag)."""
        container = self.services.settings.glossary_container
        if container is None:
            return None
        stems = ([f"{source_language}-{language}"] if source_language else []) + [language]
        for stem in stems:
            found = self._glossary_named(container, stem)
            if found is not None:
                return found
        return None

    def _glossary_named(self, container: str, stem: str) -> tuple[str, str] | None:
        """The glossary `{stem}.tsv` (preferred) or `{stem}.csv`, the codes spelled as the Translator spells them or in
        lower case, the extension in any case. Lists only names that start with the stem: one small listing per
        spelling and batch, however many other blobs the container holds."""
        if stem in self._glossaries:
            return self._glossaries[stem]
        wanted = {f"{stem}.{extension}".lower(): extension for extension in GLOSSARY_EXTENSIONS}
        found: dict[str, tuple[str, str]] = {}
        for spelling in dict.fromkeys((stem, stem.lower())):
            names = self.services.blobs.names_starting_with(container, f"{spelling}.", page=GLOSSARY_PAGE)
            if names is None:
                logger.warning(
                    "glossary container '%s' does not exist; no glossaries are attached",
                    container,
                    extra=log_fields("glossary.container_missing"),
                )
                break
            for name, etag in names.items():
                extension = wanted.get(name.lower())
                if extension is not None:
                    found.setdefault(extension, (name, etag))
        chosen = next((found[extension] for extension in GLOSSARY_EXTENSIONS if extension in found), None)
        self._glossaries[stem] = chosen
        return chosen
