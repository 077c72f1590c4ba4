import LGTensor

/// The fixed filters the discriminators downsample with.
enum DownsampleFilters {
    /// 2x2 average pooling as a box FIR kernel (genforce's `DownsamplingLayer` in PGGAN/StyleGAN).
    static let box: Tensor = Tensor(repeating: 0.25, shape: [2, 2])

    /// StyleGAN's normalised [1, 2, 1] blur.
    static let blur121: Tensor = outer([1, 2, 1])

    /// StyleGAN2's normalised [1, 3, 3, 1] FIR filter.
    static let fir1331: Tensor = outer([1, 3, 3, 1])

    static func outer(_ k: [Float]) -> Tensor {
        let n = k.count
        let s = k.reduce(0, +)
        var d = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { d[i * n + j] = k[i] * k[j] / (s * s) } }
        return Tensor(shape: [n, n], data: d)
    }
}

extension Variable {
    /// 2x2 average pooling.
    func averagePool2x() -> Variable {
        upfirdn2d(DownsampleFilters.box, UpFirDnOptions(down: 2, pad: (0, 0)))
    }
}
