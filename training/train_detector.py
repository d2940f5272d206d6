"""Train platekeeper's plate detector on rendered scenes and export it to ONNX.

    PYTHONPATH=src /path/to/train-venv/bin/python training/train_detector.py --minutes 120

Needs the training requirements (``training/requirements.txt``: PyTorch CPU,
onnx) beside the project's own. Scenes come from ``platekeeper.sim.render``
(no real photographs are used for training); each is cut into patches at
random scales so plates from 20 to 250 pixels wide are seen. Writes
``src/platekeeper/recognition/weights/plate_detector.onnx`` and prints its
SHA-256, which ``recognition/models.py`` pins.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from detector_data import PATCH, make_batch  # noqa: E402
from detector_model import STRIDE, PlateNet  # noqa: E402

OUT = HERE.parent / "src" / "platekeeper" / "recognition" / "weights" / "plate_detector.onnx"


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss on the centre heat map."""
    pred = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1.0 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** 2 * pos
    neg_loss = torch.log(1 - pred) * pred**2 * (1 - target) ** 4 * neg
    n = pos.sum().clamp(min=1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def losses(out: torch.Tensor, heat: torch.Tensor, reg: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    hm = focal_loss(out[:, 0], heat)
    m = mask.unsqueeze(1)
    n = mask.sum().clamp(min=1.0)
    l1 = F.smooth_l1_loss(out[:, 1:] * m, reg * m, reduction="sum", beta=0.5) / n / 16
    return hm, l1


def producer(queue: mp.Queue, seed: int, batch: int) -> None:  # type: ignore[type-arg]
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    while True:
        queue.put(make_batch(rng, batch))


def export(model: PlateNet, path: Path) -> str:
    model.eval()
    dummy = torch.zeros(1, 3, PATCH, PATCH)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        dummy,
        str(path),
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {2: "h", 3: "w"}, "y": {2: "h8", 3: "w8"}},
        opset_version=17,
        dynamo=False,
    )
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--resume", type=Path)
    parser.add_argument("--checkpoint", type=Path, default=HERE / "out" / "detector.pt")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model = PlateNet()
    if args.resume:
        model.load_state_dict(torch.load(args.resume))
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    queue: mp.Queue = mp.Queue(maxsize=8)  # type: ignore[type-arg]
    workers = [
        mp.Process(target=producer, args=(queue, args.seed * 1000 + i, args.batch), daemon=True)
        for i in range(args.workers)
    ]
    for w in workers:
        w.start()
    deadline = time.time() + args.minutes * 60
    start, step = time.time(), 0
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    while time.time() < deadline:
        progress = (time.time() - start) / (deadline - start)
        for group in optimiser.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        images, heat, reg, mask = (torch.from_numpy(a) for a in queue.get())
        model.train()
        out = model(images)
        hm, l1 = losses(out, heat, reg, mask)
        loss = hm + l1
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        if step % 50 == 0:
            rate = step * args.batch / (time.time() - start)
            print(f"step {step} heat {hm.item():.3f} corners {l1.item():.3f} ({rate:.0f} patches/s)", flush=True)
        if step % 500 == 0:
            torch.save(model.state_dict(), args.checkpoint)
    torch.save(model.state_dict(), args.checkpoint)
    digest = export(model, args.out)
    print(f"wrote {args.out} sha256={digest}")
    for w in workers:
        w.terminate()


if __name__ == "__main__":
    assert STRIDE == 8
    main()
