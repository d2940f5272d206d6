"""A tiny ONNX classifier written byte by byte (protobuf wire format), so the
windscreen tests need no ONNX tooling: the file is what an operator's own
model would be, as far as ONNX Runtime can tell.

The model: mean colour of the (RGB, 0-1) input → a 3x3 linear layer →
three scores: none, seatbelt, phone. A mostly red windscreen scores
"phone", a mostly blue one "seatbelt", a grey one "none".
"""

from __future__ import annotations

import struct

FLOAT, INT, INTS = 1, 2, 7
WEIGHTS = ((0.0, -6.0, 12.0), (0.0, -6.0, -6.0), (0.0, 12.0, -6.0))  # rows r, g, b
BIAS = (2.0, 0.0, 0.0)


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode())


def _tensor(name: str, dims: tuple[int, ...], values: list[float]) -> bytes:
    raw = struct.pack(f"<{len(values)}f", *values)
    return b"".join(_int(1, d) for d in dims) + _int(2, FLOAT) + _str(8, name) + _bytes(9, raw)


def _value_info(name: str, dims: tuple[int, ...]) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d)) for d in dims)
    tensor_type = _int(1, FLOAT) + _bytes(2, shape)
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def _node(op: str, inputs: list[str], outputs: list[str], attrs: bytes = b"") -> bytes:
    return (
        b"".join(_str(1, i) for i in inputs)
        + b"".join(_str(2, o) for o in outputs)
        + _str(3, f"{op.lower()}_0")
        + _str(4, op)
        + attrs
    )


def tiny_classifier(width: int = 32, height: int = 32) -> bytes:
    axes = _str(1, "axes") + b"".join(_int(8, a) for a in (2, 3)) + _int(20, INTS)
    keepdims = _str(1, "keepdims") + _int(3, 0) + _int(20, INT)
    graph = (
        _bytes(1, _node("ReduceMean", ["image"], ["mean"], _bytes(5, axes) + _bytes(5, keepdims)))
        + _bytes(1, _node("MatMul", ["mean", "w"], ["mixed"]))
        + _bytes(1, _node("Add", ["mixed", "b"], ["scores"]))
        + _str(2, "windscreen")
        + _bytes(5, _tensor("w", (3, 3), [v for row in WEIGHTS for v in row]))
        + _bytes(5, _tensor("b", (3,), list(BIAS)))
        + _bytes(11, _value_info("image", (1, 3, height, width)))
        + _bytes(12, _value_info("scores", (1, 3)))
    )
    opset = _str(1, "") + _int(2, 13)
    return _int(1, 8) + _str(2, "platekeeper-tests") + _bytes(7, graph) + _bytes(8, opset)
