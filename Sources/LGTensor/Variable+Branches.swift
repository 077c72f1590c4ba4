import Foundation

extension Variable {
    /// Runs independent sub-graphs side by side: `branch(i, x)` maps
    /// `inputs[i]` to one output, and the branches run concurrently on the
    /// cores, each with single-threaded GEMMs, in the forward pass and again
    /// in the backward pass. The values and gradients are those of calling
    /// `branch` on each input in turn (up to OpenBLAS's rounding when a GEMM
    /// is split differently across threads).
    ///
    /// Many small or thin GEMMs (the 13 1x1-convolution heads of an NSE-1,
    /// 72 rows by 65,536 columns at 256 px) run at 60-70 % of OpenBLAS's
    /// peak when each is split across its threads, and well above that one
    /// per core.
    ///
    /// - Precondition: no two branches share a leaf that requires a gradient
    ///   (each has its own parameters): their backward passes accumulate
    ///   into those leaves at the same time.
    /// - Parameters:
    ///   - costs: relative work of each branch (for instance its
    ///     multiply-adds), for balancing the branches over the cores; equal
    ///     when nil.
    /// - Returns: one output per input, in order. Where gradients are
    ///   recorded, each output's gradient reaches the branches' parameters
    ///   and inputs when `backward()` passes the point where all the outputs'
    ///   gradients are known.
    public static func concurrentBranches(_ inputs: [Variable], costs: [Double]? = nil,
                                          _ branch: (Int, Variable) -> Variable) -> [Variable] {
        concurrentBranches(inputs, costs: costs, width: Parallel.width, branch)
    }

    /// `concurrentBranches` over `width` cores (tests force 2 on any machine).
    static func concurrentBranches(_ inputs: [Variable], costs: [Double]?, width: Int,
                                   _ branch: (Int, Variable) -> Variable) -> [Variable] {
        guard width > 1, inputs.count > 1 else {
            return inputs.enumerated().map { branch($0.offset, $0.element) }
        }
        precondition(costs == nil || costs!.count == inputs.count,
                     "concurrentBranches: \(costs!.count) costs for \(inputs.count) inputs")
        let groups = balancedGroups(costs ?? Array(repeating: 1, count: inputs.count), parts: width)
        let recording = GradMode.enabled
        // Each branch reads a leaf holding its input's value, so its graph
        // ends there and its backward can run on its own.
        let leaves = inputs.map { recording ? Variable($0.value, requiresGrad: $0.requiresGrad) : $0 }
        var outputs = [Variable?](repeating: nil, count: inputs.count)
        outputs.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedSendable(out.baseAddress!), sources = UncheckedSendable(leaves)
            withoutActuallyEscaping(branch) { branch in
                let body = UncheckedSendable(branch)
                BLAS.singleThreaded {
                    DispatchQueue.concurrentPerform(iterations: groups.count) { g in
                        // Gradient mode is task-local: carry it onto this thread.
                        GradMode.$enabled.withValue(recording) {
                            for i in groups[g] { slots.value[i] = body.value(i, sources.value[i]) }
                        }
                    }
                }
            }
        }
        let inner = outputs.map { $0! }
        guard recording, inner.contains(where: \.requiresGrad) else { return inner }
        return joinBranches(inputs: inputs, leaves: leaves, inner: inner, groups: groups)
    }

    /// Wires the branches' graphs into the caller's: each output is a node
    /// that records its gradient and hands it on to one hidden node, a
    /// parent of all of them, which `backward()` therefore reaches after
    /// every output's gradient is in. That node runs the branches' backward
    /// passes concurrently and returns the inputs' gradients.
    private static func joinBranches(inputs: [Variable], leaves: [Variable], inner: [Variable],
                                     groups: [[Int]]) -> [Variable] {
        let pending = BranchGradients(count: inner.count)
        let join = Variable(Tensor(zeros: [1]), parents: inputs) { _ in
            let grads = pending.take()
            let jobs = UncheckedSendable((inner, grads))
            BLAS.singleThreaded {
                DispatchQueue.concurrentPerform(iterations: groups.count) { g in
                    GradMode.$enabled.withValue(true) {
                        for i in groups[g] {
                            if let gy = jobs.value.1[i], jobs.value.0[i].requiresGrad { jobs.value.0[i].backward(gy) }
                        }
                    }
                }
            }
            return leaves.map { leaf in
                defer { leaf.grad = nil }
                return leaf.grad
            }
        }
        return inner.enumerated().map { i, y in
            guard y.requiresGrad else { return y }
            return Variable(y.value, parents: [join]) { g in
                pending.add(g, at: i)
                return [Tensor(zeros: [1])]
            }
        }
    }

    /// Splits `0..<costs.count` into at most `parts` groups of about equal
    /// total cost: the largest first, each to the lightest group so far.
    static func balancedGroups(_ costs: [Double], parts: Int) -> [[Int]] {
        let n = min(parts, costs.count)
        var groups = [[Int]](repeating: [], count: n)
        var load = [Double](repeating: 0, count: n)
        for i in costs.indices.sorted(by: { costs[$0] > costs[$1] }) {
            let g = load.indices.min(by: { load[$0] < load[$1] })!
            groups[g].append(i)
            load[g] += costs[i]
        }
        return groups.map { $0.sorted() }
    }
}

/// The output gradients of a set of branches, gathered one at a time by
/// `backward()` and taken together by the node that runs the branches'
/// backward passes.
private final class BranchGradients: @unchecked Sendable {
    private var grads: [Tensor?]

    init(count: Int) { grads = Array(repeating: nil, count: count) }

    func add(_ g: Tensor, at i: Int) {
        grads[i] = grads[i].map { $0.adding(g) } ?? g
    }

    func take() -> [Tensor?] {
        defer { grads = Array(repeating: nil, count: grads.count) }
        return grads
    }
}
