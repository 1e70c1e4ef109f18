import CardLayout
import Crypto
import DESFire

/// The roles of the community's AES-128 card master keys: the card level plus one per
/// application key role of the layout.
///
/// Raw values are the names `hromada-keys` gives the key files (`secret/card-keys/<role>-v<N>.key`).
public enum CardMasterRole: String, CaseIterable, Hashable, Sendable {
    /// The card-level (PICC) master key.
    case piccMaster
    /// The application master key (key 0).
    case applicationMaster
    /// Read-only devices.
    case read
    /// Bus validators.
    case validate
    /// The issuance desk.
    case issue

    /// The master role for an application key role.
    public init(_ role: CardKeyRole) {
        switch role {
        case .applicationMaster: self = .applicationMaster
        case .read: self = .read
        case .validate: self = .validate
        case .issue: self = .issue
        }
    }
}

/// The card master keys of one version that a program holds: all five at the desk, only `read`
/// and `validate` on a bus.
///
/// Master keys never go to a card; each card gets keys diversified from them (``CardKeyring``).
/// `description` names the roles held and never the keys.
public struct CardMasterKeySet: Sendable, CustomStringConvertible {
    /// The key version, 1–255; cards carry it as their keys' version byte.
    public let version: UInt8
    let keys: [CardMasterRole: DESFireKey]

    /// A set of AES-128 master keys of `version`. Version 0 is refused: it is what an
    /// unpersonalized key reports, and personalization tells the two apart by it.
    public init(version: UInt8, keys: [CardMasterRole: SymmetricKey]) throws(SocialCardError) {
        guard version != 0 else {
            throw SocialCardError(.invalidRequest, "card master key version 0 is what a blank card's keys report; versions run 1...255")
        }
        var converted: [CardMasterRole: DESFireKey] = [:]
        for (role, key) in keys {
            do {
                converted[role] = try DESFireKey.aes128(key, version: version)
            } catch {
                throw SocialCardError(.invalidRequest, "the \(role.rawValue) master key v\(version) is not an AES-128 key")
            }
        }
        self.version = version
        self.keys = converted
    }

    /// The roles this set holds.
    public var roles: Set<CardMasterRole> { Set(keys.keys) }

    public var description: String {
        "CardMasterKeySet(v\(version): \(roles.map(\.rawValue).sorted().joined(separator: ", ")), keys redacted)"
    }
}

/// Every version of the card master keys held, and the scheme's system identifier: derives any
/// card's keys from its UID.
///
/// Diversification (NXP AN10922, AES-128): the input is the card's UID, then the AID as the card
/// sends it (least significant byte first; 00 00 00 for the card-level key), then the system
/// identifier — the UTF-8 community name of the layout (e.g. `nemishaieve`). Each role has its
/// own master key, so a validator's `validate` key derives nothing a desk key opens, and a key
/// read out of one card opens only that card. The same UID in another community (another system
/// identifier and other master keys) gets unrelated keys.
public struct CardKeyring: Sendable, CustomStringConvertible {
    /// The bytes appended to UID and AID in every diversification input.
    public let systemIdentifier: [UInt8]
    /// The key sets by version.
    public let sets: [UInt8: CardMasterKeySet]

    /// The longest system identifier: AN10922 takes at most 31 input bytes, of which a 7-byte UID
    /// and a 3-byte AID take ten.
    public static let maximumSystemIdentifierLength = 21

    /// A keyring for `community` (the layout's community name) with these key sets.
    public init(community: String, sets: [CardMasterKeySet]) throws(SocialCardError) {
        let identifier = Array(community.utf8)
        guard !identifier.isEmpty, identifier.count <= Self.maximumSystemIdentifierLength else {
            throw SocialCardError(.invalidRequest,
                "the community name is the diversification's system identifier: 1 to \(Self.maximumSystemIdentifierLength) bytes, not \(identifier.count)")
        }
        guard !sets.isEmpty else { throw SocialCardError(.missingKey, "no card master keys were given") }
        var byVersion: [UInt8: CardMasterKeySet] = [:]
        for set in sets {
            guard byVersion[set.version] == nil else {
                throw SocialCardError(.invalidRequest, "card master key version \(set.version) is given twice")
            }
            byVersion[set.version] = set
        }
        self.systemIdentifier = identifier
        self.sets = byVersion
    }

