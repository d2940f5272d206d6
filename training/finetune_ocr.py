"""Fine-tune PP-OCRv4 recognition into platekeeper's plate OCR.

    PYTHONPATH=src train-venv/bin/python training/finetune_ocr.py cache --samples 60000
    PYTHONPATH=src train-venv/bin/python training/finetune_ocr.py train --minutes 90

Starts from the PP-OCRv4 recognition model of the pinned rapidocr wheel
(trained by its authors on real text). Its convolutional backbone is kept
frozen — it is what has seen real photographs — and runs once per training
line in ONNX Runtime (``cache``) to store features. Training (``train``) then
adapts the sequence neck (SVTR: convolutions and self-attention across the
line) and replaces the 6,625-symbol head by one over the plate alphabet
(CTC blank + 0-9 + A-Z), initialised from the stock head's columns for those
symbols, so training starts from the stock model's own behaviour. It learns
plate typefaces, to pass over emblems and separators between character
groups, and the plate alphabet, from lines cut out of rendered plates
(``ocr_data``). No real photograph is used for training.

The export writes the trained values back into the original ONNX graph (its
dynamic-width structure untouched), with the new head and the alphabet in the
model's metadata: ``src/platekeeper/recognition/weights/plate_ocr.onnx``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper, utils
from onnx2torch import convert
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ocr_data import HEIGHT, samples, to_tensor  # noqa: E402

from platekeeper.recognition.models import PPOCR_REC, verified_path  # noqa: E402
from platekeeper.recognition.text import ALPHABET  # noqa: E402

OUT = HERE.parent / "src" / "platekeeper" / "recognition" / "weights" / "plate_ocr.onnx"
CACHE = HERE / "out" / "ocr_cache"
BACKBONE_OUT = "p2o.AveragePool.1"
NECK_OUT = "transpose_51.tmp_0"
_INDEX = {c: i + 1 for i, c in enumerate(ALPHABET)}


# -- graphs ---------------------------------------------------------------


def stock_graph() -> onnx.ModelProto:
    """The wheel's model after ONNX Runtime's basic (standard-op) optimisations:
    constants folded into initialisers and batch norms folded into convolutions."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rec.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(path)
        source = str(verified_path(PPOCR_REC))
        ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        return onnx.shape_inference.infer_shapes(onnx.load(str(path)))


