"""A document near the 40 MB limit streams through the emulator: its process never holds the document whole.

The emulator runs as its own process here so that its memory can be read from /proc (VmHWM, the peak). The bound is
the document's own size; reading it into memory once and writing the translation once would already need twice that.
Full figures: `python -m bench.emulator_memory`.
"""

from __future__ import annotations

import io

import docx

from bench.common import run_folder_job
from devstack.processes import emulator_process
from tests.support.office_documents import build_large_docx
from tests.support.storage import TestStorage

MB = 1024 * 1024


def test_a_40_mb_docx_is_translated_with_less_memory_than_its_size(storage: TestStorage, azurite):
    document = build_large_docx()
    assert 38 * MB < len(document) <= 40 * MB
    src, tgt = storage.new_container("big-src"), storage.new_container("big-tgt")
    storage.upload(src, "big.docx", document)

    with emulator_process(workers=1) as emulator:
        idle = emulator.peak_rss_mb()
        _, status = run_folder_job(emulator, azurite.blob_url, src, tgt, ("fr",))
        growth = emulator.peak_rss_mb() - idle

    assert status["status"] == "Succeeded", status
    translated = docx.Document(io.BytesIO(storage.download(tgt, "fr/big.docx")))
    assert translated.paragraphs[0].text.startswith("[fr] ")
    assert len(translated.inline_shapes) == 1
    print(f"\n40 MB docx: peak RSS grew {growth:.0f} MB for a {len(document) / MB:.1f} MB document")
    assert growth < len(document) / MB
