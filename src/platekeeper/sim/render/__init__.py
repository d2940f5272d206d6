"""Synthetic plates, vehicles, road scenes and video for tests, training data
and the simulated camera network.

Everything is drawn here with numpy and OpenCV (video is encoded with PyAV);
nothing is downloaded and no font file is used: the plate typeface is stroke
skeletons defined in ``glyphs.py``. All
randomness comes from the ``numpy.random.Generator`` (or seed) passed in, so
the same seed gives the same pixels and the same ground truth.

Main entry points:

- :func:`random_plate` / :func:`plate_formats` - valid plate strings per series;
- :func:`render_plate` - a face-on plate image with character boxes;
- :func:`render_scene` - a camera frame with vehicles and per-plate truth;
- :func:`render_plate_crop` - a degraded plate crop for OCR training;
- :func:`render_video` / :func:`iter_video` - road video with per-vehicle tracks.
"""

from platekeeper.sim.render.camera import LIGHTING_MODES
from platekeeper.sim.render.crop import CropOptions, render_plate_crop
from platekeeper.sim.render.plate import plate_size_mm, render_plate
from platekeeper.sim.render.records import CharBox, PlateCrop, PlateImage, Scene, ScenePlate
from platekeeper.sim.render.scene import SceneOptions, render_scene
from platekeeper.sim.render.syntax import formats_of, plate_formats, random_format, random_plate
from platekeeper.sim.render.syntax_base import PlateFormat
from platekeeper.sim.render.video import (
    TrackPoint,
    VehicleTrack,
    VideoOptions,
    VideoTruth,
    iter_video,
    render_video,
)
from platekeeper.sim.render.wear import PlateEffects

__all__ = [
    "LIGHTING_MODES",
    "CharBox",
    "CropOptions",
    "PlateCrop",
    "PlateEffects",
    "PlateFormat",
    "PlateImage",
    "Scene",
    "SceneOptions",
    "ScenePlate",
    "TrackPoint",
    "VehicleTrack",
    "VideoOptions",
    "VideoTruth",
    "formats_of",
    "iter_video",
    "plate_formats",
    "plate_size_mm",
    "random_format",
    "random_plate",
    "render_plate",
    "render_plate_crop",
    "render_scene",
    "render_video",
]
