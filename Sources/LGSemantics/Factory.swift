import LGTensor
import LGModels

/// Builds a freshly initialised extractor of `arch` (theta = ones, convs with
/// PyTorch's default uniform init drawn from `rng`).
public func makeSemanticExtractor(_ arch: ExtractorArch, rng: inout SeededRandom) throws -> any SemanticExtractor {
    switch arch.type {
    case .lse, .nse1: return try LayerwiseExtractor(arch: arch, rng: &rng)
    case .nse2: return try NSE2Extractor(arch: arch, rng: &rng)
    }
}

/// Builds an extractor of `arch` and loads `stateDict` into it.
public func makeSemanticExtractor(_ arch: ExtractorArch, stateDict: StateDict) throws -> any SemanticExtractor {
    var rng = SeededRandom(seed: 0)
    let se = try makeSemanticExtractor(arch, rng: &rng)
    try se.load(stateDict)
    return se
}
