import LGTensor

extension Variable {
    /// PGGAN's and StyleGAN's fused up-sampling kernel for a 3x3 weight (in,
    /// out, 3, 3): `scale` times the weight summed over its 4 shifts, (in,
    /// out, 4, 4), for a stride-2 transposed convolution. Without gradients
    /// it is made once per weight and kept (`TransformedWeightCache.derived`),
    /// so that the same storage reaches the convolution on every call and
    /// its own transform is kept too.
    func fusedUpsamplingKernel(scale: Float) -> Variable {
        TransformedWeightCache.shared.derived(self, scheme: "fused-up-\(scale)") {
            ($0 * scale).upfirdn2d(Tensor(repeating: 1, shape: [2, 2]), UpFirDnOptions(pad: (1, 1)))
        }
    }
}
