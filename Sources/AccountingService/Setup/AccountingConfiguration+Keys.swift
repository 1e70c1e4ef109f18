import CommunityKeys
import Entitlements

extension AccountingConfiguration {
    /// The service's configuration from a community key directory (`hromada-keys init`): the
    /// root as trust anchor, the revocation list, and the newest unrevoked accounting key, which
    /// signs receipts.
    ///
    /// Why the newest: after a rotation both keys are certified; receipts should be signed by the
    /// one validators will keep trusting longest. A revoked key never signs.
    public init(keysDirectory path: String, now: @escaping @Sendable () -> UnixTime) throws {
        let directory = try CommunityDirectory(opening: path)
        let root = try directory.root()
        let revocations = try directory.revocations()
        let accountingKeys = try directory.certificates().filter { $0.role == .accounting && revocations.revocation(of: $0.keyID) == nil }
        guard let newest = accountingKeys.max(by: { $0.notBefore < $1.notBefore }) else {
            throw CommunityKeysError(.unknownKey, "\(path) holds no unrevoked accounting key (hromada-keys init makes one)")
        }
        let key = try directory.signingKey(newest.keyID)
        self.init(
            community: directory.community, rootKeyID: root.keyID, rootPublicKey: root.publicKey, revocations: revocations,
            serviceKey: key.privateKey, now: now, serviceCertificate: newest)
    }
}
