"""RandWire-style randomly wired CNN (Xie et al., "Exploring Randomly Wired Neural
Networks for Image Recognition", 2019), small-regime layout.

Each stage is a DAG obtained from a Watts-Strogatz graph WS(n, k, p): nodes are
numbered, every undirected edge is oriented from the lower to the higher index.
A node aggregates its inputs by a weighted sum with sigmoid(w) weights, then applies
ReLU -> separable conv (depthwise 3x3 + pointwise 1x1) -> BatchNorm. Nodes without
predecessors read the stage input (with stride 2), the stage output is the mean of
the nodes without successors. The graph generator uses its own random.Random(seed),
so a given (n, k, p, seed) always yields the same wiring, independent of torch's RNG.

Pure PyTorch; no networkx needed.
"""

import random

import torch
import torch.nn as nn


def watts_strogatz(n, k, p, seed):
    """Undirected WS(n, k, p) graph as a sorted list of (u, v) with u < v.

    Same procedure as networkx.watts_strogatz_graph: a ring lattice where each node
    links to its k/2 neighbours on each side, then every lattice edge (u, u+j) is
    rewired with probability p to (u, w) for a uniformly random w that is neither u
    nor already a neighbour of u.
    """
    if k % 2 != 0 or k >= n:
        raise ValueError("watts_strogatz needs an even k < n, got n=%d k=%d" % (n, k))
    rng = random.Random(seed)
    adj = {u: set() for u in range(n)}
    for u in range(n):
        for j in range(1, k // 2 + 1):
            v = (u + j) % n
            adj[u].add(v)
            adj[v].add(u)
    for j in range(1, k // 2 + 1):
        for u in range(n):
            v = (u + j) % n
            if v not in adj[u] or rng.random() >= p:
                continue
            if len(adj[u]) >= n - 1:
                continue  # u is already linked to every node
            w = rng.randrange(n)
            while w == u or w in adj[u]:
                w = rng.randrange(n)
            adj[u].discard(v)
            adj[v].discard(u)
            adj[u].add(w)
            adj[w].add(u)
    edges = sorted({(min(u, v), max(u, v)) for u in adj for v in adj[u]})
    return edges


class SepConv(nn.Module):
    """Depthwise 3x3 (stride s) + pointwise 1x1."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.pw = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)

    def forward(self, x):
        return self.pw(self.dw(x))


class Node(nn.Module):
    """Weighted-sum aggregation -> ReLU -> SepConv -> BN."""

    def __init__(self, num_inputs, cin, cout, stride):
        super().__init__()
        self.num_inputs = num_inputs
        if num_inputs > 1:
            # Random (not zero) logits so the sigmoid weights differ per edge.
            self.w = nn.Parameter(torch.randn(num_inputs))
        self.relu = nn.ReLU()
        self.conv = SepConv(cin, cout, stride)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, inputs):
        if self.num_inputs > 1:
            ws = torch.sigmoid(self.w)
            if not self.training:
                # Inference: bake the edge weights in as scalars (the ONNX exporter
                # cannot constant-fold Sigmoid, it would leave Sigmoid+Gather nodes).
                ws = [float(v) for v in ws]
            x = inputs[0] * ws[0]
            for i in range(1, self.num_inputs):
                x = x + inputs[i] * ws[i]
        else:
            x = inputs[0]
        return self.bn(self.conv(self.relu(x)))


class RandomStage(nn.Module):
    def __init__(self, cin, cout, n, k, p, seed):
        super().__init__()
        self.n = n
        self.edges = watts_strogatz(n, k, p, seed)
        self.preds = [[u for (u, v) in self.edges if v == node] for node in range(n)]
        has_succ = {u for (u, _) in self.edges}
        self.outputs = [node for node in range(n) if node not in has_succ]
        nodes = []
        for node in range(n):
            if self.preds[node]:
                nodes.append(Node(len(self.preds[node]), cout, cout, 1))
            else:  # input node: reads the stage input and downsamples
                nodes.append(Node(1, cin, cout, 2))
        self.nodes = nn.ModuleList(nodes)

    def forward(self, x):
        results = []
        for node in range(self.n):
            preds = self.preds[node]
            ins = [results[u] for u in preds] if preds else [x]
            results.append(self.nodes[node](ins))
        out = results[self.outputs[0]]
        for node in self.outputs[1:]:
            out = out + results[node]
        if len(self.outputs) > 1:
            out = out / float(len(self.outputs))
        return out

    def describe(self):
        return {"nodes": self.n, "edges": len(self.edges),
                "inputs": sum(1 for pr in self.preds if not pr),
                "outputs": len(self.outputs)}


class RandWire(nn.Module):
    """Stem (conv3x3 s2, BN, ReLU, conv3x3 s2, BN) -> 3 random stages (C, 2C, 4C,
    each downsampling by 2) -> ReLU -> conv1x1 -> BN -> ReLU -> GAP -> Linear."""

    def __init__(self, channels=78, nodes=32, k=4, p=0.75, seed=2019,
                 num_classes=1000, head_channels=1280):
        super().__init__()
        c = channels
        self.stem = nn.Sequential(
            nn.Conv2d(3, c // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(),
            nn.Conv2d(c // 2, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c))
        self.stages = nn.ModuleList([
            RandomStage(c, c, nodes, k, p, seed + 0),
            RandomStage(c, 2 * c, nodes, k, p, seed + 1),
            RandomStage(2 * c, 4 * c, nodes, k, p, seed + 2),
        ])
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(4 * c, head_channels, 1, bias=False),
            nn.BatchNorm2d(head_channels), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(head_channels, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.fc(self.head(x))


def randwire(small=False):
    if small:
        return RandWire(channels=16, nodes=16, num_classes=100, head_channels=256)
    return RandWire(channels=78, nodes=32)


if __name__ == "__main__":
    m = randwire(small=True)
    for i, s in enumerate(m.stages):
        print("stage", i, s.describe())
    print(m(torch.randn(2, 3, 64, 64)).shape)
