import Foundation
import LGJobKinds

/// Parameters of an `scs` job, decoded through the `scs` table (LGJobKinds).
public struct SCSJobOptions: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        /// The few-shot LSE `r{repeat}_n{numSample}` (its train_fewshot job's checkpoint).
        case fewShotLSE(repeat: Int, numSample: Int)
        /// The predictor on the generated image.
        case predictor
    }

    /// The job's parameters as its table checks them: a parameter added to
    /// the table later is read from here where it acts (`KindTable`).
    public var parameters: KindParameters
    public var generator: String
    /// A registered predictor of the same label set instead of the generator's.
    public var predictor: String?
    public var method: Method
    public var sampling: SCSOptions
    public var samplesPerTarget: Int
    public var targets: Int
    public var targetSeed: UInt64
    public var seed: UInt64

    public init(parameters: [String: String]) throws { try self.init(JobKind.scs.table.validate(parameters)) }

    public init(_ p: KindParameters) throws {
        parameters = p
        generator = try p.text("G")
        predictor = try p.optionalText("predictor")
        let r = try p.int("repeat"), n = try p.int("num_sample")
        method = try p.text("extractor") == "predictor" ? .predictor : .fewShotLSE(repeat: r, numSample: n)
        let zReg = try p.number("z_reg")
        guard Float(zReg) == latentRegularizerWeight else {
            throw ParameterError.invalid(kind: "scs", name: "z_reg", value: p["z_reg"] ?? "\(zReg)",
                                         expected: "\(latentRegularizerWeight) (the reference's weight; no other is implemented)")
        }
        sampling = SCSOptions(nInit: try p.int("n_init"), nIter: try p.int("steps"), learningRate: Float(try p.number("lr")),
                              space: try p.choice("optim_strategy", as: LatentSpace.self))
        samplesPerTarget = try p.int("samples_per_target")
        targets = try p.int("targets")
        targetSeed = try p.seed("target_seed")
        seed = try p.seed("seed")
    }

    /// `r{repeat}_n{num_sample}`, or `baseline` for the predictor (+ `KindParameters.outputSuffix`).
    public var tag: String {
        switch method {
        case .predictor: return "baseline" + parameters.outputSuffix
        case let .fewShotLSE(r, n): return "r\(r)_n\(n)" + parameters.outputSuffix
        }
    }
}
