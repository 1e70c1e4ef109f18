import Identifiers

/// Where an entry is: its device and its sequence there. The report names entries this way, so
/// an auditor finds each one in the device's ledger or export.
public struct EntryReference: Hashable, Comparable, Sendable, BitwiseCopyable, Codable, CustomStringConvertible {
    /// The validator.
    public var device: DeviceID
    /// The entry's sequence on that device.
    public var sequence: UInt64

    /// Names an entry.
    public init(device: DeviceID, sequence: UInt64) {
        self.device = device
        self.sequence = sequence
    }

    /// By device, then sequence.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.device, lhs.sequence) < (rhs.device, rhs.sequence)
    }

    /// `device/sequence`.
    public var description: String { "\(device.rawValue)/\(sequence)" }
}
