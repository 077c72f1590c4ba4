/// The scene segmenter's arithmetic, counted from its geometry.
extension SceneSegmenter {
    /// Convolution multiply-adds of one forward pass on an H x W image with
    /// the aux head off, per part (stem, layer1-4, aspp, head), as the
    /// reference network computes them: every tap of every dilated kernel
    /// counts, also those this port skips because they read only padding
    /// (`conv2dSkippingPaddingTaps`).
    public func convMACs(height: Int, width: Int) -> [(part: String, macs: Int)] {
        let cfg = config
        func out(_ n: Int, k: Int, s: Int, p: Int, d: Int = 1) -> Int { (n + 2 * p - d * (k - 1) - 1) / s + 1 }
        var h = height, w = width
        var parts: [(String, Int)] = []
        var stem = 0
        if cfg.deepStem {
            h = out(h, k: 3, s: 2, p: 1); w = out(w, k: 3, s: 2, p: 1)
            stem += h * w * cfg.stemWidth * 3 * 9
            stem += h * w * cfg.stemWidth * cfg.stemWidth * 9
            stem += h * w * 2 * cfg.stemWidth * cfg.stemWidth * 9
        } else {
            h = out(h, k: 7, s: 2, p: 3); w = out(w, k: 7, s: 2, p: 3)
            stem += h * w * 64 * 3 * 49
        }
        parts.append(("stem", stem))
        h = out(h, k: 3, s: 2, p: 1); w = out(w, k: 3, s: 2, p: 1)
        for (s, blocks) in stages.enumerated() {
            var macs = 0
            let inner = cfg.attentionWidth(stage: s)
            for b in blocks {
                let c = b.width, r = cfg.radix, card = cfg.groups
                macs += h * w * c * b.inChannels                                         // conv1
                var ch = h, cw = w
                if let a = b.avdStride, cfg.avdFirst { ch = out(h, k: 3, s: a, p: 1); cw = out(w, k: 3, s: a, p: 1) }
                let uh = out(ch, k: 3, s: b.convStride, p: b.dilation, d: b.dilation)
                let uw = out(cw, k: 3, s: b.convStride, p: b.dilation, d: b.dilation)
                macs += uh * uw * c * r * (c / (card * r)) * 9                              // split-attention conv
                macs += inner * (c / card) + c * r * (inner / card)                        // fc1, fc2
                var oh = uh, ow = uw
                if let a = b.avdStride, !cfg.avdFirst { oh = out(uh, k: 3, s: a, p: 1); ow = out(uw, k: 3, s: a, p: 1) }
                macs += oh * ow * b.outChannels * c                                       // conv3
                if b.downsample != nil { macs += oh * ow * b.outChannels * b.inChannels }   // downsample conv
                h = oh; w = ow
            }
            parts.append(("layer\(s + 1)", macs))
        }
        let c4 = cfg.outChannels(stage: 3), inter = c4 / 8, p = h * w
        let aspp = p * inter * c4 * (1 + 9 * cfg.atrousRates.count) + inter * c4 + p * inter * inter * (cfg.atrousRates.count + 2)
        parts.append(("aspp", aspp))
        parts.append(("head", p * inter * inter * 9 + p * cfg.nClasses * inter))
        return parts
    }
}
