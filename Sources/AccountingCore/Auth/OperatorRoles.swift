import Bundles

/// What an operator token may do.
///
/// Why roles: the finance department must read everything but change nothing; a desk must be
/// able to report a lost card but not enrol a device that could then upload rides; only the
/// administrator manages devices and trust.
public enum OperatorRole: String, Hashable, Sendable, CaseIterable, Codable {
    /// Reads transactions, devices, alarms.
    case finance
    /// Reports cards for the deny list and uploads signed deny-list bundles.
    case desk
    /// Everything, including registering devices and uploading trust and tariff bundles.
    case admin
}

/// An operator endpoint's need.
public enum OperatorAction: Hashable, Sendable {
    /// Read ingested transactions.
    case readTransactions
    /// Read registered devices and their positions.
    case readDevices
    /// Read tamper alarms.
    case readAlarms
    /// Register a device.
    case registerDevice
    /// Report a card for the next deny list.
    case addDenyListEntry
    /// Read reported deny-list entries.
    case readDenyListEntries
    /// Upload a signed bundle of a kind.
    case uploadBundle(BundleKind)
    /// Read the reference data (carriers, routes, assignments, programme, tariff periods, credits, entitlements).
    case readReferenceData
    /// Add or replace reference data.
    case manageReferenceData
}

extension OperatorRole {
    /// Whether this role may perform `action`.
    public func permits(_ action: OperatorAction) -> Bool {
        switch (self, action) {
        case (.admin, _): true
        case (.finance, .readTransactions), (.finance, .readDevices), (.finance, .readAlarms),
            (.finance, .readDenyListEntries), (.finance, .readReferenceData):
            true
        case (.desk, .addDenyListEntry), (.desk, .readDenyListEntries), (.desk, .uploadBundle(.denyList)):
            true
        default: false
        }
    }
}
