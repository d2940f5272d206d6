"""platekeeper: automatic licence plate recognition for traffic enforcement."""

__version__ = "0.1.0"
