"""Evidence images for the rules from the store: the read's frames,
decrypted and decoded when a rule asks (the windscreen classifier).

A reference is the store's blob id, as :func:`platekeeper.review.pipeline.read_event`
makes them. Anything that cannot be had — a clip, a blob past retention, a
damaged image, one over the pixel cap — is None: the rule then has no image,
which it counts, and the read goes on through the other rules.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from platekeeper.crypto import CryptoError
from platekeeper.recognition.imageio import ImageError, decode_image
from platekeeper.rules.model import EvidenceRef

if TYPE_CHECKING:
    from platekeeper.store.reads import ReadStore

logger = logging.getLogger(__name__)


class StoreImages:
    """The rules' ``ImageSource`` over the store's evidence."""

    def __init__(self, reads: ReadStore, *, max_pixels: int) -> None:
        self.reads = reads
        self.max_pixels = max_pixels

    def load(self, ref: EvidenceRef) -> npt.NDArray[np.uint8] | None:
        if ref.kind not in ("frame", "crop", "image") or not ref.ref.isdigit():
            return None
        try:
            _stored, data = self.reads.evidence_bytes(int(ref.ref))
            return decode_image(data, max_pixels=self.max_pixels)
        except (CryptoError, ImageError, OSError) as exc:
            logger.info("evidence image %s not available to the rules: %s", ref.ref, exc)
            return None
