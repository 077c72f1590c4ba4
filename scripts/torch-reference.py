#!/usr/bin/env python3
"""PyTorch CPU timings of the shapes lg-bench compares against, on this machine.

The issues quote PyTorch figures measured once on "this 2-core machine"
(DCGAN-64 batch-64 forward ~170 ms; extractor training steps LSE 149 ms,
NSE-1 517 ms, NSE-2 5,695 ms). Machines drift: a faster VM makes lg-bench
look better against fixed figures than it is. This script measures the same
workloads with PyTorch here and now and writes them as JSON, which lg-bench
reads (`lg-bench --torch-reference FILE`) to print same-machine ratios.

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch numpy
    /tmp/tv/bin/python scripts/torch-reference.py --out results/torch-reference.json

Workloads (as lg-bench's `dcgan` and `semantics` sections):
- sgemm 1024^3 (torch.mm), for scale;
- the DCGAN-64 generator forward (gan-face-generate's architecture, random
  weights), batch 64, eval mode, no_grad;
- one training step (forward, cross-entropy at 256 px, backward, Adam) of
  LSE, NSE-1 and NSE-2 on StyleGAN2-256-shaped features (13 maps, 17
  classes, batch 1), per ../shared/spec/experiments.md.
Each figure is the median of several timed runs after a warm-up.
"""
import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = [(512, 4), (512, 8), (512, 8), (512, 16), (512, 16), (512, 32), (512, 32),
          (512, 64), (512, 64), (256, 128), (256, 128), (128, 256), (128, 256)]
N_CLASS = 17
SIZE = 256


def median_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


def dcgan():
    def block(i, o, s, p, last=False):
        layers = [nn.ConvTranspose2d(i, o, 4, s, p, bias=False)]
        layers += [nn.Tanh()] if last else [nn.BatchNorm2d(o), nn.ReLU(True)]
        return layers
    return nn.Sequential(*block(100, 512, 1, 0), *block(512, 256, 2, 1), *block(256, 128, 2, 1),
                         *block(128, 64, 2, 1), *block(64, 3, 2, 1, last=True)).eval()


class LSE(nn.Module):
    def __init__(self, mlp):
        super().__init__()
        heads = []
        for c, _ in SHAPES:
            if mlp:
                m = (c + N_CLASS) // 2
                heads.append(nn.Sequential(nn.Conv2d(c, m, 1), nn.ReLU(), nn.Conv2d(m, m, 1), nn.ReLU(),
                                           nn.Conv2d(m, N_CLASS, 1)))
            else:
                heads.append(nn.Conv2d(c, N_CLASS, 1, bias=False))
        self.heads = nn.ModuleList(heads)
        self.theta = nn.Parameter(torch.ones(len(SHAPES)))

    def forward(self, feats):
        w = F.softplus(self.theta)
        w = w / w.sum()
        outs = [F.interpolate(h(f), size=SIZE, mode="bilinear", align_corners=True)
                for h, f in zip(self.heads, feats)]
        return sum(wi * o for wi, o in zip(w, outs))

    def groups(self, lr):
        rest = [p for n, p in self.named_parameters() if n != "theta"]
        return [{"params": rest, "lr": lr}, {"params": [self.theta], "lr": lr * 10}]


class NSE2(nn.Module):
    def __init__(self):
        super().__init__()
        dims = [c for c, _ in SHAPES]
        self.extractor = nn.ModuleList(nn.Conv2d(c, c, 3, padding=1) for c in dims)
        self.reviser = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(dims, dims[1:]))
        self.visualizer = nn.Conv2d(dims[-1], N_CLASS, 3, padding=1)

    def forward(self, feats):
        hidden = F.relu(self.extractor[0](feats[0]))
        for i in range(1, len(feats)):
            if hidden.shape[2] * 2 == feats[i].shape[2]:
                hidden = F.interpolate(hidden, scale_factor=2, mode="nearest")
            hidden = F.relu(self.reviser[i - 1](hidden)) + F.relu(self.extractor[i](feats[i]))
        return F.interpolate(self.visualizer(hidden), size=SIZE, mode="bilinear", align_corners=True)

    def groups(self, lr):
        return [{"params": list(self.parameters()), "lr": lr}]


def train_step_ms(model, feats, labels, runs):
    opt = torch.optim.Adam(model.groups(0.001))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(feats), labels)
        loss.backward()
        opt.step()
    return median_ms(step, warmup=2, runs=runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the figures here as JSON (else print them)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
    ap.add_argument("--quick", action="store_true", help="fewer runs (NSE-2 once)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(6)
    r = {"torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
         "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    ms = median_ms(lambda: torch.mm(a, b), warmup=3, runs=10 if args.quick else 30)
    r["sgemm_1024_gflops"] = 2 * 1024 ** 3 / (ms * 1e6)

    g, z = dcgan(), torch.randn(64, 100, 1, 1)
    with torch.no_grad():
        r["dcgan64_forward_b64_ms"] = median_ms(lambda: g(z), warmup=3, runs=10 if args.quick else 30)

    feats = [torch.randn(1, c, s, s) for c, s in SHAPES]
    labels = torch.randint(0, N_CLASS, (1, SIZE, SIZE))
    r["lse_step_ms"] = train_step_ms(LSE(mlp=False), feats, labels, runs=5 if args.quick else 20)
    r["nse1_step_ms"] = train_step_ms(LSE(mlp=True), feats, labels, runs=3 if args.quick else 10)
    r["nse2_step_ms"] = train_step_ms(NSE2(), feats, labels, runs=1 if args.quick else 5)

    text = json.dumps(r, indent=2, sort_keys=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
