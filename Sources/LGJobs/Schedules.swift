import LGTensor

/// Gradient accumulation by epoch (pytorch-lightning's
/// `accumulate_grad_batches={epoch: steps}`): from each listed epoch on,
/// the optimiser steps once per that many training steps, and at the last
/// step of an epoch. Each step's loss is divided by the epoch's
/// accumulation count before its gradients are added (so a full group
/// averages its losses, as Lightning does).
public struct AccumulationSchedule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// (first epoch, steps per optimiser update), sorted by epoch; the first starts at 0.
    public private(set) var entries: [Entry]

    public struct Entry: Sendable, Equatable, Codable {
        public var epoch: Int
        public var steps: Int
    }

    /// The paper's schedule: 1 step in epochs 0-1, 4 in 2-17, 64 from 18 on.
    public static let reference = AccumulationSchedule(uncheckedEntries: [(0, 1), (2, 4), (18, 64)])

    /// The same count in every epoch (few-shot: N).
    public static func constant(_ steps: Int) -> AccumulationSchedule {
        AccumulationSchedule(uncheckedEntries: [(0, max(steps, 1))])
    }

    init(uncheckedEntries e: [(Int, Int)]) { entries = e.map { Entry(epoch: $0.0, steps: $0.1) } }

    /// From `{epoch: steps}`; epoch 0 defaults to 1 step when absent.
    public init(_ schedule: [Int: Int]) throws {
        var s = schedule
        if s[0] == nil { s[0] = 1 }
        guard s.allSatisfy({ $0.key >= 0 && $0.value >= 1 }) else {
            throw JobError.badParameter(name: "accumulation", value: "\(schedule)", expected: "epochs >= 0 and step counts >= 1")
        }
        entries = s.keys.sorted().map { Entry(epoch: $0, steps: s[$0]!) }
    }

    /// Parses `0:1,2:4,18:64`.
    public init(parsing text: String) throws {
        var s: [Int: Int] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: ":")
            guard kv.count == 2, let e = Int(kv[0].trimmingCharacters(in: .whitespaces)),
                  let n = Int(kv[1].trimmingCharacters(in: .whitespaces)) else {
                throw JobError.badParameter(name: "accumulation", value: text, expected: "epoch:steps pairs such as 0:1,2:4,18:64")
            }
            s[e] = n
        }
        try self.init(s)
    }

    /// Steps per optimiser update in `epoch`.
    public func steps(atEpoch epoch: Int) -> Int {
        entries.last { $0.epoch <= epoch }?.steps ?? 1
    }

    /// Whether the optimiser steps after step `index` (0-based within the
    /// epoch) of an epoch of `stepsPerEpoch` steps.
    public func updatesAfter(step index: Int, stepsPerEpoch: Int, epoch: Int) -> Bool {
        (index + 1) % steps(atEpoch: epoch) == 0 || index + 1 == stepsPerEpoch
    }

    public var description: String { entries.map { "\($0.epoch):\($0.steps)" }.joined(separator: ",") }
}

/// The learning-rate schedule of both trainings: MultiStepLR stepped at
/// every epoch end, so epoch e trains at base x gamma^(milestones <= e).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public var milestones: [Int]
    public var gamma: Float

    public static let reference = LearningRateSchedule(milestones: [20], gamma: 0.1)

    public init(milestones: [Int], gamma: Float) { self.milestones = milestones.sorted(); self.gamma = gamma }

    var multiStep: MultiStepLR { MultiStepLR(milestones: milestones, gamma: gamma) }

    /// The multiplier of the base rates in `epoch`.
    public func factor(epoch: Int) -> Float { multiStep.factor(epoch: epoch) }

    /// Sets `optimizer`'s rates for `epoch`.
    public func apply(to optimizer: Adam, epoch: Int) { multiStep.apply(to: optimizer, epoch: epoch) }
}
