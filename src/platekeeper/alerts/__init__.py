"""Alerts: findings that must reach people at once (a wanted or stolen
vehicle seen), delivered to the dashboard (server-sent events), to webhooks
(HMAC-signed, retried, dead-lettered) and to an MQTT topic.

Outside the application an alert is an opaque id with what kind of alert it
is, where and when — never a plate; the plate stays with the finding inside.
"""
