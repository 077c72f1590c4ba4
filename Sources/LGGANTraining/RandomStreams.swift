import LGTensor

/// Independent random streams of a run, derived from its seed by name
/// (FNV-1a of the name mixed into the seed, then splitmix64).
enum RandomStreams {
    static func seed(_ base: UInt64, _ stream: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var z = base ^ h
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func make(_ base: UInt64, _ stream: String) -> SeededRandom { SeededRandom(seed: seed(base, stream)) }
}

/// A `SeededRandom` state as hex words: exact through JSON.
struct RandomState: Codable, Equatable {
    var words: [String]
    var spare: String?

    init(_ r: SeededRandom) {
        words = r.state.map { String($0, radix: 16) }
        spare = r.spareNormal.map { String($0.bitPattern, radix: 16) }
    }

    func random(path: String) throws -> SeededRandom {
        let w = words.compactMap { UInt64($0, radix: 16) }
        guard w.count == 4, words.count == 4 else {
            throw GANTrainingError.badCheckpoint(path: path, reason: "random state \(words) is not 4 hex words")
        }
        var s: Double? = nil
        if let sp = spare {
            guard let bits = UInt64(sp, radix: 16) else {
                throw GANTrainingError.badCheckpoint(path: path, reason: "random spare normal \(sp) is not hex")
            }
            s = Double(bitPattern: bits)
        }
        return SeededRandom(state: w, spareNormal: s)
    }
}
