"""The camera door: ``POST /api/v1/ingest/reads`` (reads made at the edge) and
``/frames`` (stills for central recognition, durably queued), signed by a
camera key.

A 200 means every read of the batch is stored (now, or by an earlier copy of
the same batch); nothing is stored when the answer is anything else. The
answer carries counts, never a plate.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from platekeeper.ingest.payloads import (
    FrameBatch,
    IngestResult,
    QueuedResult,
    ReadBatch,
    describe,
)
from platekeeper.rules.signal_door import PhaseBatch, PhasesResult, SignalRefused
from platekeeper.store.errors import InvalidRead
from platekeeper.web.access import SignedRequest, camera_signed, services_of

Camera = Annotated[SignedRequest, camera_signed()]
TAGS: list[str | Enum] = ["ingest"]


def signed_body(model: type[BaseModel]) -> dict[str, Any]:
    """The request body of a signed route for the OpenAPI schema: the route
    reads the raw body itself (the signature covers its bytes) and checks it
    against ``model`` only once the signature holds."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    content = {"application/json": {"schema": inline(schema)}}
    return {"requestBody": {"required": True, "content": content}}


def build_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/v1/ingest/reads",
        response_model=IngestResult,
        tags=TAGS,
        summary="Store reads made at the edge (signed by the camera; idempotent per key)",
        openapi_extra=signed_body(ReadBatch),
    )
    async def ingest_reads(request: Request, signed: Camera) -> IngestResult:
        gateway = services_of(request).ingest
        assert gateway is not None  # the guard answered 404 otherwise
        try:
            batch = ReadBatch.model_validate_json(signed.body)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=describe(exc)) from None
        try:
            return await run_in_threadpool(gateway.service.ingest, signed.camera, batch)
        except InvalidRead as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None

    @router.post(
        "/api/v1/ingest/frames",
        response_model=QueuedResult,
        tags=TAGS,
        summary="Queue frames for central recognition (signed by the camera; idempotent per key)",
        openapi_extra=signed_body(FrameBatch),
    )
    async def ingest_frames(request: Request, signed: Camera) -> QueuedResult:
        gateway = services_of(request).ingest
        assert gateway is not None
        if gateway.queue is None:
            raise HTTPException(status_code=404, detail="this server takes no frames")
        try:
            batch = FrameBatch.model_validate_json(signed.body)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=describe(exc)) from None
        return await run_in_threadpool(gateway.queue_frames, signed.camera, batch)

    @router.post(
        "/api/v1/signals/phases",
        response_model=PhasesResult,
        tags=TAGS,
        summary="Signal phases from a junction controller (signed by a camera of its bank)",
        openapi_extra=signed_body(PhaseBatch),
    )
    async def signal_phases(request: Request, signed: Camera) -> PhasesResult:
        door = services_of(request).signals
        if door is None:
            raise HTTPException(status_code=404, detail="this server takes no signal phases")
        try:
            batch = PhaseBatch.model_validate_json(signed.body)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=describe(exc)) from None
        try:
            return await run_in_threadpool(door.record, signed.camera.camera_code, batch)
        except SignalRefused as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc)) from None

    return router
