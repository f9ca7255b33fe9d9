"""Minimal OpenDocument packages, built by hand as the format defines them (mimetype first and stored)."""

from __future__ import annotations

import io
import zipfile

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
BODIES = {
    "odt": (
        "<office:text>"
        '<text:h text:outline-level="1">Quarterly report</text:h>'
        '<text:p>Contoso sold <text:span text:style-name="Bold">12,500 lamps</text:span> this quarter'
        '<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        "<text:note-body><text:p>Source figures</text:p></text:note-body></text:note>.</text:p>"
        "<text:p>Review<office:annotation><dc:creator>Ada</dc:creator><text:p>Check this</text:p></office:annotation>"
        "</text:p>"
        "</office:text>"
    ),
    "ods": (
        '<office:spreadsheet><table:table table:name="Sales">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Region</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="15"><text:p>15</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet>"
    ),
    "odp": (
        '<office:presentation><draw:page draw:name="page1"><draw:frame><draw:text-box>'
        "<text:p>Welcome to Contoso</text:p></draw:text-box></draw:frame></draw:page></office:presentation>"
    ),
}
STYLES = (
    f"<office:document-styles {NAMESPACES}><office:master-styles><text:p>Internal use only</text:p>"
    "</office:master-styles></office:document-styles>"
)


def build_opendocument(kind: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), MIMETYPES[kind], compress_type=zipfile.ZIP_STORED)
        content = (
            f'<office:document-content {NAMESPACES} office:version="1.3"><office:body>{BODIES[kind]}</office:body>'
        )
        package.writestr("content.xml", content + "</office:document-content>")
        package.writestr("styles.xml", STYLES)
        package.writestr("Pictures/logo.png", b"\x89PNG not really")
        package.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    return out.getvalue()
