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
- the scene segmenter (DeepLabV3 + ResNeSt-200, PyTorch-Encoding's
  DeepLab_ResNeSt200_ADE as LinearGAN runs it: eval, no_grad, aux head off),
  written here from ../shared/spec/scene-segmenter.md with the reference's
  state-dict keys, random weights as lg-bench's (He-normal, BN identity),
  forward at 1x3x256x256, 8x3x256x256 (not with --quick) and 1x3x64x64.
  `--check-scene-fixture DIR` first checks this module against the scene
  fixture (its weights, every case's head and logits within 1e-4);
  `--only-scene` measures sgemm and the scene segmenter only (merged into an
  existing --out file).
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


class SplAt(nn.Module):
    """Split-attention 3x3 convolution (spec section 3), radix r, cardinality card."""

    def __init__(self, c, r, card, dilation, stride, reduction=4):
        super().__init__()
        inner = max(c * r // reduction, 32)
        self.r, self.card = r, card
        self.conv = nn.Conv2d(c, c * r, 3, stride, dilation, dilation, groups=card * r, bias=False)
        self.bn0 = nn.BatchNorm2d(c * r)
        self.fc1 = nn.Conv2d(c, inner, 1, groups=card)
        self.bn1 = nn.BatchNorm2d(inner)
        self.fc2 = nn.Conv2d(inner, c * r, 1, groups=card)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv(x)))
        b, c = x.shape[0], x.shape[1] // self.r
        splits = torch.split(x, c, 1)
        g = F.adaptive_avg_pool2d(sum(splits), 1)
        a = self.fc2(F.relu(self.bn1(self.fc1(g))))
        if self.r > 1:
            a = F.softmax(a.view(b, self.card, self.r, -1).transpose(1, 2), dim=1).reshape(b, -1, 1, 1)
        else:
            a = torch.sigmoid(a)
        return sum(w * u for w, u in zip(torch.split(a, c, 1), splits))


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride, dilation, avd, downsample, pool):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = SplAt(planes, 2, 1, dilation, 1 if avd else stride)
        self.avd = nn.AvgPool2d(3, stride, padding=1) if avd else None
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if downsample:
            p = nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False) if pool else nn.Identity()
            self.downsample = nn.Sequential(p, nn.Conv2d(cin, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = self.conv2(F.relu(self.bn1(self.conv1(x))))
        if self.avd is not None:
            out = self.avd(out)
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Backbone(nn.Module):
    """ResNeSt, deep stem, avg_down, avd, dilated (output stride 8), radix 2."""

    def __init__(self, layers, planes, stem):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(),
                                   nn.Conv2d(stem, stem, 3, 1, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(),
                                   nn.Conv2d(stem, 2 * stem, 3, 1, 1, bias=False))
        self.bn1 = nn.BatchNorm2d(2 * stem)
        cin = 2 * stem
        for i, (n, w, (stride, dil)) in enumerate(zip(layers, planes, [(1, 1), (2, 1), (1, 2), (1, 4)])):
            blocks = []
            for b in range(n):
                first = b == 0
                s = stride if first else 1
                d = (2 if dil == 4 else 1) if first else dil
                avd = s > 1 or (first and i > 0)
                down = first and (s != 1 or cin != 4 * w)
                blocks.append(Bottleneck(cin, w, s, d, avd, down, pool=(dil == 1 and s > 1)))
                cin = 4 * w
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 3, 2, 1)
        c1 = self.layer1(x)
        c2 = self.layer2(c1)
        c3 = self.layer3(c2)
        return c1, c2, c3, self.layer4(c3)


def conv_bn_relu(cin, cout, k, rate=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=rate if k == 3 else 0, dilation=rate, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class ASPPPooling(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.gap = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return F.interpolate(self.gap(x), x.shape[2:], mode="bilinear", align_corners=True)


class ASPP(nn.Module):
    def __init__(self, cin, rates):
        super().__init__()
        c = cin // 8
        self.b0 = conv_bn_relu(cin, c, 1)
        self.b1, self.b2, self.b3 = (conv_bn_relu(cin, c, 3, r) for r in rates)
        self.b4 = ASPPPooling(cin, c)
        self.project = nn.Sequential(nn.Conv2d(5 * c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(), nn.Dropout2d(0.5))

    def forward(self, x):
        return self.project(torch.cat([self.b0(x), self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1))


class Head(nn.Module):
    def __init__(self, cin, nclass, rates):
        super().__init__()
        c = cin // 8
        self.aspp = ASPP(cin, rates)
        self.block = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                   nn.Dropout(0.1), nn.Conv2d(c, nclass, 1))

    def forward(self, x):
        return self.block(self.aspp(x))


class FCNHead(nn.Module):
    def __init__(self, cin, nclass):
        super().__init__()
        c = cin // 4
        self.conv5 = nn.Sequential(nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                   nn.Dropout(0.1), nn.Conv2d(c, nclass, 1))

    def forward(self, x):
        return self.conv5(x)


class SceneSegmenter(nn.Module):
    """DeepLabV3 + ResNeSt (the spec's sections 1-4), keys as the reference's state_dict."""

    def __init__(self, nclass=150, layers=(3, 24, 36, 3), planes=(64, 128, 256, 512), stem_width=64,
                 atrous_rates=(12, 24, 36), aux=True):
        super().__init__()
        self.pretrained = Backbone(layers, planes, stem_width)
        self.head = Head(4 * planes[3], nclass, atrous_rates)
        self.auxlayer = FCNHead(4 * planes[2], nclass) if aux else None

    def forward(self, x, aux=False):
        _, _, c3, c4 = self.pretrained(x)
        size = x.shape[2:]
        out = [F.interpolate(self.head(c4), size, mode="bilinear", align_corners=True)]
        if aux:
            out.append(F.interpolate(self.auxlayer(c3), size, mode="bilinear", align_corners=True))
        return out

    def randomize(self, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, m in self.named_modules():
                if isinstance(m, nn.Conv2d):
                    fan_in = m.weight[0].numel()
                    m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                    if m.bias is not None:
                        m.bias.zero_()
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.fill_(0.3 if name.endswith("bn3") else 1.0)
                    m.bias.zero_()
                    m.running_mean.zero_()
                    m.running_var.fill_(1.0)
        return self


def check_scene_fixture(folder):
    """This module against the scene fixture: strict load, head and logits per case."""
    import os
    import numpy as np
    cfg = json.load(open(os.path.join(folder, "config.json")))["constructor"]["DeepLabV3"]
    net = SceneSegmenter(cfg["nclass"], cfg["layers"], cfg["planes"], cfg["stem_width"], cfg["atrous_rates"], cfg["aux"])
    net.load_state_dict(torch.load(os.path.join(folder, "weights.pth"), map_location="cpu"), strict=True)
    net.eval()
    worst = 0.0
    for case in sorted(d for d in os.listdir(folder) if d.startswith("case_")):
        x = torch.from_numpy(np.load(os.path.join(folder, case, "x.npy")))
        with torch.no_grad():
            out = net(x)[0]
        ref = os.path.join(folder, case, "logits.npy")
        if os.path.exists(ref):
            worst = max(worst, (out - torch.from_numpy(np.load(ref))).abs().max().item())
        seg = torch.from_numpy(np.load(os.path.join(folder, case, "seg_stylegan2_bedroom.npy")))
        idx = json.load(open(os.path.join(folder, "config.json")))["selected_indices"]
        worst = max(worst, (out[:, idx] - seg[:, 1:]).abs().max().item())
    if worst > 1e-4:
        raise SystemExit(f"scene fixture: this module differs from the reference by {worst:.2e} (> 1e-4)")
    return worst


def scene_ms(r, quick):
    net = SceneSegmenter().randomize(1).eval()
    for key, shape, runs in [("scene_256_b1_ms", (1, 3, 256, 256), 3 if quick else 5),
                             ("scene_256_b8_ms", (8, 3, 256, 256), 0 if quick else 1),
                             ("scene_64_b1_ms", (1, 3, 64, 64), 5 if quick else 15)]:
        if runs == 0:
            continue
        x = torch.randn(shape).clamp(-2, 2)
        with torch.no_grad():
            r[key] = median_ms(lambda: net(x), warmup=1, runs=runs) / shape[0]


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
    ap.add_argument("--check-scene-fixture", metavar="DIR", help="check the scene segmenter module against this fixture folder first")
    ap.add_argument("--only-scene", action="store_true", help="measure sgemm and the scene segmenter only")
    args = ap.parse_args()
    if args.check_scene_fixture:
        print(f"scene fixture: max abs difference {check_scene_fixture(args.check_scene_fixture):.2e}")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(6)
    r = {"torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
         "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    ms = median_ms(lambda: torch.mm(a, b), warmup=3, runs=10 if args.quick else 30)
    r["sgemm_1024_gflops"] = 2 * 1024 ** 3 / (ms * 1e6)

    scene_ms(r, args.quick)
    if args.only_scene:
        # Refreshes these figures in an existing --out file (lg-bench needs the others too).
        import os
        merged = json.load(open(args.out)) if args.out and os.path.exists(args.out) else {}
        merged.update(r)
        text = json.dumps(merged, indent=2, sort_keys=True)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        print(text)
        return

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
