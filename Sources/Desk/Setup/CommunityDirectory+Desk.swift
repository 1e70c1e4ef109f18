import CommunityKeys
import Crypto
import Entitlements
import Identifiers
import SocialCard

extension CommunityDirectory {
    /// The card keyring of every master key version in the directory, keeping `roles`
    /// (all of them at the desk; a program that must not issue keeps fewer).
    public func cardKeyring(
        community: String, roles: Set<CardMasterRole> = Set(CardMasterRole.allCases)
    ) throws -> CardKeyring {
        var masterKeys: [(role: CardMasterRole, version: UInt8, key: SymmetricKey)] = []
        do {
            for version in try cardKeyVersions() {
                for master in try cardMasterKeys(version: version) {
                    // The directory's role names are the keyring's (`hromada-keys` names the files so).
                    if let role = CardMasterRole(rawValue: master.role.rawValue) {
                        masterKeys.append((role: role, version: version, key: master.key))
                    }
                }
            }
        } catch {
            throw DeskError(.filesUnreadable, ukrainian: "не вдалося прочитати ключі карток: \(error.reason)", english: "cannot read the card master keys: \(error.reason)")
        }
        return try CardKeyring(community: community, masterKeys: masterKeys, keeping: roles)
    }

    /// The issuer's signing key: the one whose key id is `id` (hex), or, without one, the newest
    /// valid, unrevoked issuer whose secret key is in the directory (``IssuerKeyChoice``).
    public func issuerKey(_ id: String?, now: UnixTime) throws(DeskError) -> CommunitySigningKey {
        do {
            if let id {
                guard let raw = UInt32(id, radix: 16) else {
                    throw DeskError(.invalidRequest, ukrainian: "--issuer: \(id) не є ідентифікатором ключа", english: "--issuer: \(id) is not a key id")
                }
                return try signingKey(KeyID(raw))
            }
            let candidates = IssuerKeyChoice.candidates(certificates: try certificates(), revocations: try revocations(), now: now)
            for certificate in candidates {
                if let key = try? signingKey(certificate.keyID) { return key }
            }
            throw DeskError(.filesUnreadable, ukrainian: "у теці ключів немає чинного ключа видавця", english: "the key directory holds no valid issuer key")
        } catch let error as CommunityKeysError {
            throw DeskError(.filesUnreadable, ukrainian: "ключ видавця недоступний: \(error.reason)", english: "the issuer key is unavailable: \(error.reason)")
        } catch let error as DeskError {
            throw error
        } catch {
            throw DeskError(error)
        }
    }
}

/// Which issuer key signs a new entitlement when the operator names none.
public enum IssuerKeyChoice {
    /// The issuer certificates that may sign at `now`, newest first: the issuer role, not
    /// revoked, `now` within their validity. The desk signs with the first whose secret key it
    /// holds, so a newly certified key takes over from the old one without a flag.
    public static func candidates(certificates: [Certificate], revocations: RevocationList, now: UnixTime) -> [Certificate] {
        let revoked = Set(revocations.revocations.map(\.keyID))
        return certificates
            .filter { $0.role == .issuer && !revoked.contains($0.keyID) && $0.notBefore <= now && now <= $0.notAfter }
            .sorted { $0.notBefore > $1.notBefore }
    }
}
