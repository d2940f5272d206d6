"""A one-page PDF summary: lines of text and JPEG images, nothing else.

Written by hand (PDF 1.4, Helvetica, DCT-encoded images) so that the
evidence package needs no PDF library; any reader opens it. Text outside
Latin-1 is replaced, since the standard fonts cannot show it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 50


@dataclass(frozen=True)
class PdfImage:
    jpeg: bytes
    caption: str


def _text(value: str) -> str:
    safe = value.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def summary_pdf(title: str, lines: Sequence[str], images: Sequence[PdfImage]) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    content = [f"BT /F2 16 Tf {MARGIN} {PAGE_H - MARGIN} Td ({_text(title)}) Tj ET"]
    y: float = PAGE_H - MARGIN - 28
    for line in lines:
        content.append(f"BT /F1 10 Tf {MARGIN} {y} Td ({_text(line)}) Tj ET")
        y -= 14
    xobjects = []
    y -= 10
    for n, image in enumerate(images, start=1):
        with Image.open(io.BytesIO(image.jpeg)) as im:
            width, height = im.size
            mode = im.mode
        colour = "/DeviceGray" if mode == "L" else "/DeviceRGB"
        ref = add(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace {colour} /BitsPerComponent 8 /Filter /DCTDecode "
            f"/Length {len(image.jpeg)} >>\nstream\n".encode()
            + image.jpeg
            + b"\nendstream"
        )
        xobjects.append(f"/Im{n} {ref} 0 R")
        scale = min((PAGE_W - 2 * MARGIN) / width, 220 / height, 3.0)
        w, h = width * scale, height * scale
        if y - h - 20 < MARGIN:
            break  # one page: what does not fit is in the package's files anyway
        y -= h
        content.append(f"q {w:.1f} 0 0 {h:.1f} {MARGIN} {y:.1f} cm /Im{n} Do Q")
        y -= 12
        content.append(f"BT /F1 8 Tf {MARGIN} {y:.1f} Td ({_text(image.caption)}) Tj ET")
        y -= 16
    stream = "\n".join(content).encode("latin-1")
    contents = add(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    pages_ref = len(objects) + 2  # the page object comes next, then the pages tree
    page = add(
        f"<< /Type /Page /Parent {pages_ref} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
        f"/Resources << /Font << /F1 {font} 0 R /F2 {bold} 0 R >> "
        f"/XObject << {' '.join(xobjects)} >> >> /Contents {contents} 0 R >>".encode()
    )
    pages = add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode())
    catalog = add(f"<< /Type /Catalog /Pages {pages} 0 R >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\n"
    out.write(f"{trailer}startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
