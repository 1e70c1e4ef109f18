import Entitlements
import Identifiers

extension CommunityDirectory {
    /// The newest unrevoked key of `role` and its certificate: for a finance officer's tool,
    /// the key that signs a closing record or a report manifest.
    ///
    /// Newest by the certificate's start of validity, so adding a new key and revoking the old
    /// one moves signing to the new key with no other step.
    public func currentKey(role: KeyRole) throws(CommunityKeysError) -> (key: CommunitySigningKey, certificate: Certificate) {
        let revoked = try revocations()
        let candidates = try certificates()
            .filter { $0.role == role && revoked.revocation(of: $0.keyID) == nil }
            .sorted { ($0.notBefore, $0.keyID) < ($1.notBefore, $1.keyID) }
        guard let certificate = candidates.last else {
            throw CommunityKeysError(.unknownKey, "no unrevoked \(role) key in \(path) (hromada-keys \(role) add --label NAME)")
        }
        return (try signingKey(certificate.keyID), certificate)
    }
}
