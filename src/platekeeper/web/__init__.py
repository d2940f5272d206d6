"""The operator web app: FastAPI app factory, pages and the ``/api/v1`` JSON API."""
