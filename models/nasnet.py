"""NASNet-style multi-branch cell CNN (after Zoph et al., "Learning Transferable
Architectures for Scalable Image Recognition", 2018; cells close to NASNet-A with
7x7 separable convs replaced by 5x5).

A cell reads the two previous cell outputs (h_prev_prev = index 0, h_prev = index 1),
brings both to C channels (ReLU-conv1x1-BN; a factorized reduction when h_prev_prev
has twice the resolution), then computes 5 blocks. Each block applies two ops to two
hidden states (cell inputs or earlier blocks) and adds them. The cell output is the
channel concatenation of all 5 blocks (5C channels). In a reduction cell, ops that
read a cell input use stride 2 (identity becomes a factorized reduction).

Ops: sep3x3, sep5x5 (ReLU-dw-pw-BN twice), avg3x3 (count_include_pad=False),
max3x3, identity.
"""

import torch
import torch.nn as nn

# (op_a, input_a, op_b, input_b); inputs: 0 = h_prev_prev, 1 = h_prev, 2.. = blocks
NORMAL_CELL = [
    ("sep3x3", 1, "identity", 1),
    ("sep3x3", 0, "sep5x5", 1),
    ("avg3x3", 1, "identity", 0),
    ("avg3x3", 0, "avg3x3", 0),
    ("sep5x5", 0, "sep3x3", 0),
]
REDUCTION_CELL = [
    ("sep5x5", 1, "sep5x5", 0),
    ("max3x3", 1, "sep5x5", 0),
    ("avg3x3", 1, "sep3x3", 0),
    ("identity", 2, "avg3x3", 2),
    ("sep3x3", 2, "max3x3", 1),
]


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False),
                                nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 stride-2 convs on x and on x shifted by one pixel, concat, BN.
    Needs an even input size (as in DARTS)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, cout // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(cin, cout - cout // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = self.relu(x)
        shifted = x[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv1(x), self.conv2(shifted)], dim=1))


class SepConv(nn.Module):
    def __init__(self, c, k, stride):
        super().__init__()
        p = k // 2
        self.op = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c, c, k, stride, p, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c),
            nn.ReLU(), nn.Conv2d(c, c, k, 1, p, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return self.op(x)


def make_op(name, c, stride):
    if name == "sep3x3":
        return SepConv(c, 3, stride)
    if name == "sep5x5":
        return SepConv(c, 5, stride)
    if name == "avg3x3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == "max3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "identity":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    raise ValueError("unknown op " + name)


class Cell(nn.Module):
    def __init__(self, genotype, c_pp, c_p, c, reduction, reduce_pp):
        super().__init__()
        self.genotype = genotype
        self.pre0 = FactorizedReduce(c_pp, c) if reduce_pp else ReLUConvBN(c_pp, c)
        self.pre1 = ReLUConvBN(c_p, c)
        ops = []
        for op_a, in_a, op_b, in_b in genotype:
            ops.append(make_op(op_a, c, 2 if reduction and in_a < 2 else 1))
            ops.append(make_op(op_b, c, 2 if reduction and in_b < 2 else 1))
        self.ops = nn.ModuleList(ops)
        self.out_channels = len(genotype) * c

    def forward(self, s0, s1):
        states = [self.pre0(s0), self.pre1(s1)]
        for i, (_, in_a, _, in_b) in enumerate(self.genotype):
            a = self.ops[2 * i](states[in_a])
            b = self.ops[2 * i + 1](states[in_b])
            states.append(a + b)
        return torch.cat(states[2:], dim=1)


class NASNet(nn.Module):
    """stem conv3x3 (stride stem_stride) -> [stem reduction cells] ->
    N normal, reduction, N normal, reduction, N normal -> ReLU -> GAP -> Linear."""

    def __init__(self, channels=32, repeats=2, stem_channels=32, stem_stride=2,
                 stem_reductions=2, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_channels, 3, stem_stride, 1, bias=False),
            nn.BatchNorm2d(stem_channels))
        c_pp, c_p = stem_channels, stem_channels
        cells = []
        reduce_pp = False
        layout = ["R"] * stem_reductions + (["N"] * repeats + ["R"]) * 2 + ["N"] * repeats
        c = channels // (2 ** stem_reductions) if stem_reductions else channels
        c = max(c, 4)
        for kind in layout:
            reduction = kind == "R"
            if reduction and cells:
                c *= 2  # every reduction but a leading one doubles the width
            cell = Cell(REDUCTION_CELL if reduction else NORMAL_CELL, c_pp, c_p, c,
                        reduction, reduce_pp)
            cells.append(cell)
            reduce_pp = reduction
            c_pp, c_p = c_p, cell.out_channels
        self.cells = nn.ModuleList(cells)
        self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(c_p, num_classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.fc(self.head(s1))


def nasnet(small=False):
    if small:
        return NASNet(channels=8, repeats=1, stem_channels=16, stem_stride=1,
                      stem_reductions=0, num_classes=10)
    return NASNet(channels=44, repeats=2, stem_channels=32, stem_stride=2,
                  stem_reductions=2)


if __name__ == "__main__":
    m = nasnet(small=True).eval()
    print(m(torch.randn(2, 3, 32, 32)).shape)
    m = nasnet(small=False).eval()
    print(m(torch.randn(1, 3, 224, 224)).shape)
