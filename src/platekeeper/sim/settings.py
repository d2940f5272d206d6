"""Settings of the simulated camera network that ``make run`` feeds the server with."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SimSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network_file: Path | None = Field(
        default=None,
        title="Camera network file",
        description="YAML or JSON list of banks; the bundled Uzbek network when unset.",
    )
    vehicles: int = Field(
        default=4000, ge=1, le=999_999, title="Fleet size", description="Simulated vehicles."
    )
    seed: int = Field(default=0, title="Seed", description="Same seed, same fleet and trips.")
    backfill_hours: float = Field(
        default=72.0,
        ge=0,
        le=24 * 31,
        title="Backfill (hours)",
        description="History sent at the first start (perfect reads, no images), so that "
        "journeys show trips from the first minute.",
    )
    recognise: bool = Field(
        default=True,
        title="Read live captures",
        description="Render live captures as camera frames and read them with the "
        "recognition engine (off: send the text a perfect reader would).",
    )
    frame_width: int = Field(
        default=1280,
        ge=320,
        le=16384,
        title="Rendered frame width",
        description="Width in pixels of a rendered camera frame (the height follows the "
        "bank's aspect ratio); 3840 for the banks' own 4K, at a higher cost.",
    )
    renders_per_second: float = Field(
        default=0.5,
        ge=0,
        le=100,
        title="Rendered captures per second",
        description="At most this many live captures a second are rendered and read (each "
        "costs most of a second of CPU); the others are sent as perfect reads.",
    )
    clips_per_second: float = Field(
        default=0.1,
        ge=0,
        le=100,
        title="Junction clips per second",
        description="A rendered junction capture that crossed on red comes with a 2 s clip "
        "of the pass and stills of its stop-line track; at most this many others a second "
        "come with a clip. A clip costs about a quarter of the CPU of a rendered capture.",
    )
