import LedgerCore

/// What a registered device is to the service: a validator on a bus, or an issuance desk.
///
/// Both sign their own hash chain with a root-certified device key; the role is given by the
/// administrator who registers the device (docs/ledger-format.md, "Telling a desk from a
/// validator"). It decides which entry kinds the device may upload: a desk's purse credits are
/// what reconciliation counts as legitimate money on a card, so a validator's key (the one most
/// exposed, in a bus) must not be able to write them, and a desk sells no rides.
public enum DeviceRole: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// A validator: rides, charges, refusals, card transactions, deny-list hits.
    case validator
    /// An issuance desk: cards issued, purse credits, entitlements written, blocks, replacements, returns.
    case desk

    /// Whether a device of this role may upload an entry of `kind`.
    ///
    /// Start-up, shutdown, configuration and clock entries are every device's.
    public func allows(_ kind: LedgerEntryKind) -> Bool {
        switch self {
        case .validator: !kind.isDeskAction
        case .desk: !kind.isValidatorAction
        }
    }

    /// The stable name (`validator`, `desk`).
    public var description: String { rawValue }
}
