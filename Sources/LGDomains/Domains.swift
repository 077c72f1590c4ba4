/// The registry of procedural domains by name.

/// An unknown domain name; the message lists the known names.
public enum DomainError: Error, Equatable, CustomStringConvertible {
    case unknownDomain(String, known: [String])

    public var description: String {
        switch self {
        case let .unknownDomain(name, known):
            return "unknown domain '\(name)'; known domains: \(known.joined(separator: ", "))"
        }
    }
}

public enum Domains {
    /// Every domain, in registry order.
    public static let all: [any RenderedDomain] = [ToyFace(), ToyBedroom(), ToyChurch()]

    /// The domain called `name`.
    public static func named(_ name: String) throws -> any RenderedDomain {
        guard let d = all.first(where: { $0.name == name }) else {
            throw DomainError.unknownDomain(name, known: all.map(\.name))
        }
        return d
    }
}
