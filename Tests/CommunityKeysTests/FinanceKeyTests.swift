import CommunityKeys
import Entitlements
import Identifiers
import PropertyTesting
import Testing

import Foundation

@Suite("The finance key role")
struct FinanceKeyTests {
    @Test("A finance key is certified by the root, found as the current one, and replaced by add then revoke")
    func currentFinanceKey() throws {
        var rng = SeededGenerator(seed: 41)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finance-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let community = try CommunityDirectory.create(at: path, community: "test-town", now: UnixTime(1_800_000_000), using: &rng)
        #expect(throws: CommunityKeysError(.unknownKey, "")) { try community.currentKey(role: .finance) }
        let first = try community.addKey(role: .finance, label: "finance-1", now: UnixTime(1_800_000_000), using: &rng)
        #expect(first.role == .finance)
        #expect(first.deviceID == nil)
        let root = try community.root()
        #expect(first.issuerKeyID == root.keyID)
        #expect(try Certificate(decoding: try first.encoded()) == first)
        let current = try community.currentKey(role: .finance)
        #expect(current.certificate == first)
        #expect(current.key.role == .finance)
        #expect(current.key.keyID == first.keyID)
        let second = try community.addKey(role: .finance, label: "finance-2", now: UnixTime(1_800_000_100), using: &rng)
        try community.revokeKey(first.keyID, role: .finance, reason: .superseded, now: UnixTime(1_800_000_200))
        #expect(try community.currentKey(role: .finance).certificate == second)
        #expect(throws: CommunityKeysError(.invalidArgument, "")) {
            try community.addKey(role: .finance, label: "bad", device: DeviceID(rawValue: 3), now: UnixTime(1_800_000_000), using: &rng)
        }
    }
}
