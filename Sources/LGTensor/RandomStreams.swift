/// Independent random streams of a run, derived from its seed by name
/// (FNV-1a of the name mixed into the seed, then splitmix64). Jobs and the
/// GAN trainer use the same derivation, so a stream name means the same
/// numbers everywhere.
public enum RandomStreams {
    public static func seed(_ base: UInt64, _ stream: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var z = base ^ h
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public static func make(_ base: UInt64, _ stream: String) -> SeededRandom { SeededRandom(seed: seed(base, stream)) }
}

/// A `SeededRandom` state as hex words (JSON keys `words`, `spare`): exact
/// through JSON, which a Double or a UInt64 number is not.
public struct RandomState: Codable, Equatable, Sendable {
    public var words: [String]
    public var spare: String?

    public init(_ r: SeededRandom) {
        words = r.state.map { String($0, radix: 16) }
        spare = r.spareNormal.map { String($0.bitPattern, radix: 16) }
    }

    /// The generator this state describes; nil with a reason when the words
    /// are not four hex words or the spare normal is not hex.
    public func random() -> Result<SeededRandom, RandomStateError> {
        let w = words.compactMap { UInt64($0, radix: 16) }
        guard w.count == 4, words.count == 4 else { return .failure(.badWords(words)) }
        var s: Double? = nil
        if let sp = spare {
            guard let bits = UInt64(sp, radix: 16) else { return .failure(.badSpare(sp)) }
            s = Double(bitPattern: bits)
        }
        return .success(SeededRandom(state: w, spareNormal: s))
    }
}

public enum RandomStateError: Error, Equatable, CustomStringConvertible {
    case badWords([String])
    case badSpare(String)

    public var description: String {
        switch self {
        case .badWords(let w): return "random state \(w) is not 4 hex words"
        case .badSpare(let s): return "random spare normal \(s) is not hex"
        }
    }
}
