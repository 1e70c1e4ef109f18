import Bundles
import Entitlements
import Tariff

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CommunityDirectory {
    /// The trust payload of this community: root, every certificate, the revocations.
    public func trustPayload() throws(CommunityKeysError) -> TrustPayload {
        let (rootKeyID, rootPublicKey) = try root()
        return TrustPayload(rootKeyID: rootKeyID, rootPublicKey: rootPublicKey,
                            certificates: try certificates(), revocations: try revocations())
    }

    /// The policy a validator of this community applies, with this directory's root pinned.
    public func acceptance() throws(CommunityKeysError) -> BundleAcceptance {
        let (rootKeyID, rootPublicKey) = try root()
        return BundleAcceptance(community: community, rootKeyID: rootKeyID, rootPublicKey: rootPublicKey)
    }

    /// The payload of a bundle of `kind`: the directory's trust data, or the tariff or deny list
    /// read from `input` (JSON: the published `TariffSource`, whose category codes are resolved
    /// against `categories`, the community's `BenefitCategoryList`; or the `DenyList`).
    public func payload(
        kind: BundleKind, input: [UInt8]?, categories: [UInt8]? = nil, version: UInt32
    ) throws(CommunityKeysError) -> BundlePayload {
        switch kind {
        case .trust:
            guard input == nil else {
                throw CommunityKeysError(.invalidInput, "a trust bundle is made from the directory; give no --input")
            }
            return .trust(try trustPayload())
        case .tariff:
            guard let input else { throw CommunityKeysError(.invalidInput, "a tariff bundle needs --input tariff.json") }
            guard let categories else {
                throw CommunityKeysError(.invalidInput, "a tariff bundle needs the community's categories.json")
            }
            let list: BenefitCategoryList
            do {
                list = try JSONDecoder().decode(BenefitCategoryList.self, from: Data(categories))
                try list.validate()
            } catch {
                throw CommunityKeysError(.invalidInput, "the category list: \(error)")
            }
            let tariff: Tariff
            do {
                tariff = try JSONDecoder().decode(TariffSource.self, from: Data(input)).resolved(with: list)
                try tariff.validate()
            } catch {
                throw CommunityKeysError(.invalidInput, "the tariff file: \(error)")
            }
            guard tariff.community == community else {
                throw CommunityKeysError(.invalidInput, "the tariff is for \(tariff.community), this directory is \(community)")
            }
            guard tariff.version == version else {
                throw CommunityKeysError(.invalidInput, "the tariff file says version \(tariff.version), --version says \(version)")
            }
            return .tariff(tariff)
        case .denyList:
            guard let input else { throw CommunityKeysError(.invalidInput, "a deny-list bundle needs --input denylist.json") }
            do {
                let list = try JSONDecoder().decode(DenyList.self, from: Data(input))
                return .denyList(try DenyList(version: version, entries: list.entries.sorted { $0.serial < $1.serial }))
            } catch {
                throw CommunityKeysError(.invalidInput, "the deny-list file: \(error)")
            }
        }
    }

    /// Signs a bundle with the root key and records its version, refusing a version not above
    /// the last one signed for that kind (a rollback is stopped at the source too).
    public func signBundle(
        kind: BundleKind, input: [UInt8]?, categories: [UInt8]? = nil, version: UInt32, expiresAt: UnixTime, now: UnixTime
    ) throws(CommunityKeysError) -> [UInt8] {
        var manifest = try readManifest()
        let last = manifest.bundleVersions[kind.description] ?? 0
        guard version > last else {
            throw CommunityKeysError(.versionNotNewer, "\(kind) version \(version) is not above the last signed, \(last)")
        }
        guard expiresAt > now else { throw CommunityKeysError(.invalidArgument, "the expiry is not in the future") }
        let payload = try payload(kind: kind, input: input, categories: categories, version: version)
        let root = try rootKey()
        let bytes: [UInt8]
        do {
            bytes = try SignedBundle.make(payload, community: community, version: version, issuedAt: now,
                                          expiresAt: expiresAt, rootKeyID: root.keyID, rootKey: root.privateKey).encoded()
        } catch {
            throw CommunityKeysError(.invalidInput, "cannot sign: \(error)")
        }
        manifest.bundleVersions[kind.description] = version
        try writeManifest(manifest)
        return bytes
    }

    /// Checks a bundle as a validator of this community would.
    public func verifyBundle(
        _ bytes: [UInt8], kind: BundleKind, installedVersion: UInt32?, now: UnixTime
    ) throws(CommunityKeysError) -> BundleVerdict {
        try acceptance().evaluate(bytes, kind: kind, installedVersion: installedVersion, now: now)
    }

    /// Writes a bundle (public, 0644) atomically, replacing an older file of that name.
    public static func writeBundle(_ bytes: [UInt8], to path: String) throws(CommunityKeysError) {
        try SecureFiles.write(bytes, to: path, secrecy: .publicFile, replacing: true)
    }

    /// Reads a file given on the command line.
    public static func readInput(_ path: String) throws(CommunityKeysError) -> [UInt8] {
        try SecureFiles.read(path, secrecy: .publicFile)
    }
}
