import CommunityKeys
import Entitlements
import Foundation
import Identifiers
import PropertyTesting
import Testing

/// Validator certificates name their device (format 2), and a format 1 community migrates.
@Suite("Device certificates", .serialized)
struct DeviceCertificateTests {
    @Test("init certifies validator-1 for the first device; device add for the device given")
    func devicesAreNamed() throws {
        let base = try temporaryDirectory()
        defer { removeTree(base) }
        var rng = SeededGenerator(seed: 42)
        let directory = try CommunityDirectory.create(
            at: base + "/c", community: "nemishaieve", now: fixedNow, firstDevice: 101, using: &rng)
        let first = try #require(try directory.certificates().first { $0.role == .validator })
        #expect(first.deviceID == 101)
        #expect(first.format == .v2)
        let bus = try directory.addKey(role: .validator, label: "bus-2", device: 102, now: fixedNow, using: &rng)
        #expect(bus.deviceID == 102)
        #expect(try directory.certificate(of: bus.keyID) == bus)
        // Other roles name no device; the manifest records each validator's.
        let desk = try directory.addKey(role: .issuer, label: "desk-2", now: fixedNow, using: &rng)
        #expect(desk.deviceID == nil)
        let manifest = String(decoding: try readBytes(base + "/c/community.json"), as: UTF8.self)
        #expect(manifest.contains("\"device\" : 102"))

        let root = try directory.root()
        let trust = try TrustStore(rootKeyID: root.keyID, rootPublicKey: root.publicKey, certificates: try directory.certificates())
        #expect(trust.certificate(forDevice: 101) == first)
        #expect(trust.certificate(forDevice: 102) == bus)
    }

    @Test("a validator key needs a device, a free one; other roles take none")
    func deviceArgumentsAreChecked() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        var rng = SeededGenerator(seed: 3)
        #expect(throws: CommunityKeysError(.invalidArgument, "")) {
            try directory.addKey(role: .validator, label: "bus-9", now: fixedNow, using: &rng)
        }
        #expect(throws: CommunityKeysError(.invalidArgument, "")) {
            try directory.addKey(role: .validator, label: "bus-0", device: 0, now: fixedNow, using: &rng)
        }
        #expect(throws: CommunityKeysError(.invalidArgument, "")) {
            try directory.addKey(role: .issuer, label: "desk-9", device: 9, now: fixedNow, using: &rng)
        }
        // validator-1 holds device 1: a second key for it is refused until the first is revoked.
        #expect(throws: CommunityKeysError(.deviceTaken, "")) {
            try directory.addKey(role: .validator, label: "bus-1b", device: 1, now: fixedNow, using: &rng)
        }
        let old = try #require(try directory.certificates().first { $0.role == .validator })
        try directory.revokeKey(old.keyID, role: .validator, reason: .superseded, now: fixedNow)
        let replacement = try directory.addKey(role: .validator, label: "bus-1b", device: 1, now: fixedNow, using: &rng)
        #expect(replacement.deviceID == 1)
    }

    @Test("a format 1 validator certificate is re-certified for its device, keeping the key")
    func migrationFromFormatOne() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        // Make validator-1 look as it did before format 2: a format 1 certificate naming no device.
        let current = try #require(try directory.certificates().first { $0.role == .validator })
        var oldTerms = current.terms
        oldTerms.deviceID = nil
        oldTerms.format = .v1
        let legacy = try oldTerms.signed(with: try directory.rootKey().privateKey)
        let file = "\(directory.path)/public/certificates/\(current.keyID).cert"
        try Data(try legacy.encoded()).write(to: URL(fileURLWithPath: file))
        #expect(try readBytes(file).count == 114)
        let report = try directory.report(now: fixedNow)
        #expect(report.contains("\(current.keyID)  validator   none (v1)"))
        #expect(report.contains("validator certificates naming no device (format 1): \(current.keyID)"))

        let later = fixedNow.adding(seconds: 3600)
        let migrated = try directory.recertifyDevice(current.keyID, device: 106, now: later)
        #expect(migrated.format == .v2)
        #expect(migrated.deviceID == 106)
        #expect(migrated.publicKey == legacy.publicKey)
        #expect(migrated.notBefore == later)
        #expect(try readBytes(file).count == 118)
        #expect(try directory.certificate(of: current.keyID) == migrated)
        #expect(try directory.signingKey(current.keyID).publicKey == migrated.publicKey)
        #expect(!(try directory.report(now: later)).contains("naming no device"))

        // Once bound, a key never moves to another device; re-certifying for the same one is fine.
        #expect(throws: CommunityKeysError(.deviceTaken, "")) {
            try directory.recertifyDevice(current.keyID, device: 107, now: later)
        }
        #expect(try directory.recertifyDevice(current.keyID, device: 106, now: later).deviceID == 106)
        // Only validator keys, only unrevoked ones.
        let desk = try #require(try directory.certificates().first { $0.role == .issuer })
        #expect(throws: CommunityKeysError(.unknownKey, "")) { try directory.recertifyDevice(desk.keyID, device: 5, now: later) }
        try directory.revokeKey(current.keyID, role: .validator, reason: .retired, now: later)
        #expect(throws: CommunityKeysError(.invalidArgument, "")) { try directory.recertifyDevice(current.keyID, device: 106, now: later) }
    }

    @Test("re-certifying refuses a device another unrevoked key holds")
    func recertifyRefusesATakenDevice() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        var rng = SeededGenerator(seed: 5)
        let second = try directory.addKey(role: .validator, label: "bus-2", device: 2, now: fixedNow, using: &rng)
        let first = try #require(try directory.certificates().first { $0.role == .validator && $0.deviceID == 1 })
        #expect(throws: CommunityKeysError(.deviceTaken, "")) { try directory.recertifyDevice(first.keyID, device: 2, now: fixedNow) }
        #expect(second.deviceID == 2)
    }
}
