"""The violation workflow: findings kept as violations, a review queue per
region (claim, confirm or reject, an optional second reviewer), and the
signed evidence package of a confirmed violation."""
