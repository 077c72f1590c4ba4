import Foundation

/// A group of parameters sharing a learning rate (PyTorch param groups).
public struct ParameterGroup {
    public var parameters: [Variable]
    public var learningRate: Float
    /// The learning rate the group started with (schedulers scale this).
    public let initialLearningRate: Float

    public init(_ parameters: [Variable], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.initialLearningRate = learningRate
    }
}

/// Adam with PyTorch's semantics (bias-corrected moments, eps added to the
/// corrected square root, optional L2 weight decay added to the gradient).
public final class Adam {
    public var groups: [ParameterGroup]
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// Per-parameter state: step count and the two moment estimates.
    public struct State: Codable, Equatable, Sendable {
        public var step: Int
        public var m: [Float]
        public var v: [Float]

        public init(step: Int, m: [Float], v: [Float]) { self.step = step; self.m = m; self.v = v }
    }
    public private(set) var states: [[State?]]

    public init(_ groups: [ParameterGroup], beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0) {
        self.groups = groups
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.states = groups.map { [State?](repeating: nil, count: $0.parameters.count) }
    }

    public convenience init(_ parameters: [Variable], learningRate: Float) {
        self.init([ParameterGroup(parameters, learningRate: learningRate)])
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for g in groups { for p in g.parameters { p.grad = nil } }
    }

    /// One update of every parameter that has a gradient.
    public func step() {
        for gi in groups.indices {
            let lr = groups[gi].learningRate
            for (pi, p) in groups[gi].parameters.enumerated() {
                guard let grad = p.grad else { continue }
                var st = states[gi][pi] ?? State(step: 0, m: [Float](repeating: 0, count: grad.count),
                                                 v: [Float](repeating: 0, count: grad.count))
                // The moments are updated in place: without this the array
                // still held them, and the first write copied both.
                states[gi][pi] = nil
                st.step += 1
                let bc1 = 1 - Foundation.pow(beta1, Float(st.step))
                let bc2 = 1 - Foundation.pow(beta2, Float(st.step))
                let stepSize = lr / bc1
                let bc2Sqrt = bc2.squareRoot()
                let b1 = beta1, b2 = beta2, e = eps, wd = weightDecay
                grad.data.withUnsafeBufferPointer { gb in
                    p.value.data.withUnsafeMutableBufferPointer { xb in
                        st.m.withUnsafeMutableBufferPointer { mb in
                            st.v.withUnsafeMutableBufferPointer { vb in
                                guard xb.count > 0 else { return }
                                let gp = UncheckedSendable(gb.baseAddress!), xp = UncheckedSendable(xb.baseAddress!)
                                let mp = UncheckedSendable(mb.baseAddress!), vp = UncheckedSendable(vb.baseAddress!)
                                // Elements across cores (an NSE-2 head has tens of
                                // millions); each element's update is the same expression.
                                Parallel.forEach(xb.count, minimum: Tensor.elementwiseGrain) { r in
                                    let g = gp.value, x = xp.value, m = mp.value, v = vp.value
                                    for i in r {
                                        let gi = wd != 0 ? g[i] + wd * x[i] : g[i]
                                        m[i] = b1 * m[i] + (1 - b1) * gi
                                        v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                        let denom = v[i].squareRoot() / bc2Sqrt + e
                                        x[i] -= stepSize * m[i] / denom
                                    }
                                }
                            }
                        }
                    }
                }
                states[gi][pi] = st
            }
        }
    }

    /// The optimiser's state, to save beside a checkpoint.
    public struct Snapshot: Codable, Equatable, Sendable {
        public var learningRates: [Float]
        public var states: [[State?]]

        public init(learningRates: [Float], states: [[State?]]) { self.learningRates = learningRates; self.states = states }
    }

    public func snapshot() -> Snapshot {
        Snapshot(learningRates: groups.map(\.learningRate), states: states)
    }

    /// Restores a snapshot taken from an optimiser over the same parameters.
    public func restore(_ s: Snapshot) throws(OptimizerError) {
        guard s.states.count == groups.count,
              zip(s.states, groups).allSatisfy({ $0.count == $1.parameters.count }) else {
            throw .mismatchedSnapshot(expectedGroups: groups.map(\.parameters.count), found: s.states.map(\.count))
        }
        for (gi, lr) in s.learningRates.enumerated() where gi < groups.count { groups[gi].learningRate = lr }
        states = s.states
    }
}

public enum OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    case mismatchedSnapshot(expectedGroups: [Int], found: [Int])
    case missingMoment(key: String)
    case missizedMoment(key: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .mismatchedSnapshot(e, f):
            return "optimiser state has parameter groups of sizes \(f), but this optimiser has \(e): the checkpoint belongs to a different model; start without resuming or use the matching checkpoint"
        case let .missingMoment(key):
            return "optimiser moment '\(key)' is missing from the checkpoint: the file is incomplete; delete it to start over"
        case let .missizedMoment(key, e, f):
            return "optimiser moment '\(key)' has \(f) values, its parameter \(e): the checkpoint belongs to a different model; delete it to start over"
        }
    }
}

/// PyTorch's MultiStepLR: each group's learning rate is its initial rate
/// times gamma to the number of milestones reached by `epoch`.
public struct MultiStepLR: Sendable {
    public var milestones: [Int]
    public var gamma: Float

    public init(milestones: [Int], gamma: Float = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func factor(epoch: Int) -> Float {
        Foundation.pow(gamma, Float(milestones.filter { $0 <= epoch }.count))
    }

    /// Sets the optimiser's learning rates for `epoch` (0-based).
    public func apply(to optimizer: Adam, epoch: Int) {
        let f = factor(epoch: epoch)
        for i in optimizer.groups.indices {
            optimizer.groups[i].learningRate = optimizer.groups[i].initialLearningRate * f
        }
    }
}