    /// A keyring for `community` from master keys listed one by one, as key files hold them
    /// (one file per role and version): grouped into one set per version, keeping only `roles`.
    ///
    /// This is the one place a program turns its key files into a keyring: the desk gives every
    /// key of its community directory, a validator the `read` and `validate` keys its
    /// configuration names.
    public init(
        community: String, masterKeys: some Sequence<(role: CardMasterRole, version: UInt8, key: SymmetricKey)>,
        keeping roles: Set<CardMasterRole> = Set(CardMasterRole.allCases)
    ) throws(SocialCardError) {
        var byVersion: [UInt8: [CardMasterRole: SymmetricKey]] = [:]
        for master in masterKeys {
            // A version is held even when none of its roles is kept: a card of that version is then
            // refused by role (`missing-key`), not as an unknown version.
            byVersion[master.version, default: [:]][master.role] = roles.contains(master.role) ? master.key : nil
        }
        var sets: [CardMasterKeySet] = []
        for (version, keys) in byVersion.sorted(by: { $0.key < $1.key }) {
            sets.append(try CardMasterKeySet(version: version, keys: keys))
        }
        try self.init(community: community, sets: sets)
    }

    /// The newest version held: the one new cards get.
    public var newestVersion: UInt8 { sets.keys.max()! }

    /// Whether keys of `version` are held.
    public func holds(version: UInt8) -> Bool { sets[version] != nil }

    /// The keys of the card with `uid` for the application `application`, version `version`.
    public func cardKeys(uid: [UInt8], application: DESFire.ApplicationID, version: UInt8) throws(SocialCardError) -> CardKeys {
        guard let set = sets[version] else {
            throw SocialCardError(.unknownKeyVersion, "the card's keys are version \(version); held: \(sets.keys.sorted().map(String.init).joined(separator: ", "))")
        }
        guard (4...10).contains(uid.count) else {
            throw SocialCardError(.notOurCard, "a DESFire UID has 4, 7 or 10 bytes, not \(uid.count)")
        }
        var derived: [CardMasterRole: DESFireKey] = [:]
        for (role, master) in set.keys {
            let aid: DESFire.ApplicationID = role == .piccMaster ? .picc : application
            do {
                derived[role] = try KeyDiversification.an10922AES128(
                    masterKey: master, uid: uid, application: aid, systemIdentifier: systemIdentifier, version: version)
            } catch {
                throw SocialCardError(.invalidRequest, "cannot diversify the \(role.rawValue) key: \(error)")
            }
        }
        return CardKeys(version: version, keys: derived)
    }

    public var description: String {
        "CardKeyring(\(String(decoding: systemIdentifier, as: UTF8.self)), versions \(sets.keys.sorted().map(String.init).joined(separator: ", ")), keys redacted)"
    }
}

/// One card's diversified keys of one version.
public struct CardKeys: Sendable, CustomStringConvertible {
    /// Their version (the card reports it with GetKeyVersion).
    public let version: UInt8
    let keys: [CardMasterRole: DESFireKey]

    /// The key of `role`; throws if its master key is not held here.
    public func key(_ role: CardMasterRole) throws(SocialCardError) -> DESFireKey {
        guard let key = keys[role] else {
            throw SocialCardError(.missingKey, "the \(role.rawValue) master key v\(version) is not held here")
        }
        return key
    }

    /// The card-level (PICC) master key.
    public func piccMaster() throws(SocialCardError) -> DESFireKey { try key(.piccMaster) }

    /// The application key of a layout role.
    public func applicationKey(_ role: CardKeyRole) throws(SocialCardError) -> DESFireKey { try key(CardMasterRole(role)) }

    public var description: String { "CardKeys(v\(version), keys redacted)" }
}
