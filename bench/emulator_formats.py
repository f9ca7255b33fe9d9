"""Emulator documents/s per format: N small documents of each format in one Folder job, 4 workers, pseudo engine.

Run: `.venv/bin/python -m bench.emulator_formats [N]`. Ratios are against plain text (the baseline). Asserts nothing.
Office documents are built with python-docx / python-pptx / openpyxl, PDFs with reportlab (dev dependencies).
"""

from __future__ import annotations

import platform
from collections.abc import Callable

from azure.storage.blob import BlobServiceClient

from bench.common import documents_argument, run_folder_job
from devstack.azurite import running_azurite
from devstack.processes import emulator_process
from tests.support.office_documents import build_docx, build_pptx, build_xlsx
from tests.support.opendocument_files import build_opendocument
from tests.support.pdf_files import build_pdf

TEXT = "Quarterly revenue grew by 12 percent.\nCosts fell in every region.\n"
SAMPLES: dict[str, Callable[[int], bytes]] = {
    "txt": lambda i: f"Document {i}. {TEXT}".encode(),
    "md": lambda i: f"# Report {i}\n\n{TEXT}\n- first point\n- second point\n".encode(),
    "html": lambda i: f"<html><body><h1>Report {i}</h1><p>{TEXT}</p></body></html>".encode(),
    "csv": lambda i: f"name,value\nReport {i},revenue grew\nCosts,fell\n".encode(),
    "docx": lambda i: build_docx(),
    "pptx": lambda i: build_pptx(),
    "xlsx": lambda i: build_xlsx(),
    "odt": lambda i: build_opendocument("odt"),
    "rtf": lambda i: rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Quarterly {\b revenue} grew.\par Costs fell.\par}",
    "pdf": lambda i: build_pdf(),
}


def main(documents: int = 50) -> None:
    results: dict[str, float] = {}
    with running_azurite() as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        with emulator_process(workers=4) as emulator:
            service.create_container("warm-up")
            service.create_container("warm-up-out")
            for i in range(5):
                service.get_blob_client("warm-up", f"w{i}.docx").upload_blob(build_docx())
            run_folder_job(emulator, azurite.blob_url, "warm-up", "warm-up-out")  # imports and first connections
            for extension, build in SAMPLES.items():
                source, target = f"src-{extension}", f"out-{extension}"
                service.create_container(source)
                service.create_container(target)
                for i in range(documents):
                    service.get_blob_client(source, f"doc-{i:04}.{extension}").upload_blob(build(i))
                seconds, status = run_folder_job(emulator, azurite.blob_url, source, target)
                assert status["summary"]["success"] == documents, status
                results[extension] = documents / seconds
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, Azurite in-memory, 4 workers, pseudo")
    print(f"| format | documents/s ({documents} per job) | vs txt |")
    print("|---|---|---|")
    for extension, rate in results.items():
        print(f"| {extension} | {rate:.0f} | {rate / results['txt']:.2f} |")


if __name__ == "__main__":
    main(documents_argument("bench.emulator_formats", __doc__, 50))
