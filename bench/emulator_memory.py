"""Peak memory of the emulator translating one 40 MB document into two languages (documents stream through
spooled temporary files). Baseline: the same process idle, before the job.

Run: `.venv/bin/python -m bench.emulator_memory`. The emulator runs as its own process; its VmHWM is read from /proc.
"""

from __future__ import annotations

import io
import os
import platform
import struct
import zlib

import docx
from azure.storage.blob import BlobServiceClient

from bench.common import emulator_process, run_folder_job
from devstack.azurite import running_azurite

MB = 1024 * 1024
LIMIT = 40 * MB


def noise_png(width: int, height: int) -> bytes:
    """A valid PNG of random pixels: incompressible, so the document really weighs its size."""
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def big_docx() -> bytes:
    """Just under 40 MB: 2,000 paragraphs of text and one large photo-like image."""
    document = docx.Document()
    for index in range(2000):
        document.add_paragraph(f"Paragraph {index}: the quarterly report explains revenue, costs and outlook.")
    document.add_picture(io.BytesIO(noise_png(3700, 3700)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def big_txt() -> bytes:
    line = b"The quarterly report explains revenue, costs and the outlook for next year.\n"
    return line * ((LIMIT - MB) // len(line))


def measure(service: BlobServiceClient, blob_url: str, name: str, data: bytes) -> tuple[float, float, float]:
    source, target = f"src-{name.split('.')[1]}", f"out-{name.split('.')[1]}"
    service.create_container(source)
    service.create_container(target)
    service.get_blob_client(source, name).upload_blob(data)
    with emulator_process(workers=1) as emulator:
        idle = emulator.peak_rss_mb()
        seconds, status = run_folder_job(emulator, blob_url, source, target, ("fr", "de"))
        peak = emulator.peak_rss_mb()
    assert status["summary"]["success"] == 2, status
    return idle, peak, seconds


def main() -> None:
    documents = {"big.docx": big_docx(), "big.txt": big_txt()}
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, Azurite in-memory, 1 worker, pseudo")
    print(
        "| document | MB | idle RSS MB (baseline) | peak RSS MB | growth MB | growth / size | seconds (2 languages) |"
    )
    print("|---|---|---|---|---|---|---|")
    with running_azurite() as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for name, data in documents.items():
            size = len(data) / MB
            idle, peak, seconds = measure(service, azurite.blob_url, name, data)
            growth = peak - idle
            row = [name, f"{size:.1f}", f"{idle:.0f}", f"{peak:.0f}", f"{growth:.0f}", f"{growth / size:.2f}"]
            print(f"| {' | '.join(row)} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
