import Foundation

/// A seeded pseudo-random generator (xoshiro256** seeded through splitmix64).
/// Same seed, same numbers, on every machine. Its full state can be saved
/// and restored, so interrupted jobs resume exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: [UInt64]
    /// A second normal variate left over from the last Box-Muller pair.
    public private(set) var spareNormal: Double?

    public init(seed: UInt64) {
        var z = seed
        state = (0..<4).map { _ in
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        spareNormal = nil
    }

    /// Restores a saved state.
    public init(state: [UInt64], spareNormal: Double?) {
        precondition(state.count == 4, "a SeededRandom state has 4 words")
        self.state = state
        self.spareNormal = spareNormal
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal (Box-Muller, pairs cached).
    public mutating func normal() -> Double {
        if let s = spareNormal { spareNormal = nil; return s }
        var u1 = uniform()
        while u1 <= Double.leastNonzeroMagnitude { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * Double.pi * u2)
        return r * Foundation.cos(2 * Double.pi * u2)
    }

    /// An integer in `range`.
    public mutating func int(in range: Range<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// A tensor of standard normal values.
    public mutating func normalTensor(_ shape: [Int], std: Float = 1, mean: Float = 0) -> Tensor {
        var d = [Float](repeating: 0, count: Tensor.count(of: shape))
        for i in 0..<d.count { d[i] = Float(normal()) * std + mean }
        return Tensor(shape: shape, data: d)
    }

    /// A tensor of values uniform in [low, high).
    public mutating func uniformTensor(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        var d = [Float](repeating: 0, count: Tensor.count(of: shape))
        for i in 0..<d.count { d[i] = low + (high - low) * Float(uniform()) }
        return Tensor(shape: shape, data: d)
    }
}
