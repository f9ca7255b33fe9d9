"""`make demo` (offline): Azurite + the emulator as real processes, a folder of documents translated into French and
German with a glossary, driven by the official `azure-ai-translation-document` client, then a table of the results."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time

import requests
from azure.ai.translation.document import DocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationGlossary, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.storage.blob import BlobServiceClient

from devstack.azurite import REPO_ROOT, container_sas_url, free_port, running_azurite, wait_for_port

DEMO_KEY = "demo-key"
LANGUAGES = ("fr", "de")


def sample_documents() -> dict[str, bytes]:
    prices = io.StringIO()
    csv.writer(prices).writerows([["Product", "Price (EUR)", "Notes"], ["Contoso Lamp", "49.90", "Warm white light"]])
    return {
        "welcome.txt": b"Welcome to Contoso!\nYour order ships within 2 days.\n",
        "guide/setup.md": (
            b"# Setting up Contoso Hub\n\n1. Plug in the hub.\n2. Open https://contoso.example/setup\n\n"
            b"Run `hub --pair` to pair a device.\n"
        ),
        "site/index.html": b"<html><body><h1>Contoso</h1><p>Smart lighting for <b>every</b> room.</p></body></html>",
        "prices.csv": prices.getvalue().encode(),
        "empty.txt": b"",
        "scan.pdf": b"%PDF-1.7 (not handled by the emulator yet: skipped in a folder)",
    }


def plain(status: object) -> str:
    """The client returns statuses as str enums; print their value."""
    return str(getattr(status, "value", status))


def main() -> int:
    print("Starting Azurite and the Document Translation emulator (no cloud, no keys)...")
    with running_azurite() as azurite:
        port = free_port()
        log_path = REPO_ROOT / ".devstack" / "demo-emulator.log"
        log_path.parent.mkdir(exist_ok=True)
        log = log_path.open("wb")
        emulator = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, "-m", "devstack.emulator", "--port", str(port), "--key", DEMO_KEY],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port("127.0.0.1", port)
            return run_demo(azurite.connection_string, azurite.blob_url, f"http://127.0.0.1:{port}")
        finally:
            emulator.terminate()
            emulator.wait(timeout=15)
            log.close()
            print(f"Emulator log: {log_path.relative_to(REPO_ROOT)}")


def run_demo(connection_string: str, blob_url: str, endpoint: str) -> int:
    blobs = BlobServiceClient.from_connection_string(connection_string)
    for name in ("source", "target", "glossaries"):
        blobs.create_container(name)
    for name, data in sample_documents().items():
        blobs.get_blob_client("source", name).upload_blob(data)
    blobs.get_blob_client("glossaries", "terms.tsv").upload_blob(b"Contoso\tContoso\nsmart lighting\tSMART-LIGHTING\n")
    glossary_url = container_sas_url(blob_url, "glossaries", "r", name="terms.tsv")
    print(f"Uploaded {len(sample_documents())} documents to 'source'; translating into {', '.join(LANGUAGES)}.\n")

    client = DocumentTranslationClient(endpoint, AzureKeyCredential(DEMO_KEY), polling_interval=0.2)
    source_url = container_sas_url(blob_url, "source", "rl")
    targets = [
        TranslationTarget(
            container_sas_url(blob_url, "target", "rwl", name=language),
            language,
            glossaries=[TranslationGlossary(glossary_url=glossary_url, file_format="TSV")],
        )
        for language in LANGUAGES
    ]
    started = time.monotonic()
    poller = client.begin_translation([DocumentTranslationInput(source_url, targets)])
    while not poller.done():
        progress = client.get_translation_status(poller.id)
        done = f"{progress.documents_succeeded_count}/{progress.documents_total_count}"
        print(f"\r  job {poller.id}: {plain(progress.status):<10} {done} done", end="")
        time.sleep(0.2)
    documents = sorted(poller.result(), key=lambda d: (d.source_document_url, d.translated_to))
    details = poller.details
    print(f"\r  job {poller.id}: {plain(details.status)} in {time.monotonic() - started:.1f} s{' ' * 10}\n")

    print(f"{'document':<22} {'to':<3} {'status':<10} {'chars':>5}  error")
    for document in documents:
        name = document.source_document_url.split("/source/", 1)[1]
        error = document.error.code if document.error else ""
        charged = document.characters_charged or 0
        print(f"{name:<22} {document.translated_to:<3} {plain(document.status):<10} {charged:>5}  {error}")
    print(
        f"\n{details.documents_total_count} translations: {details.documents_succeeded_count} succeeded, "
        f"{details.documents_failed_count} failed; {details.total_characters_charged} characters charged. "
        "scan.pdf was skipped (unsupported in a folder), as the service does."
    )
    print(
        "\ntarget/fr/guide/setup.md:\n"
        + blobs.get_blob_client("target", "fr/guide/setup.md").download_blob().readall().decode()
    )
    stats = requests.get(f"{endpoint}/emulator/stats", timeout=10).json()
    calls = sum(sum(codes.values()) for codes in stats["requests"].values())
    print(f"Translator API calls made by the client: {calls} ({', '.join(sorted(stats['requests']))}).")
    return 0 if details.documents_succeeded_count == 2 * 4 else 1


if __name__ == "__main__":
    sys.exit(main())
