import Entitlements
import Identifiers

/// Cards the community has blocked (lost, stolen, replaced, misused), versioned.
///
/// Reaches validators in a signed bundle. A validator that meets a listed card refuses it and
/// sets the card's own blocked flag, so the card stays refused even on a bus whose list is old.
public struct DenyList: Hashable, Sendable, Codable {
    /// Why a card is listed.
    public enum Reason: String, Hashable, Sendable, Codable, CaseIterable {
        /// Reported lost by its holder.
        case lost
        /// Reported stolen.
        case stolen
        /// Replaced by a new card (benefits carried over).
        case replaced
        /// Misuse or a suspected clone.
        case fraud
        /// Anything else.
        case other
    }

    /// One listed card.
    public struct Entry: Hashable, Sendable, Codable {
        /// The card.
        public var serial: CardSerial
        /// Why.
        public var reason: Reason
        /// Creates an entry.
        public init(serial: CardSerial, reason: Reason) {
            self.serial = serial
            self.reason = reason
        }
    }

    /// Increases with every published change.
    public var version: UInt32
    /// The listed cards.
    public private(set) var entries: [Entry]
    private var index: [CardSerial: Reason]

    /// Creates a list; throws `.invalidDenyList` if a card is listed twice.
    public init(version: UInt32, entries: [Entry]) throws {
        self.version = version
        self.entries = entries
        var index: [CardSerial: Reason] = [:]
        index.reserveCapacity(entries.count)
        for entry in entries {
            guard index.updateValue(entry.reason, forKey: entry.serial) == nil else {
                throw TariffError(.invalidDenyList, "card \(entry.serial) is listed twice")
            }
        }
        self.index = index
    }

    /// An empty list.
    public static let empty = try! DenyList(version: 0, entries: [])

    /// Why `serial` is listed, or `nil` if it is not.
    public func reason(for serial: CardSerial) -> Reason? { index[serial] }

    enum CodingKeys: String, CodingKey { case version, entries }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            version: try container.decode(UInt32.self, forKey: .version),
            entries: try container.decode([Entry].self, forKey: .entries))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(entries, forKey: .entries)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.version == rhs.version && lhs.entries == rhs.entries }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(version)
        hasher.combine(entries)
    }
}
