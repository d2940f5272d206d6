"""The plug-in point for an operator's own windscreen classifier (seatbelt
not worn, phone in hand).

No such model ships with platekeeper: the operator supplies an ONNX file,
pinned by its SHA-256, and says how to feed it. The rule cuts the windscreen
out of the read's frame — a box given relative to the vehicle's box or to
the plate's (the windscreen sits above the plate) — resizes it to the
model's input, normalises it, and runs it with ONNX Runtime on the CPU. An
output class whose score reaches the threshold is a finding for review: a
classifier never confirms an offence by itself.

The model is loaded, checked and warmed up once when the rule is built; a
wrong hash, a missing file or an input shape that does not fit is an error
then, not at the first read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from platekeeper.rules.context import RuleContext
from platekeeper.rules.model import Box, EvidenceRef, Finding, ReadEvent, Source
from platekeeper.rules.plugin import Rule, RuleConfig

logger = logging.getLogger(__name__)


class WindscreenConfig(RuleConfig):
    type: Literal["windscreen_classifier"] = "windscreen_classifier"
    model: Path = Field(title="Model", description="Path of the operator's ONNX file.")
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", title="SHA-256", description="Hex digest the file must have."
    )
    labels: dict[str, int] = Field(
        min_length=1,
        title="Labels",
        description="Offence name (seatbelt, phone ...) to the index of its output score.",
    )
    threshold: float = Field(
        default=0.8, gt=0, le=1, title="Threshold", description="Score that raises a finding."
    )
    activation: Literal["softmax", "sigmoid", "none"] = Field(
        default="softmax", title="Activation", description="Applied to the model's raw output."
    )
    input_size: tuple[int, int] = Field(
        default=(64, 64), title="Input size", description="Width and height the model takes."
    )
    channels: Literal["rgb", "bgr"] = Field(default="rgb", title="Channel order")
    mean: tuple[float, float, float] = Field(default=(0.0, 0.0, 0.0), title="Mean (0-1 scale)")
    std: tuple[float, float, float] = Field(default=(1.0, 1.0, 1.0), title="Std (0-1 scale)")
    anchor: Literal["vehicle", "plate"] = Field(
        default="plate", title="Anchor", description="Which box the windscreen box is relative to."
    )
    region: tuple[float, float, float, float] = Field(
        default=(-1.5, -7.0, 2.5, -2.5),
        title="Windscreen region",
        description="x0, y0, x1, y1 in anchor widths and heights from its top-left corner.",
    )

    @field_validator("input_size")
    @classmethod
    def _size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(8 <= v <= 1024 for v in value):
            raise ValueError("input sides are 8-1024 pixels")
        return value


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def crop_region(
    image: npt.NDArray[np.uint8], anchor: Box, region: tuple[float, float, float, float]
) -> npt.NDArray[np.uint8] | None:
    """The part of ``image`` at ``region`` (anchor units), clipped to the
    image; None when nothing of it is inside."""
    x0 = int(round(anchor.x + region[0] * anchor.w))
    y0 = int(round(anchor.y + region[1] * anchor.h))
    x1 = int(round(anchor.x + region[2] * anchor.w))
    y1 = int(round(anchor.y + region[3] * anchor.h))
    h, w = image.shape[:2]
    x0, x1 = max(0, min(x0, w)), max(0, min(x1, w))
    y0, y1 = max(0, min(y0, h)), max(0, min(y1, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return image[y0:y1, x0:x1]


class WindscreenClassifierRule(Rule[WindscreenConfig]):
    type = "windscreen_classifier"
    config_model = WindscreenConfig
    offences = ("seatbelt", "phone")

    def __init__(self, name: str, config: WindscreenConfig, context: RuleContext) -> None:
        super().__init__(name, config, context)
        import onnxruntime as ort

        path = config.model
        if not path.is_file():
            raise ValueError(f"{name}: no model file at {path}")
        if _file_sha256(path) != config.sha256:
            raise ValueError(f"{name}: the model file does not have the configured SHA-256")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session: Any = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"{name}: the model must take exactly one input")
        self._input = inputs[0].name
        shape = inputs[0].shape
        w, h = config.input_size
        if len(shape) != 4 or any(
            isinstance(dim, int) and dim != want
            for dim, want in zip(shape[1:], (3, h, w), strict=True)
        ):
            raise ValueError(f"{name}: the model input {shape} does not take 3x{h}x{w} images")
        self._mean = np.array(config.mean, dtype=np.float32).reshape(1, 3, 1, 1)
        self._std = np.array(config.std, dtype=np.float32).reshape(1, 3, 1, 1)
        scores = self.scores(np.zeros((h, w, 3), dtype=np.uint8))  # warm-up and output check
        top = max(config.labels.values())
        if top >= len(scores):
            raise ValueError(f"{name}: label index {top} but the model gives {len(scores)} scores")
        self._counts = {"classified": 0, "no_image": 0, "flagged": 0}

    def scores(self, windscreen: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """The model's class scores for one windscreen image (BGR)."""
        w, h = self.config.input_size
        resized = cv2.resize(windscreen, (w, h), interpolation=cv2.INTER_AREA)
        if self.config.channels == "rgb":
            resized = resized[:, :, ::-1]
        tensor = resized.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        tensor = (tensor - self._mean) / self._std
        (raw,) = self._session.run(None, {self._input: np.ascontiguousarray(tensor)})[:1]
        logits = np.asarray(raw, dtype=np.float64).reshape(-1)
        if self.config.activation == "softmax":
            e = np.exp(logits - logits.max())
            logits = e / e.sum()
        elif self.config.activation == "sigmoid":
            logits = 1.0 / (1.0 + np.exp(-logits))
        return logits.astype(np.float32)

    def evaluate(self, read: ReadEvent) -> Sequence[Finding]:
        anchor = read.vehicle_box if self.config.anchor == "vehicle" else read.plate_box
        frame_ref = self._frame(read)
        image = self.context.images.load(frame_ref) if frame_ref and anchor else None
        windscreen = (
            crop_region(image, anchor, self.config.region) if image is not None and anchor else None
        )
        if windscreen is None:
            self._counts["no_image"] += 1
            return ()
        self._counts["classified"] += 1
        scores = self.scores(windscreen)
        out = []
        for offence, index in sorted(self.config.labels.items()):
            score = float(scores[index])
            if score >= self.config.threshold:
                self._counts["flagged"] += 1
                out.append(
                    self.finding(
                        read,
                        offence,
                        source=Source.CLASSIFIER,
                        evidence=[frame_ref.as_role("windscreen")] if frame_ref else None,
                        details={"score": round(score, 4), "threshold": self.config.threshold},
                    )
                )
        return out

    def stats(self) -> dict[str, int]:
        return dict(self._counts)

    @staticmethod
    def _frame(read: ReadEvent) -> EvidenceRef | None:
        """The frame the boxes are in: the read's own (no role; a stop-line
        track's frames are "track"), else one marked "at"."""
        frames = read.evidence_of("frame")
        for role in ("", "at"):
            for frame in frames:
                if frame.role == role:
                    return frame
        return None
