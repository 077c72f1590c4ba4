import LGTensor

/// genforce's `MiniBatchSTDLayer`: the batch is split into groups of
/// G = min(groupSize, N) samples taken with stride N / G (sample n is in
/// group n mod (N / G)); per group, the standard deviation over its samples
/// of every feature, averaged over each of `newChannels` channel slices and
/// over space, is appended as `newChannels` constant maps.
func minibatchStddev(_ x: Variable, groupSize: Int, newChannels nc: Int, eps: Float = 1e-8) -> Variable {
    guard groupSize > 1 else { return x }
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    let g = min(groupSize, n)
    precondition(n % g == 0, "minibatch stddev: batch \(n) is not a multiple of the group size \(g)")
    precondition(c % nc == 0, "minibatch stddev: \(nc) new channels do not divide \(c) channels")
    let m = n / g
    var y = x.reshaped([g, m, nc, c / nc, h, w])
    y = y - y.mean(axes: [0], keepDims: true)
    y = (y.square().mean(axes: [0]) + eps).sqrt()                   // (m, nc, c/nc, h, w)
    y = y.mean(axes: [2, 3, 4])                                      // (m, nc)
    let tiled = y.reshaped([1, m, nc, 1, 1]) * Variable(Tensor(repeating: 1, shape: [g, 1, 1, h, w]))
    return Variable.concat([x, tiled.reshaped([n, nc, h, w])], axis: 1)
}
