import CKernels
import Foundation

/// 3x3 convolutions at stride 1 with padding equal to their dilation (the
/// scene segmenter's split-attention convolutions: grouped, dilated 1, 2
/// and 4), by Winograd F(2x2, 3x3) with the transforms fused into the
/// plane products (`lg_wg3_run` in CKernels): per block of tiles, V, the
/// 16 products M = U V and the output transform stay in L2, and the
/// products run on the own sgemm's micro-kernel. A dilated map runs as
/// its d x d phases, each an undilated 3x3 convolution on its sub-map.
///
/// 2.25x fewer multiply-adds than im2col. F(2x2, 3x3)'s rounding stays
/// within a few times im2col's (docs/scene-segmenter.md: equal to layer3,
/// about 2.5x at the segmenter's logits), unlike F(4x4, 3x3)'s, which the segmenter
/// keeps off (`SceneSegmenter.allowsWinograd`). Inference only: it has no
/// backward.
///
/// The unfused form of the same algorithm (V and M in memory, one GEMM per
/// plane and group) was slower than im2col in the network: V and M are
/// several times the map and went through memory at every layer.
public enum WinogradGrouped {
    /// Whether `conv2dWinogradGrouped` runs (tests and benchmarks compare it
    /// with im2col); `LG_FUSED_WINOGRAD=0` turns it off for a process.
    nonisolated(unsafe) public static var enabled = ProcessInfo.processInfo.environment["LG_FUSED_WINOGRAD"] != "0"

    /// The kernel variant it runs in (the own sgemm's, `GEMMKernel.isa`,
    /// unless a test names another), where this CPU has one (AVX2 or AVX-512).
    static func isa(_ variant: KernelISA? = nil) -> lg_isa? {
        let v = (variant ?? GEMMKernel.isa).c
        return lg_sgemm_available(v) != 0 ? v : nil
    }

    /// Whether it serves x (N, C, H, W) with weight (Cout, C / groups, 3, 3)
    /// under `o`: stride 1, square dilation d, padding d on both axes.
    public static func applies(_ x: [Int], _ w: [Int], _ o: Conv2DOptions) -> Bool {
        guard enabled, isa() != nil, x.count == 4, w.count == 4, w[2] == 3, w[3] == 3, o.groups >= 1,
              o.stride == (1, 1), o.dilation.h == o.dilation.w, o.dilation.h >= 1,
              o.padding == (o.dilation.h, o.dilation.h) else { return false }
        return x[1] % o.groups == 0 && w[0] % o.groups == 0 && w[1] == x[1] / o.groups && x[2] > 0 && x[3] > 0
    }
}

extension Tensor {
    /// `conv2d(weight, bias:, o)` followed by `epilogue`, by the fused
    /// F(2x2, 3x3) (`WinogradGrouped`); nil where that does not apply or
    /// its kernel could not run (the caller then convolves otherwise).
    /// The transformed weights are kept between inference calls
    /// (`TransformedWeightCache`, scheme "wg3").
    public func conv2dWinogradGrouped(_ weight: Tensor, bias: Tensor? = nil, _ o: Conv2DOptions,
                                      epilogue: ChannelEpilogue? = nil) -> Tensor? {
        conv2dWinogradGrouped(weight, bias: bias, o, epilogue: epilogue, variant: nil)
    }

    /// The same in kernel variant `variant` (nil: the own sgemm's).
    func conv2dWinogradGrouped(_ weight: Tensor, bias: Tensor?, _ o: Conv2DOptions, epilogue: ChannelEpilogue?,
                               variant: KernelISA?) -> Tensor? {
        guard WinogradGrouped.applies(shape, weight.shape, o), let isa = WinogradGrouped.isa(variant) else { return nil }
        let n = shape[0], cin = shape[1], h = shape[2], w = shape[3], cout = weight.shape[0], g = o.groups
        let cinG = cin / g, coutG = cout / g, d = o.dilation.h, hw = h * w
        Tensor.checkConvChannelMaps(weight, bias: bias, epilogue: epilogue)
        // The bias folds into the epilogue's shift: (v + b) s + t = v s + (b s + t).
        var mode: Int32 = 0, scale: [Float] = [], shift: [Float] = [], slope: Float = 0
        if epilogue != nil || bias != nil {
            scale = epilogue?.scale ?? [Float](repeating: 1, count: cout)
            shift = epilogue?.shift ?? [Float](repeating: 0, count: cout)
            if let bias { for j in 0..<cout { shift[j] += bias.data[j] * scale[j] } }
            mode = epilogue?.mode ?? 1
            slope = epilogue?.negativeSlope ?? 0
        }
        let perGroup = lg_wg3_weight_floats(isa, coutG, cinG)
        let rowGroups = lg_wg3_row_groups(h, d), perBlock = lg_wg3_block_row_groups(isa, cinG, w, d)
        let blocks = (rowGroups + perBlock - 1) / perBlock
        // Every output is written by exactly one block.
        var out = [Float](uninitializedCount: n * cout * hw)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: g * perGroup * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: g * perGroup)
        defer { scratch.deallocate() }
        let ran = weight.data.withUnsafeBufferPointer { wp in
            TransformedWeightCache.shared.with(weight, scheme: "wg3-\(isa.rawValue)", count: g * perGroup, scratch: scratch,
                                               transform: { u in
                for gi in 0..<g { _ = lg_wg3_pack_weights(isa, wp.baseAddress! + gi * coutG * cinG * 9, coutG, cinG, u + gi * perGroup) }
            }) { u -> Bool in
                data.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { yp in
                scale.withUnsafeBufferPointer { sc in
                shift.withUnsafeBufferPointer { sh in
                    let x = UncheckedSendable(xp.baseAddress!), y = UncheckedSendable(yp.baseAddress!), uu = UncheckedSendable(u)
                    let sp = UncheckedSendable(sc.baseAddress), hp = UncheckedSendable(sh.baseAddress)
                    let items = n * g * blocks
                    let failed = UncheckedSendable(UnsafeMutablePointer<Bool>.allocate(capacity: items))
                    defer { failed.value.deallocate() }
                    // Items in (sample, group, block) order: each core's
                    // contiguous share streams as few groups' U as it can.
                    Parallel.forEach(items) { r in
                        for item in r {
                            let b = item / (g * blocks), gi = item / blocks % g, blk = item % blocks
                            let r0 = blk * perBlock, nr = min(perBlock, rowGroups - r0)
                            failed.value[item] = lg_wg3_run(isa, x.value + (b * cin + gi * cinG) * hw, hw, h, w, d, cinG,
                                                            uu.value + gi * perGroup, coutG, r0, nr,
                                                            y.value + (b * cout + gi * coutG) * hw, hw, mode,
                                                            sp.value.map { $0 + gi * coutG }, hp.value.map { $0 + gi * coutG },
                                                            slope) == 0
                        }
                    }
                    return !(0..<items).contains { failed.value[$0] }
                }}}}
            }
        }
        guard ran else { return nil }
        return Tensor(shape: [n, cout, h, w], data: out)
    }
}
