"""What a simulated camera sees of a live capture, and what it reads there.

A capture is drawn as a full camera frame (:func:`render_scene`): the
vehicle with its plate, sometimes another vehicle beside it, under the
light of the capture's local time of day at its bank, at the configured
frame width. The recognition engine reads the whole frame; the read whose
plate lies on the captured vehicle is the camera's (a real camera keeps the
reads inside its lane's region; the rendered vehicle's box stands in for
it). The frame and the engine's plate crop go with the read as evidence.

Rendering and reading one frame costs most of a second of CPU, so a budget
caps how many captures a second are drawn; the others are sent as a perfect
reader would read them, and counted apart, so that accuracy figures only
ever describe frames the engine really read.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import cv2
import numpy as np

from platekeeper.recognition.text import normalise_plate

if TYPE_CHECKING:
    from platekeeper.recognition import PlateRead, Recognizer
    from platekeeper.sim.captures import Capture
    from platekeeper.sim.network import Bank, Network
    from platekeeper.sim.population import Population

# ANPR cameras are aimed and zoomed so that a plate spans about a tenth of
# the frame (below ~100 px at 720p characters blur into each other); the
# scene renderer's default range reaches down to 4.5 %, a wide scene camera.
PLATE_SHARE = (0.08, 0.14)
TWILIGHT_H = 0.6  # civil twilight at Uzbek latitudes lasts about half an hour


def lighting_at(ts: float, utc_offset_s: int, latitude: float, infrared: bool) -> str:
    """``day``, ``dusk`` or ``night`` (``night_ir`` under an infrared
    illuminator) at ``ts`` for a camera at ``latitude``: sunrise and sunset
    from the day of the year (the solar declination), times in local clock
    hours about a 12:30 solar noon."""
    moment = datetime.fromtimestamp(ts + utc_offset_s, UTC)
    hour = moment.hour + moment.minute / 60
    declination = math.radians(23.44) * math.sin(
        2 * math.pi * (moment.timetuple().tm_yday - 81) / 365
    )
    cos_h = -math.tan(math.radians(latitude)) * math.tan(declination)
    half_day = math.degrees(math.acos(max(-1.0, min(1.0, cos_h)))) / 15
    from_noon = abs(hour - 12.5)
    if from_noon <= half_day - TWILIGHT_H / 2:
        return "day"
    if from_noon <= half_day + TWILIGHT_H:
        return "dusk"
    return "night_ir" if infrared else "night"


class RenderBudget:
    """At most ``per_second`` renders a second on average, in bursts of at
    most ``burst`` (a token bucket on the monotonic clock)."""

    def __init__(
        self,
        per_second: float,
        burst: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second < 0:
            raise ValueError("the render budget cannot be negative")
        self.per_second = per_second
        self.burst = max(burst, 1.0)
        self.clock = clock
        self._tokens = min(1.0, self.burst) if per_second > 0 else 0.0
        self._at = clock()

    def take(self) -> bool:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class CameraRead:
    """What the engine made of one rendered capture."""

    plate: PlateRead | None  # None: nothing read on the captured vehicle
    right: bool
    lighting: str
    frame_jpeg: bytes | None
    crop_jpeg: bytes | None


def b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data is not None else None


class CameraView:
    """Render captures as their bank's camera frames and read them."""

    def __init__(
        self,
        network: Network,
        population: Population,
        recognizer: Recognizer,
        *,
        frame_width: int = 1280,
        seed: int = 0,
    ) -> None:
        if not 320 <= frame_width <= 16384:
            raise ValueError("the frame width must be between 320 and 16384 pixels")
        self.network = network
        self.population = population
        self.recognizer = recognizer
        self.frame_width = frame_width
        self.seed = seed
        # Half the banks have an infrared illuminator for the night, by a
        # fixed rule so that a bank keeps its kind of camera.
        self._infrared = {b.id: i % 2 == 0 for i, b in enumerate(network.bank_list)}

    def frame_size(self, bank: Bank) -> tuple[int, int]:
        width, height = bank.resolution
        return self.frame_width, max(64, round(self.frame_width * height / width))

    def light(self, capture: Capture) -> str:
        """The lighting mode of ``capture``'s frame (see :func:`lighting_at`)."""
        bank = self.network.banks[capture.bank_id]
        return lighting_at(capture.ts, self.network.utc_offset_s, bank.lat, self._infrared[bank.id])

    def plate_format(self, capture: Capture) -> str:
        """The renderer's series key of the captured vehicle's plate."""
        return self.population[capture.vehicle_id].plate_format.value.replace("-", "_")

    def read(self, capture: Capture) -> CameraRead:
        """Render ``capture`` (which must have a plate) and read the frame."""
        from platekeeper.sim.render import SceneOptions, render_scene

        if capture.plate is None:
            raise ValueError("a capture with no readable plate has nothing to render")
        bank = self.network.banks[capture.bank_id]
        fmt = self.plate_format(capture)
        width, height = self.frame_size(bank)
        mode = self.light(capture)
        options = SceneOptions(
            width=width,
            height=height,
            lighting=mode,
            vehicles=(1, 2),
            formats=("uz_private", "uz_company"),
            plate_width_px=(width * PLATE_SHARE[0], width * PLATE_SHARE[1]),
            jpeg_quality=(80, 92),
        )
        # The same capture always looks the same.
        rng = np.random.default_rng([self.seed, capture.id])
        truth = normalise_plate(capture.plate)
        scene = render_scene(rng, options, plates=[(capture.plate, fmt)])
        ours = next(p for p in scene.plates if normalise_plate(p.text) == truth)
        x0, y0, x1, y1 = ours.vehicle_box
        found = [
            p
            for p in self.recognizer.read(scene.image, countries=["UZ"])
            if x0 <= _centre(p)[0] <= x1 and y0 <= _centre(p)[1] <= y1
        ]
        best = max(found, key=lambda p: p.confidence) if found else None
        frame = scene.jpeg if scene.jpeg is not None else _jpeg(scene.image)
        crop = _jpeg(np.ascontiguousarray(best.crop)) if best is not None else None
        right = best is not None and normalise_plate(best.text) == truth
        return CameraRead(best, right, mode, frame, crop)


def _centre(read: PlateRead) -> tuple[float, float]:
    xs = [p[0] for p in read.quad]
    ys = [p[1] for p in read.quad]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _jpeg(image: np.ndarray) -> bytes | None:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return data.tobytes() if ok else None