def subgraph(graph: onnx.ModelProto, inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    with tempfile.TemporaryDirectory() as tmp:
        full, part = Path(tmp) / "full.onnx", Path(tmp) / "part.onnx"
        onnx.save(graph, str(full))
        utils.extract_model(str(full), str(part), inputs, outputs)
        return onnx.load(str(part))


def head_initialisers(graph: onnx.ModelProto) -> tuple[str, str, list[str]]:
    """Names of the final MatMul weight and Add bias, and the stock symbols."""
    nodes = list(graph.graph.node)
    softmax = next(n for n in reversed(nodes) if n.op_type == "Softmax")
    add = next(n for n in nodes if softmax.input[0] in n.output)
    matmul = next(n for n in nodes if set(add.input) & set(n.output))
    inits = {i.name for i in graph.graph.initializer}
    weight = next(i for i in matmul.input if i in inits)
    bias = next(i for i in add.input if i in inits)
    symbols = next(p.value for p in graph.metadata_props if p.key == "character").splitlines()
    return weight, bias, symbols


# -- feature cache ----------------------------------------------------------


def cache_worker(seed: int, count: int, directory: Path) -> None:
    torch.set_num_threads(1)
    graph = stock_graph()
    backbone = subgraph(graph, ["x"], [BACKBONE_OUT])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        backbone.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    rng = np.random.default_rng(seed)
    feats: list[np.ndarray] = []
    labels: list[str] = []
    shard = 0
    while len(labels) < count:
        for img, text in samples(rng):
            width = min(480, max(16, -(-img.shape[1] // 16) * 16))
            canvas = np.zeros((HEIGHT, width, 3), np.uint8)
            canvas[:, : min(width, img.shape[1])] = img[:, :width]
            # Pad with the line's own edge colour, as a detector crop would be.
            if img.shape[1] < width:
                canvas[:, img.shape[1] :] = img[:, -1:]
            (feature,) = session.run(None, {"x": to_tensor(canvas)[None]})
            feats.append(feature[0, :, 0, :].astype(np.float16))
            labels.append(text)
        if len(labels) >= 2000 or len(labels) >= count:
            path = directory / f"s{seed}_{shard:03d}.npz"
            np.savez(path, *feats, labels=np.array(labels))
            count -= len(labels)
            feats, labels = [], []
            shard += 1
            print(f"worker {seed}: wrote {path.name}", flush=True)


def load_cache(directory: Path) -> list[tuple[np.ndarray, str]]:
    items: list[tuple[np.ndarray, str]] = []
    for path in sorted(directory.glob("*.npz")):
        data = np.load(path)
        labels = list(data["labels"])
        items.extend((data[f"arr_{i}"], str(labels[i])) for i in range(len(labels)))
    return items


# -- model ------------------------------------------------------------------


class PlateHead(nn.Module):
    """The stock neck (trainable) and a plate-alphabet CTC head."""

    def __init__(self, neck: nn.Module, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.neck = neck
        self.head = nn.Linear(weight.shape[0], weight.shape[1])
        with torch.no_grad():
            self.head.weight.copy_(weight.T)
            self.head.bias.copy_(bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(features))  # logits (B, T, classes)


def build(graph: onnx.ModelProto) -> tuple[PlateHead, dict[str, str]]:
    weight_name, bias_name, symbols = head_initialisers(graph)
    inits = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}
    columns = [0] + [symbols.index(c) + 1 for c in ALPHABET]
    weight = torch.from_numpy(inits[weight_name][:, columns].copy())
    bias = torch.from_numpy(inits[bias_name][columns].copy())
    neck = convert(subgraph(graph, [BACKBONE_OUT], [NECK_OUT]))
    # Initialisers used by MatMul/Add/Mul are buffers after conversion; the
    # floating ones become trainable parameters.
    holder = getattr(neck, "initializers", None)
    if holder is not None:
        for name, buf in list(holder.named_buffers(recurse=False)):
            if buf.is_floating_point() and buf.numel() > 1:
                delattr(holder, name)
                holder.register_parameter(name, nn.Parameter(buf.clone()))
    params = {n: p.detach().numpy() for n, p in neck.named_parameters()}
    mapping: dict[str, str] = {}
    for name, value in inits.items():
        if name in (weight_name, bias_name) or value.dtype != np.float32 or value.size <= 1:
            continue
        matches = [
            p
            for p, v in params.items()
            if p not in mapping.values() and v.shape == value.shape and np.array_equal(v, value)
        ]
        if matches:
            mapping[name] = matches[0]
    for name, param in neck.named_parameters():
        param.requires_grad_(name in mapping.values())
    frozen = len(params) - len(mapping)
    print(f"neck: {len(mapping)} tensors trainable, {frozen} frozen (no unique initialiser)")
    return PlateHead(neck, weight, bias), mapping


def export(model: PlateHead, graph: onnx.ModelProto, mapping: dict[str, str], path: Path) -> str:
    weight_name, bias_name, _ = head_initialisers(graph)
    params = dict(model.neck.named_parameters())
    out = onnx.ModelProto()
    out.CopyFrom(graph)
    del out.graph.value_info[:]
    for init in out.graph.initializer:
        if init.name in mapping:
            value = params[mapping[init.name]].detach().numpy()
        elif init.name == weight_name:
            value = model.head.weight.detach().numpy().T
        elif init.name == bias_name:
            value = model.head.bias.detach().numpy()
        else:
            continue
        array = np.ascontiguousarray(value.astype(np.float32))
        init.CopyFrom(numpy_helper.from_array(array, init.name))
    dims = out.graph.output[0].type.tensor_type.shape.dim
    dims[-1].ClearField("dim_param")
    dims[-1].dim_value = len(ALPHABET) + 1
    del out.metadata_props[:]
    for key, value in (
        ("character", "\n".join(ALPHABET)),
        ("source", "PP-OCRv4 rec of rapidocr-onnxruntime 1.4.4, fine-tuned by training/finetune_ocr.py"),
    ):
        prop = out.metadata_props.add()
        prop.key, prop.value = key, value
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(out, str(path))
    # The exported graph must compute what the trained modules compute.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    backbone = ort.InferenceSession(
        subgraph(graph, ["x"], [BACKBONE_OUT]).SerializeToString(),
        providers=["CPUExecutionProvider"],
    )
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 208)).astype(np.float32)
    (features,) = backbone.run(None, {"x": x})
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(features)), -1).numpy()
    got = session.run(None, {"x": x})[0]
    error = float(np.abs(expected - got).max())
    assert error < 1e-3, error
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- training ---------------------------------------------------------------


