"""Video at the edge: frame sources (file, RTSP), motion gating, tracking a
plate across frames with a vote on its text, and clips around a pass."""
