import Bundles
import Crypto
import Entitlements
import Identifiers
import Tariff

/// Deterministic keys: Ed25519 signing is deterministic, so bundles built from these are byte-stable.
enum TestKeys {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }
    static let root = key(1)
    static let rootID: KeyID = 0x0000_0001
    static let rootPublic = SigningPublicKey(root.publicKey)
    static let desk = key(2)
    static let device = key(3)
    static let stranger = key(9)
}

let t0 = UnixTime(1_780_000_000)

func certificate(_ id: KeyID, _ role: KeyRole, _ key: Curve25519.Signing.PrivateKey) throws -> Certificate {
    try CertificateTerms(keyID: id, role: role, publicKey: SigningPublicKey(key.publicKey),
                         notBefore: t0, notAfter: t0.adding(seconds: 86_400 * 365), issuerKeyID: TestKeys.rootID,
                         deviceID: role == .validator ? 17 : nil)
        .signed(with: TestKeys.root)
}

func sampleTrust() throws -> TrustPayload {
    TrustPayload(
        rootKeyID: TestKeys.rootID, rootPublicKey: TestKeys.rootPublic,
        certificates: [try certificate(0x20, .validator, TestKeys.device), try certificate(0x10, .issuer, TestKeys.desk)],
        revocations: RevocationList(version: 2, revocations: [Revocation(keyID: 0x30, revokedAt: t0, reason: .retired)]))
}

func sampleTariff(version: UInt32 = 7, community: String = "nemishaieve") -> Tariff {
    Tariff(
        community: community, version: version, acceptedLayoutVersions: [1],
        categories: [
            BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонер", en: "Pensioner")),
            BenefitCategory(code: 2, id: "combat-veteran", name: LocalizedText(uk: "Учасник бойових дій", en: "Combat veteran"), basis: "ЗУ/3551-XII"),
        ],
        baseFareKopecks: 1500,
        routes: [Route(number: 1, name: LocalizedText(uk: "Немішаєве — Буча", en: "Nemishaieve — Bucha"), zones: [1, 2], fareKopecks: 2000)],
        antiPassbackSeconds: 120,
        transfer: TransferRule(windowSeconds: 3600, farePercent: 0))
}

func sampleDenyList(version: UInt32 = 4) throws -> DenyList {
    try DenyList(version: version, entries: [
        DenyList.Entry(serial: 0x0000_0000_0000_0042, reason: .lost),
        DenyList.Entry(serial: 0x0102_0304_0506_0708, reason: .stolen),
    ])
}

func signed(
    _ payload: BundlePayload, version: UInt32, community: String = "nemishaieve",
    issuedAt: UnixTime = t0, expiresAt: UnixTime = t0.adding(seconds: 86_400 * 30),
    key: Curve25519.Signing.PrivateKey = TestKeys.root, signer: KeyID = TestKeys.rootID
) throws -> [UInt8] {
    try SignedBundle.make(payload, community: community, version: version, issuedAt: issuedAt,
                          expiresAt: expiresAt, rootKeyID: signer, rootKey: key).encoded()
}

let acceptance = BundleAcceptance(community: "nemishaieve", rootKeyID: TestKeys.rootID, rootPublicKey: TestKeys.rootPublic)