def batches(items: list[tuple[np.ndarray, str]], size: int, rng: random.Random):  # type: ignore[no-untyped-def]
    by_steps: dict[int, list[int]] = {}
    for i, (feature, _) in enumerate(items):
        by_steps.setdefault(feature.shape[1], []).append(i)
    while True:
        groups = [g for g in by_steps.values() if len(g) >= 4]
        weights = [len(g) for g in groups]
        group = rng.choices(groups, weights)[0]
        chosen = rng.sample(group, min(size, len(group)))
        feats = np.stack([items[i][0] for i in chosen]).astype(np.float32)[:, :, None, :]
        texts = [items[i][1] for i in chosen]
        labels = torch.tensor([_INDEX[c] for t in texts for c in t], dtype=torch.long)
        lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
        yield torch.from_numpy(feats), labels, lengths


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    graph = stock_graph()
    model, mapping = build(graph)
    if args.resume:
        model.load_state_dict(torch.load(args.resume))
    items = load_cache(args.cache)
    print(f"{len(items)} cached lines", flush=True)
    neck = [p for p in model.neck.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": neck, "lr": args.lr}, {"params": model.head.parameters(), "lr": args.head_lr}],
        weight_decay=1e-4,
    )
    base = [args.lr, args.head_lr]
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    stream = batches(items, args.batch, random.Random(args.seed))
    start = time.time()
    deadline = start + args.minutes * 60
    step, running = 0, 0.0
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    while time.time() < deadline:
        progress = (time.time() - start) / (deadline - start)
        warm = min(1.0, (step + 1) / 200)
        for group, lr in zip(optimiser.param_groups, base, strict=True):
            group["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        feats, labels, lengths = next(stream)
        model.train()
        log_probs = model(feats).log_softmax(-1).transpose(0, 1)  # (T, B, C)
        steps = torch.full((feats.shape[0],), log_probs.shape[0], dtype=torch.long)
        loss = ctc(log_probs, labels, steps, lengths)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        step += 1
        running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
        if step % 50 == 0:
            rate = step * args.batch / (time.time() - start)
            print(f"step {step} ctc {running:.4f} ({rate:.0f} lines/s)", flush=True)
        if step % 500 == 0:
            torch.save(model.state_dict(), args.checkpoint)
    torch.save(model.state_dict(), args.checkpoint)
    digest = export(model, graph, mapping, args.out)
    print(f"wrote {args.out} sha256={digest}")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cache", help="render lines and store backbone features")
    c.add_argument("--samples", type=int, default=60000)
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--seed", type=int, default=100)
    c.add_argument("--cache", type=Path, default=CACHE)
    t = sub.add_parser("train", help="train neck and head on the cached features")
    t.add_argument("--minutes", type=float, default=60.0)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--lr", type=float, default=3e-4)
    t.add_argument("--head-lr", type=float, default=2e-3)
    t.add_argument("--resume", type=Path)
    t.add_argument("--checkpoint", type=Path, default=HERE / "out" / "ocr_head.pt")
    t.add_argument("--cache", type=Path, default=CACHE)
    t.add_argument("--out", type=Path, default=OUT)
    t.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.command == "cache":
        args.cache.mkdir(parents=True, exist_ok=True)
        per = -(-args.samples // args.workers)
        procs = [
            mp.Process(target=cache_worker, args=(args.seed + i, per, args.cache))
            for i in range(args.workers)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    else:
        train(args)


if __name__ == "__main__":
    main()
