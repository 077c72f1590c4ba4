import LGTensor

/// The adversarial objective. Neither needs double backward.
public enum GANLoss: String, Codable, Sendable, CaseIterable {
    /// D: mean(relu(1 - D(x))) + mean(relu(1 + D(G(z)))); G: -mean(D(G(z))) (SNGAN, BigGAN).
    case hinge
    /// D: mean(softplus(-D(x))) + mean(softplus(D(G(z)))); G: mean(softplus(-D(G(z)))) (StyleGAN, genforce).
    case nonSaturating = "non_saturating"

    /// The discriminator's loss from its scores on real and generated images.
    public func discriminatorLoss(real: Variable, fake: Variable) -> Variable {
        switch self {
        case .hinge:
            return ((-real) + 1).relu().mean() + (fake + 1).relu().mean()
        case .nonSaturating:
            return (-real).softplus().mean() + fake.softplus().mean()
        }
    }

    /// The generator's loss from the discriminator's scores on generated images.
    public func generatorLoss(fake: Variable) -> Variable {
        switch self {
        case .hinge: return -fake.mean()
        case .nonSaturating: return (-fake).softplus().mean()
        }
    }
}

/// R1 (Mescheder et al. 2018), gamma / 2 * E ||grad_x D(x)||^2 on real
/// images, without double backward: for n ~ N(0, I),
/// E_n[(D(x + sigma n) - D(x))^2] / sigma^2 = ||grad_x D(x)||^2 + O(sigma^2),
/// so one perturbed forward pass gives an unbiased (to O(sigma^2)) estimate
/// of the penalty whose parameter gradient ordinary backprop computes.
public enum FiniteDifferenceR1 {
    /// The penalty from D's scores on x and on x + sigma * n.
    public static func penalty(real: Variable, perturbed: Variable, gamma: Float, sigma: Float) -> Variable {
        (perturbed - real).square().mean() * (gamma / 2 / (sigma * sigma))
    }
}
