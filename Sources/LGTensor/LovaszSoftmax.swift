import Foundation

extension Variable {
    /// The Lovász-softmax loss of logits (N, C, H, W) against integer labels
    /// (N, H, W) (Berman et al., CVPR 2018): a convex surrogate of 1 - IoU,
    /// so training on it aims at the mean IoU rather than at pixel accuracy.
    /// As the reference's `lovasz_softmax(probas, labels, classes='present',
    /// per_image=False)`: one Jaccard surrogate per class present in
    /// `labels`, over all the batch's pixels, averaged over those classes.
    ///
    /// For class c, with p the softmax probabilities and fg the indicator of
    /// label c, the errors e = |fg - p_c| sorted in decreasing order are
    /// dotted with the gradient of the Lovász extension of the Jaccard loss
    /// at that order. The loss is piecewise linear in e, so its gradient with
    /// respect to e is that Lovász gradient (put back in pixel order).
    public func lovaszSoftmax(_ labels: Labels) -> Variable {
        precondition(value.rank == 4 && labels.shape == [shape[0], shape[2], shape[3]],
                     "Lovász-softmax: logits \(shape) vs labels \(labels.shape)")
        let n = shape[0], c = shape[1], p = shape[2] * shape[3], m = n * p
        // Softmax over classes, in the logits' layout: prob[(i * c + j) * p + q].
        var prob = [Float](repeating: 0, count: c * m)
        value.data.withUnsafeBufferPointer { x in
            prob.withUnsafeMutableBufferPointer { prob in
                for i in 0..<n { for q in 0..<p { _ = Variable.softmaxPixel(x, into: prob, at: i * c * p + q, classes: c, stride: p) } }
            }
        }
        /// Where class j of pixel k (= i * p + q) is in `prob` and `gradP`.
        func at(_ j: Int, _ k: Int) -> Int { (k / p * c + j) * p + k % p }
        var count = [Int](repeating: 0, count: c)
        for t in labels.data {
            precondition(t >= 0 && Int(t) < c, "Lovász-softmax: label \(t) outside 0..<\(c)")
            count[Int(t)] += 1
        }
        let present = (0..<c).filter { count[$0] > 0 }
        // dLoss/dp per class and pixel (the same layout), and the loss.
        var gradP = [Float](repeating: 0, count: c * m)
        var total: Double = 0
        var errors = [Float](repeating: 0, count: m)
        var order = [Int](repeating: 0, count: m)
        for j in present {
            for k in 0..<m {
                let fg: Float = Int(labels.data[k]) == j ? 1 : 0
                errors[k] = abs(fg - prob[at(j, k)])
                order[k] = k
            }
            order.sort { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
            // Jaccard after the first r + 1 sorted pixels are taken as errors.
            let gts = Double(count[j])
            var cumFG: Double = 0, cumBG: Double = 0, previous: Double = 0
            for (r, k) in order.enumerated() {
                let isFG = Int(labels.data[k]) == j
                if isFG { cumFG += 1 } else { cumBG += 1 }
                let jaccard = 1 - (gts - cumFG) / (gts + cumBG)
                let g = jaccard - (r == 0 ? 0 : previous)
                previous = jaccard
                total += Double(errors[k]) * g
                // e = 1 - p for the class's pixels, p elsewhere.
                gradP[at(j, k)] = Float(isFG ? -g : g)
            }
        }
        let scale = present.isEmpty ? 0 : 1 / Float(present.count)
        let out = Tensor(shape: [], data: [Float(total) * scale])
        guard Variable.tracking(self) else { return Variable(out) }
        let s = shape
        return Variable(out, parents: [self]) { g in
            let gv = g.data[0] * scale
            var gx = [Float](repeating: 0, count: n * c * p)
            for i in 0..<n {
                for q in 0..<p {
                    // Softmax backward: dx_j = p_j (dp_j - sum_l p_l dp_l).
                    var dot: Float = 0
                    for j in 0..<c { let a = (i * c + j) * p + q; dot += prob[a] * gradP[a] }
                    for j in 0..<c { let a = (i * c + j) * p + q; gx[a] = gv * prob[a] * (gradP[a] - dot) }
                }
            }
            return [Tensor(shape: s, data: gx)]
        }
    }
}
