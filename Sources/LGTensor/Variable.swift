/// Whether operations on `Variable`s record a graph for gradients.
///
/// Recording is on by default; `GradMode.withoutGradients { ... }` turns it off
/// for inference, where no graph node, closure or saved tensor is allocated.
public enum GradMode {
    @TaskLocal public static var enabled = true

    /// Runs `body` with gradient recording off.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(false) { try body() }
    }
}

/// A node of the reverse-mode autodiff graph: a value, and (for nodes that
/// need one) the rule that maps the gradient of the output to the gradients
/// of its inputs.
///
/// Leaves created with `requiresGrad: true` (parameters, latents being
/// optimised) accumulate their gradient in `grad` when `backward()` runs.
public final class Variable {
    public var value: Tensor
    /// Accumulated gradient of a leaf that requires one.
    public var grad: Tensor?
    public let requiresGrad: Bool
    /// A readable name (parameter key) for errors and checkpoints.
    public var name: String?
    let parents: [Variable]
    let backwardRule: ((Tensor) -> [Tensor?])?

    /// A leaf.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String? = nil) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.parents = []
        self.backwardRule = nil
    }

    /// An interior node. `rule` receives the output gradient and returns one
    /// gradient (or nil) per parent, each of the parent's shape.
    init(_ value: Tensor, parents: [Variable], rule: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardRule = rule
    }

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { backwardRule == nil }

    /// True when an op over these inputs must record a node (models use it
    /// to choose their inference kernels).
    @inlinable public static func tracking(_ inputs: Variable...) -> Bool {
        guard GradMode.enabled else { return false }
        for v in inputs where v.requiresGrad { return true }
        return false
    }

    static func tracking(_ inputs: [Variable]) -> Bool {
        guard GradMode.enabled else { return false }
        return inputs.contains { $0.requiresGrad }
    }

    /// A leaf with the same value and no history.
    public func detached() -> Variable { Variable(value) }

    public func zeroGrad() { grad = nil }

    /// Back-propagates from this node. `seed` defaults to ones (so a scalar
    /// loss gets d loss / d loss = 1). Gradients accumulate into leaves.
    public func backward(_ seed: Tensor? = nil) {
        let seed = seed ?? Tensor(repeating: 1, shape: value.shape)
        checkSameShape(seed.shape, value.shape, "backward seed")
        guard requiresGrad else { return }
        // Topological order by iterative depth-first search.
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            let id = ObjectIdentifier(node)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((node, true))
            for p in node.parents where p.requiresGrad && !visited.contains(ObjectIdentifier(p)) {
                stack.append((p, false))
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let g = grads.removeValue(forKey: id) else { continue }
            guard let rule = node.backwardRule else {
                if let existing = node.grad { node.grad = existing.adding(g) } else { node.grad = g }
                continue
            }
            let pg = rule(g)
            for (p, gp) in zip(node.parents, pg) where p.requiresGrad {
                guard let gp else { continue }
                checkSameShape(gp.shape, p.value.shape, "gradient of parent")
                let pid = ObjectIdentifier(p)
                if let e = grads[pid] { grads[pid] = e.adding(gp) } else { grads[pid] = gp }
            }
        }
    }
}

extension Variable: CustomStringConvertible {
    public var description: String {
        "Variable(\(name.map { "\($0), " } ?? "")\(value.description), requiresGrad: \(requiresGrad))"
    }
}
