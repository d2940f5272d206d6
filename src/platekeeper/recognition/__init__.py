"""Recognition: an image in, the licence plates in it out.

Pure computation: nothing here reads settings files, talks to a database or
the network; the only I/O is loading the pinned model files.
"""

from platekeeper.recognition.imageio import ImageError, decode_image, load_image, to_bgr8
from platekeeper.recognition.recognizer import Recognizer, Roi
from platekeeper.recognition.settings import RecognitionSettings
from platekeeper.recognition.types import Candidate, PlateRead, Quad

__all__ = [
    "Candidate",
    "ImageError",
    "PlateRead",
    "Quad",
    "RecognitionSettings",
    "Recognizer",
    "Roi",
    "decode_image",
    "load_image",
    "to_bgr8",
]
