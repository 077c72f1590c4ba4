/// Adam's state as checkpoint material: the moments as flat tensors under
/// caller-chosen key prefixes (`<m><group>/<parameter>`,
/// `<v><group>/<parameter>`) and the small rest (step counts, learning
/// rates) as a Codable value for the checkpoint's JSON. Every checkpoint
/// format in the project (extractor jobs, GAN training, segmenter training)
/// stores its optimisers this way; only the prefixes differ, and they are
/// part of those formats.
extension Adam {
    /// Where the moments live in a checkpoint's tensor map.
    public struct MomentKeys: Sendable, Equatable {
        public var m: String
        public var v: String

        public init(m: String, v: String) { self.m = m; self.v = v }

        public func m(_ group: Int, _ parameter: Int) -> String { "\(m)\(group)/\(parameter)" }
        public func v(_ group: Int, _ parameter: Int) -> String { "\(v)\(group)/\(parameter)" }
    }

    /// The JSON half of the state: per group the learning rate, per
    /// parameter the step count (nil before its first update).
    public struct StateMeta: Codable, Equatable, Sendable {
        public var learningRates: [Float]
        public var steps: [[Int?]]

        public init(learningRates: [Float], steps: [[Int?]]) { self.learningRates = learningRates; self.steps = steps }
    }

    /// The state to save: its JSON half and its moments under `keys`.
    public func exportState(keys: MomentKeys) -> (meta: StateMeta, tensors: [String: Tensor]) {
        let snap = snapshot()
        var tensors: [String: Tensor] = [:]
        for (gi, group) in snap.states.enumerated() {
            for (pi, st) in group.enumerated() {
                guard let st else { continue }
                tensors[keys.m(gi, pi)] = Tensor(shape: [st.m.count], data: st.m)
                tensors[keys.v(gi, pi)] = Tensor(shape: [st.v.count], data: st.v)
            }
        }
        return (StateMeta(learningRates: snap.learningRates, steps: snap.states.map { $0.map { $0?.step } }), tensors)
    }

    /// Restores what `exportState` saved. Every moment must be present and
    /// sized like its parameter; the groups must match this optimiser's.
    /// An empty `meta.steps` (a checkpoint taken before any step) leaves the
    /// optimiser as it is.
    public func importState(_ meta: StateMeta, tensors: [String: Tensor], keys: MomentKeys) throws(OptimizerError) {
        guard !meta.steps.isEmpty else { return }
        guard meta.steps.count == groups.count,
              zip(meta.steps, groups).allSatisfy({ $0.count == $1.parameters.count }) else {
            throw .mismatchedSnapshot(expectedGroups: groups.map(\.parameters.count), found: meta.steps.map(\.count))
        }
        // The moment stored under `key`, sized like parameter pi of group gi.
        func moment(_ key: String, _ gi: Int, _ pi: Int) throws(OptimizerError) -> [Float] {
            let size = groups[gi].parameters[pi].value.count
            guard let t = tensors[key] else { throw .missingMoment(key: key) }
            guard t.count == size else { throw .missizedMoment(key: key, expected: size, found: t.count) }
            return t.data
        }
        var states: [[State?]] = []
        for (gi, group) in meta.steps.enumerated() {
            var g: [State?] = []
            for (pi, step) in group.enumerated() {
                guard let step else { g.append(nil); continue }
                g.append(State(step: step, m: try moment(keys.m(gi, pi), gi, pi), v: try moment(keys.v(gi, pi), gi, pi)))
            }
            states.append(g)
        }
        try restore(Snapshot(learningRates: meta.learningRates, states: states))
    }
}
