"""Motion gating: skip recognition on frames where nothing moves.

A small grey copy of each frame is compared with a running background; a
frame "moves" when enough of its pixels (inside the lanes, if given) differ.
A still road costs one resize and one subtraction per frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

SIZE = (160, 90)


class MotionGate:
    def __init__(
        self,
        *,
        threshold: int = 18,
        min_fraction: float = 0.002,
        mask: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        self.threshold = threshold
        self.min_fraction = min_fraction
        self.mask = None if mask is None else cv2.resize(mask, SIZE) > 0
        self._background: npt.NDArray[np.float32] | None = None

    def moving(self, image: npt.NDArray[np.uint8]) -> bool:
        small = cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
        grey = np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.float32)
        if self._background is None:
            self._background = grey
            return True
        changed = np.abs(grey - self._background) > self.threshold
        cv2.accumulateWeighted(grey, self._background, 0.3)
        if self.mask is not None:
            changed &= self.mask
        return float(changed.mean()) >= self.min_fraction
