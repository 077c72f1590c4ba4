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

`--section job --reference DIR` (DIR: a checkout of the reference,
https://github.com/AtlantixJJ/LinearGAN; nothing of it is copied here) times
one full step of a `train` job as the reference's SELearner runs it:
latents (trunc-wp) -> the reference's generator network with features ->
labels (the reference's FaceSegmenter around its UNet at 512 px; for scenes
this script's SceneSegmenter, since the reference's needs PyTorch-Encoding)
-> the reference's LSE / NSE-1 / NSE-2 forward, cross-entropy, backward and
Adam (SELearner.configure_optimizers), random weights, batch 1, for
StyleGAN2-FFHQ-1024 and PGGAN-CelebA-HQ-1024 with the face parser and
StyleGAN2-bedroom-256 with the scene segmenter. Each case runs in a child
process (its own peak memory), in the default layout and in channels_last;
the faster is kept. lg-bench --section job prints its own beside them.

PyTorch at its best: every workload is timed in the default (NCHW) layout,
in `channels_last` (model and inputs converted), and compiled with
`torch.compile` where that works on this CPU (not with --no-compile; a
failed compile is recorded as skipped with its reason). The figure under
each workload's key is the fastest variant; `variants` holds every
variant's time and `best` which variant won, and lg-bench names it.
Subnormal floats are flushed to zero (`torch.set_flush_denormal(True)`,
here and in the job children; `--no-flush-denormal` measures PyTorch's
default): the random-weight scene segmenter's saturated split-attention
softmax makes subnormals, and PyTorch ran it 1.18x faster with them flushed
(channels_last, 256 px: 640 against 755 ms, 2026-12-07). The port flushes
them where they arise (its SplitAttention).
"""
import argparse
import json
import os
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


VARIANTS = ("default", "channels_last", "compile")


def timed_variants(r, key, build, run, warmup, runs, compile_ok, per=1.0):
    """Times `run(model, inputs)` for each layout variant and stores the fastest
    under r[key] (ms, divided by `per`); r["variants"][key] and r["best"][key]
    keep every variant's time and the winner. `build()` returns (model, inputs)
    afresh for each variant, so a variant cannot change another's model."""
    times, skipped = {}, {}
    for variant in VARIANTS:
        if variant == "compile" and not compile_ok:
            skipped[variant] = "--no-compile"
            continue
        model, inputs = build()
        if variant == "channels_last":
            model = model.to(memory_format=torch.channels_last)
            inputs = [x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x for x in inputs]
        elif variant == "compile":
            try:
                compiled = torch.compile(model)
                run(compiled, inputs)       # compiles (may take minutes) or raises
                model = compiled
            except Exception as e:          # no compiler, unsupported op, ...
                skipped[variant] = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
                continue
        times[variant] = median_ms(lambda: run(model, inputs), warmup=warmup, runs=runs) / per
    best = min(times, key=times.get)
    r[key] = times[best]
    r.setdefault("variants", {})[key] = times
    r.setdefault("best", {})[key] = best
    if skipped:
        r.setdefault("skipped", {})[key] = skipped
    print(f"{key}: " + ", ".join(f"{v} {t:.1f} ms" for v, t in times.items()) + f" -> best {best}", flush=True)


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


def forward_no_grad(model, inputs):
    with torch.no_grad():
        return model(*inputs)


def scene_ms(r, quick, compile_ok):
    for key, shape, runs in [("scene_256_b1_ms", (1, 3, 256, 256), 3 if quick else 5),
                             ("scene_256_b8_ms", (8, 3, 256, 256), 0 if quick else 1),
                             ("scene_64_b1_ms", (1, 3, 64, 64), 5 if quick else 15)]:
        if runs == 0:
            continue
        x = torch.randn(shape).clamp(-2, 2)
        timed_variants(r, key, lambda: (SceneSegmenter().randomize(1).eval(), [x]), forward_no_grad,
                       warmup=1, runs=runs, compile_ok=compile_ok, per=shape[0])


def train_step_ms(r, key, make, feats, labels, runs, compile_ok):
    """One extractor step (forward, cross-entropy at 256 px, backward, Adam) per variant."""
    optimisers = {}

    def run(model, inputs):
        # One Adam per (converted or compiled) model; a compiled module forwards groups() to its original.
        opt = optimisers.get(id(model))
        if opt is None:
            opt = optimisers[id(model)] = torch.optim.Adam(model.groups(0.001))
        *fs, lab = inputs
        opt.zero_grad()
        F.cross_entropy(model(fs), lab).backward()
        opt.step()
    timed_variants(r, key, lambda: (make(), [*feats, labels]), run, warmup=2, runs=runs, compile_ok=compile_ok)


JOB_PIPELINES = ["stylegan2_ffhq", "pggan_celebahq", "stylegan2_bedroom"]
JOB_EXTRACTORS = ["LSE", "NSE-1", "NSE-2"]


def import_reference(folder):
    """The reference's modules from a checkout (no lib/__init__.py). Its SELearner derives from
    pytorch_lightning.LightningModule; where that package is absent a module
    standing in for it (LightningModule = nn.Module) lets the file import;
    none of the Lightning machinery is used here."""
    import os
    import sys
    import types
    if not os.path.isfile(os.path.join(folder, "models", "semantic_extractor.py")):
        raise SystemExit(f"--reference {folder}: not a LinearGAN checkout (git clone https://github.com/AtlantixJJ/LinearGAN {folder})")
    sys.path.insert(0, folder)
    # lib/__init__.py imports the reference's plotting and data helpers
    # (torchvision, matplotlib, cv2, ...); the package is registered without
    # it, so that only lib.op and lib.loss load, as the training step needs.
    lib = types.ModuleType("lib")
    lib.__path__ = [os.path.join(folder, "lib")]
    sys.modules["lib"] = lib
    try:
        import pytorch_lightning  # noqa: F401
    except ImportError:
        pl = types.ModuleType("pytorch_lightning")
        pl.LightningModule = nn.Module
        pl.LightningDataModule = pl.Callback = object
        metrics = types.ModuleType("pytorch_lightning.metrics")
        functional = types.ModuleType("pytorch_lightning.metrics.functional")
        functional.iou = functional.precision_recall = None
        pl.metrics, metrics.functional = metrics, functional
        sys.modules.update({"pytorch_lightning": pl, "pytorch_lightning.metrics": metrics,
                            "pytorch_lightning.metrics.functional": functional})
    from models.stylegan2_generator_network import StyleGAN2GeneratorNet
    from models.pggan_generator_network import PGGANGeneratorNet
    from models.semantic_extractor import EXTRACTOR_POOL, SELearner
    from predictors.face_segmenter import FaceSegmenter
    from predictors.face_segmenter_network import UNet
    return types.SimpleNamespace(StyleGAN2=StyleGAN2GeneratorNet, PGGAN=PGGANGeneratorNet, extractors=EXTRACTOR_POOL,
                                 SELearner=SELearner, FaceSegmenter=FaceSegmenter, UNet=UNet)


def job_case(reference, generator, extractor, runs, channels_last):
    """One train step's stages (ms, medians of `runs` after a warm-up) and the peak memory."""
    import os
    import resource
    ref = import_reference(reference)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs")
    entry = next(g for g in json.load(open(os.path.join(root, "generators.json")))["generators"] if g["name"] == generator)
    config, res = dict(entry.get("config") or {}), entry["label_resolution"]
    G = (ref.PGGAN if entry["family"] == "pggan" else ref.StyleGAN2)(**config).eval()
    if entry["predictor"] == "scene_seg":
        P = SceneLabeller(generator, root)
    else:
        P = ref.FaceSegmenter.__new__(ref.FaceSegmenter)      # its __call__, without its weight file
        nn.Module.__init__(P)
        P.resolution, P.num_categories, P.net = 512, 15, ref.UNet(resolution=512).eval()
    with torch.no_grad():
        z = torch.randn(1, 512)
        feats = G.synthesis(G.truncation(G.mapping(z)), generate_feature=True)[1] if hasattr(G, "mapping") \
            else G(z, generate_feature=True)[1]
    dims = [f.shape[1] for f in feats]
    SE = ref.extractors[extractor](n_class=P.num_categories,
                                   dims=dims, layers=list(range(len(dims))), lw_type="softplus").train()
    learner = ref.SELearner(model=SE, G=G, P=P, lr=0.001, loss_type="normal", latent_strategy="trunc-wp", resolution=res)
    if channels_last:
        for m in (G, P.net, SE):
            m.to(memory_format=torch.channels_last)
    (opt,), _ = learner.configure_optimizers()
    times = [[], [], []]

    def clock(i, fn):
        t = time.perf_counter()
        r = fn()
        times[i].append((time.perf_counter() - t) * 1000)
        return r

    for _ in range(runs + 1):
        def synth():
            with torch.no_grad():
                z = torch.randn(1, 512)
                if hasattr(G, "mapping"):
                    return G.synthesis(learner.get_wp(z), generate_feature=True)
                return G(z, generate_feature=True)
        image, feature = clock(0, synth)

        def label():
            with torch.no_grad():
                return P(image, size=res).long()
        lab = clock(1, label)

        def step():     # SELearner.forward's extractor part and training_step's loss, then Adam
            segs = SE(feature, size=res)
            loss = F.cross_entropy(F.interpolate(segs[-1], size=lab.size(2), mode="bilinear", align_corners=True)
                                   if segs[-1].size(2) != lab.size(2) else segs[-1], lab)
            loss.backward()
            opt.step()
            opt.zero_grad()
        clock(2, step)
    med = [statistics.median(t[1:]) for t in times]
    return {"generator_ms": med[0], "predictor_ms": med[1], "extractor_ms": med[2],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


class SceneLabeller:
    """The reference SceneSegmenter.__call__ (normalise, DeepLabV3, the GAN's
    selected classes, background prepended, argmax) around this script's
    network, which has the reference's architecture (random weights)."""

    def __init__(self, generator, configs):
        import csv
        import os
        ade = [r[-1].split(";")[0] for r in list(csv.reader(open(os.path.join(configs, "ade20k_labels.csv"))))[1:] if r]
        row = next(r for r in csv.reader(open(os.path.join(configs, "selected_labels.csv"))) if r and r[0] == generator)
        self.label_indice = [ade.index(l) - 1 for l in row[1:] if l]
        self.num_categories = len(self.label_indice) + 1
        self.net = SceneSegmenter().randomize(1).eval()
        self.mean = torch.tensor([.485, .456, .406]).view(1, 3, 1, 1)
        self.std = torch.tensor([.229, .224, .225]).view(1, 3, 1, 1)

    def __call__(self, images, size=256):
        y = self.net(((1 + images) / 2 - self.mean) / self.std)[0][:, self.label_indice]
        return torch.cat([torch.zeros_like(y[:, :1]), y], 1).argmax(1)


def job_section(args, r):
    """Every case in a child process, both layouts; the faster kept per case."""
    import subprocess
    import sys
    r["job"] = {}
    r.setdefault("best", {})
    for g in JOB_PIPELINES:
        for se in JOB_EXTRACTORS:
            key, results = f"{g}:{se}", {}
            for layout in ("default", "channels_last"):
                cmd = [sys.executable, __file__, "--job-case", key, "--reference", args.reference,
                       "--runs", str(1 if args.quick else 3)] + (["--channels-last"] if layout == "channels_last" else []) \
                    + (["--threads", str(args.threads)] if args.threads else []) \
                    + (["--no-flush-denormal"] if args.no_flush_denormal else [])
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"job {key} {layout}: failed: {p.stderr.strip().splitlines()[-1:] }", flush=True)
                    continue
                results[layout] = json.loads(p.stdout.strip().splitlines()[-1])
                t = results[layout]
                print(f"job {key} {layout}: {t['generator_ms'] + t['predictor_ms'] + t['extractor_ms']:.0f} ms "
                      f"(generator {t['generator_ms']:.0f}, predictor {t['predictor_ms']:.0f}, extractor {t['extractor_ms']:.0f}), "
                      f"peak {t['peak_mb']:.0f} MB", flush=True)
            if results:
                best = min(results, key=lambda v: sum(results[v][k] for k in ("generator_ms", "predictor_ms", "extractor_ms")))
                r["job"][key] = results[best]
                r["best"][f"job:{key}"] = best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the figures here as JSON (else print them)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
    ap.add_argument("--quick", action="store_true", help="fewer runs (NSE-2 once)")
    ap.add_argument("--check-scene-fixture", metavar="DIR", help="check the scene segmenter module against this fixture folder first")
    ap.add_argument("--only-scene", action="store_true", help="measure sgemm and the scene segmenter only")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile variant (it compiles for minutes)")
    ap.add_argument("--section", choices=["all", "job"], default="all",
                    help="job: only the paper-scale train step (needs --reference), merged into an existing --out file")
    ap.add_argument("--reference", metavar="DIR", help="a checkout of github.com/AtlantixJJ/LinearGAN (for --section job)")
    ap.add_argument("--no-flush-denormal", action="store_true",
                    help="keep subnormal floats (PyTorch's default; flushing is faster on the scene segmenter)")
    ap.add_argument("--job-case", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=3, help=argparse.SUPPRESS)
    ap.add_argument("--channels-last", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_flush_denormal(not args.no_flush_denormal)
    if args.job_case:           # a child of --section job: one JSON line
        if args.threads:
            torch.set_num_threads(args.threads)
        torch.manual_seed(6)
        g, se = args.job_case.split(":")
        print(json.dumps(job_case(args.reference, g, se, args.runs, args.channels_last)))
        return
    if args.section == "job" and not args.reference:
        ap.error("--section job needs --reference DIR (git clone https://github.com/AtlantixJJ/LinearGAN DIR)")
    if args.check_scene_fixture:
        print(f"scene fixture: max abs difference {check_scene_fixture(args.check_scene_fixture):.2e}")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(6)
    r = {"torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
         "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "flush_denormal": not args.no_flush_denormal}

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    ms = median_ms(lambda: torch.mm(a, b), warmup=3, runs=10 if args.quick else 30)
    r["sgemm_1024_gflops"] = 2 * 1024 ** 3 / (ms * 1e6)

    compile_ok = not args.no_compile
    if args.section == "job":
        job_section(args, r)
    else:
        scene_ms(r, args.quick, compile_ok)
    if args.only_scene or args.section == "job":
        # Refreshes these figures in an existing --out file (lg-bench needs the others too).
        if "best" in r and args.out and os.path.exists(args.out):
            r["best"] = {**json.load(open(args.out)).get("best", {}), **r["best"]}
        merged = json.load(open(args.out)) if args.out and os.path.exists(args.out) else {}
        merged.update(r)
        text = json.dumps(merged, indent=2, sort_keys=True)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        print(text)
        return

    z = torch.randn(64, 100, 1, 1)
    timed_variants(r, "dcgan64_forward_b64_ms", lambda: (dcgan(), [z]), forward_no_grad,
                   warmup=3, runs=10 if args.quick else 30, compile_ok=compile_ok)

    feats = [torch.randn(1, c, s, s) for c, s in SHAPES]
    labels = torch.randint(0, N_CLASS, (1, SIZE, SIZE))
    train_step_ms(r, "lse_step_ms", lambda: LSE(mlp=False), feats, labels, 5 if args.quick else 20, compile_ok)
    train_step_ms(r, "nse1_step_ms", lambda: LSE(mlp=True), feats, labels, 3 if args.quick else 10, compile_ok)
    train_step_ms(r, "nse2_step_ms", NSE2, feats, labels, 1 if args.quick else 5, compile_ok)

    text = json.dumps(r, indent=2, sort_keys=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
