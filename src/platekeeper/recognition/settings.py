"""Settings of the recognition engine (a section of the platekeeper config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RecognitionSettings(BaseModel):
    """How plates are found and read. One instance serves every camera; a
    camera may narrow the set of countries for its own reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: tuple[str, ...] = Field(
        default=(),
        title="Countries",
        description="ISO codes of the plate syntaxes to consider (e.g. UZ, RU, KZ, SK). "
        "Empty means every syntax that ships with platekeeper.",
    )
    top_n: int = Field(
        default=5, ge=1, le=50, title="Candidates", description="Alternatives kept per plate."
    )
    min_confidence: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        title="Minimum confidence",
        description="Reads whose mean per-character certainty is below this are dropped.",
    )
    max_pixels: int = Field(
        default=64_000_000,
        ge=1,
        title="Pixel cap",
        description="Images with more pixels are refused before decoding "
        "(decompression-bomb guard). 64 MP admits 8K frames.",
    )
    threads: int = Field(
        default=0,
        ge=0,
        le=64,
        title="Threads",
        description="ONNX Runtime intra-op threads per model; 0 lets the runtime decide.",
    )
    coarse_side: int = Field(
        default=640,
        ge=0,
        le=4096,
        title="Coarse detection size",
        description="Longest side of the reduced copy the text detector looks at first; "
        "the full detection size is used too unless every plate it reads is a confident one. "
        "Frames over 2.5 times this size go straight to the full size. "
        "0 always uses the full size.",
    )
    coarse_accept: float = Field(
        default=0.85,
        ge=0.0,
        le=1.0,
        title="Coarse acceptance",
        description="Confidence every plate read on the coarse pass needs (with a matching "
        "country format) for the full-size pass to be skipped.",
    )
    ocr: Literal["ppocr-v6", "ppocr-v4", "plate"] = Field(
        default="ppocr-v6",
        title="OCR model",
        description="'ppocr-v6': the PP-OCRv6 small recogniser (the most accurate on plates); "
        "'ppocr-v4': the PP-OCRv4 mobile recogniser; "
        "'plate': PP-OCRv4 recognition fine-tuned here on plates (needs its trained weights).",
    )
    detector: Literal["fast", "ppocr"] = Field(
        default="ppocr",
        title="Plate detector",
        description="'ppocr': the PP-OCRv4 text detector over the frame, coarse to fine "
        "(the most accurate); 'fast': platekeeper's own plate detector finds the plates and "
        "the text detector looks only around them (about a third faster, a few points "
        "less accurate on photographs), the whole frame only where that reads no plate.",
    )
