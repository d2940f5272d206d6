"""The plate detector network (PyTorch side, for training and ONNX export).

A small fully-convolutional network: depthwise-separable stages to stride 32,
a feature pyramid back to stride 8, and one head per stride-8 cell:

* channel 0: plate-centre heat (logit),
* channels 1-8: the plate's four corners relative to the cell centre,
  in cells (x, y for top-left, top-right, bottom-right, bottom-left),
* channels 9-16: the same for the quadrilateral around the registration's
  characters (both lines of a two-line plate), which is what OCR reads.

Few, plain operators (Conv, BatchNorm folded at export, ReLU, Add, Resize)
keep ONNX Runtime's per-node overhead low on a CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

STRIDE = 8
OUTPUTS = 17


def conv_bn(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Separable(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn(cin, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return x + y if self.residual else y


class PlateNet(nn.Module):
    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        c = [int(v * width) for v in (16, 24, 40, 64, 96)]
        self.stem = conv_bn(3, c[0], 3, 2)
        self.s1 = nn.Sequential(Separable(c[0], c[1], 2), Separable(c[1], c[1]))
        self.s2 = nn.Sequential(Separable(c[1], c[2], 2), Separable(c[2], c[2]))
        self.s3 = nn.Sequential(
            Separable(c[2], c[3], 2), Separable(c[3], c[3]), Separable(c[3], c[3])
        )
        self.s4 = nn.Sequential(Separable(c[3], c[4], 2), Separable(c[4], c[4]))
        f = 48
        self.l2 = conv_bn(c[2], f, 1)
        self.l3 = conv_bn(c[3], f, 1)
        self.l4 = conv_bn(c[4], f, 1)
        self.smooth = nn.Sequential(Separable(f, f), Separable(f, f))
        self.head = nn.Conv2d(f, OUTPUTS, 1)
        nn.init.constant_(self.head.bias[:1], -4.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s1(self.stem(x))
        p2 = self.s2(x)
        p3 = self.s3(p2)
        p4 = self.s4(p3)
        top = self.l4(p4)
        mid = self.l3(p3) + F.interpolate(top, size=p3.shape[-2:], mode="nearest")
        low = self.l2(p2) + F.interpolate(mid, size=p2.shape[-2:], mode="nearest")
        return self.head(self.smooth(low))
