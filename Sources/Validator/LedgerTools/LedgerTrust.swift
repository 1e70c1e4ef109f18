import Bundles
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore

/// The keys `ledger verify` checks a ledger against, found from the community's trust rather
/// than from the ledger file: the device's certificate and the accounting service's.
///
/// Why: a ledger file carries its own device key, and whoever can rewrite the file can replace
/// that key and re-sign every checkpoint. Only a key certified by the community root, found by
/// the device id the auditor asks about, makes the checkpoints evidence.
public struct LedgerTrust: Sendable {
    /// The device key to check checkpoints against.
    public var deviceKey: Curve25519.Signing.PublicKey
    /// The accounting service's key to check receipts against, when the bundle certifies one.
    public var serviceKey: Curve25519.Signing.PublicKey?
    /// What was found, for the report (Ukrainian, then English).
    public var lines: [String]

    /// Why no trusted key could be found.
    public struct Refusal: Error, CustomStringConvertible {
        /// The explanation, Ukrainian then English.
        public let description: String
    }

    /// Reads the trust bundle `bytes` signed by `rootPublicKey` and finds the certificate of
    /// `deviceID` (root signature, role `validator`, unrevoked; dates are not checked, since a
    /// ledger is verified long after it was written) and the newest accounting certificate.
    ///
    /// `ledgerKey` is the key recorded in the ledger: used only to find a format 1 certificate,
    /// which names no device, and then said so in `lines`.
    public static func find(
        bundle bytes: [UInt8], rootPublicKey: SigningPublicKey, deviceID: DeviceID, ledgerKey: [UInt8]
    ) throws(Refusal) -> LedgerTrust {
        let rootID = KeyID(derivedFrom: rootPublicKey)
        let trust: TrustStore
        do {
            let bundle = try SignedBundle(decoding: bytes)
            guard bundle.header.kind == .trust else {
                throw Refusal(description: "це не пакет довіри / not a trust bundle (\(bundle.header.kind))")
            }
            guard bundle.header.signerKeyID == rootID, bundle.isSignatureValid(by: rootPublicKey) else {
                throw Refusal(description: "пакет довіри не підписано цим коренем / the trust bundle is not signed by this root key")
            }
            guard case .trust(let payload) = try BundlePayload(decoding: bundle.payload, under: bundle.header),
                payload.rootPublicKey == rootPublicKey
            else { throw Refusal(description: "пакет довіри іншого кореня / the trust bundle names another root") }
            trust = try payload.trustStore()
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(description: "пакет довіри не читається / the trust bundle cannot be read: \(error)")
        }
        var lines: [String] = []
        let certificate: Certificate
        if let named = trust.certificate(forDevice: deviceID) {
            certificate = named
            lines.append("ключ пристрою \(deviceID) із сертифіката \(named.keyID) пакета довіри / device \(deviceID)'s key from certificate \(named.keyID) in the trust bundle")
        } else if let byKey = trust.certificates.values.first(where: { candidate in
            candidate.role == .validator && candidate.deviceID == nil && candidate.publicKey.rawRepresentation == ledgerKey
                && trust.isRootSignedAndUnrevoked(candidate.keyID)
        }) {
            // A format 1 certificate names no device: it proves the key is a community
            // validator's, not that it is this device's.
            certificate = byKey
            lines.append("увага: сертифікат \(byKey.keyID) (формат 1) не називає пристрою; знайдено за ключем журналу / warning: certificate \(byKey.keyID) (format 1) names no device; found by the ledger's key")
        } else {
            throw Refusal(description: "у пакеті довіри немає чинного сертифіката пристрою \(deviceID) / the trust bundle holds no valid certificate of device \(deviceID)")
        }
        guard let deviceKey = try? Curve25519.Signing.PublicKey(rawRepresentation: certificate.publicKey.rawRepresentation) else {
            throw Refusal(description: "сертифікат \(certificate.keyID) містить непридатний ключ / certificate \(certificate.keyID) holds an unusable key")
        }
        if certificate.publicKey.rawRepresentation != ledgerKey {
            lines.append("увага: ключ, записаний у журналі, не той, що в сертифікаті / warning: the key recorded in the ledger is not the certified one")
        }
        let accounting = trust.certificates.values
            .filter { $0.role == .accounting && trust.isRootSignedAndUnrevoked($0.keyID) }
            .max { $0.notAfter < $1.notAfter }
        let serviceKey = accounting.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0.publicKey.rawRepresentation) }
        if let accounting {
            lines.append("квитанції перевірено ключем сервісу обліку з сертифіката \(accounting.keyID) / receipts checked against the accounting certificate \(accounting.keyID)")
        }
        return LedgerTrust(deviceKey: deviceKey, serviceKey: serviceKey, lines: lines)
    }
}

extension TrustStore {
    /// Whether `keyID`'s certificate is root-signed and unrevoked (dates aside).
    fileprivate func isRootSignedAndUnrevoked(_ keyID: KeyID) -> Bool {
        guard revocations.revocation(of: keyID) == nil, let certificate = certificates[keyID] else { return false }
        // checkCertificate also checks dates; ask at the certificate's own start so only the
        // signature, role and revocation decide.
        if case .valid = checkCertificate(of: keyID, role: certificate.role, now: certificate.notBefore) { return true }
        return false
    }
}

/// `ledger verify --trust-bundle`: a ledger checked against the community's trust, as one call
/// the command prints the result of.
public enum LedgerAudit {
    /// Verifies `store` against the keys the trust bundle certifies for `deviceID` (the ledger's
    /// own id when nil). Returns the report to print and whether the ledger is intact; throws a
    /// `LedgerStoreError` only when the file cannot be read.
    public static func verify(
        _ store: LedgerStore, trustBundle bytes: [UInt8], rootPublicKey: SigningPublicKey, deviceID: DeviceID?
    ) throws -> (report: String, intact: Bool) {
        let device = deviceID ?? store.deviceID
        guard store.deviceID == device else {
            return ("Журнал іншого пристрою: \(store.deviceID), а не \(device) / The ledger is device \(store.deviceID)'s, not \(device)'s", false)
        }
        let trust: LedgerTrust
        do {
            trust = try LedgerTrust.find(bundle: bytes, rootPublicKey: rootPublicKey, deviceID: device, ledgerKey: store.devicePublicKey)
        } catch {
            return ("Журнал не перевірено / Ledger not verified\n  \(error.description)", false)
        }
        switch try store.verify(devicePublicKey: trust.deviceKey, servicePublicKey: trust.serviceKey) {
        case .intact(let summary):
            return (LedgerReport.intact(summary, keyGiven: true, serviceKeyGiven: trust.serviceKey != nil, trustLines: trust.lines), true)
        case .broken(let fault):
            return (LedgerReport.broken(fault), false)
        }
    }
}
