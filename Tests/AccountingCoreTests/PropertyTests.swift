import AccountingCore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import Testing

@Suite("Properties")
struct PropertyTests {
    /// decode(encode(batch)) == batch for batches of random records, lengths and starting points.
    @Test func batchJSONRoundTrips() async {
        await propertyCheck(count: 200, input: Gen.uint64(), Gen.int(in: 1...40), Gen.int(in: 0...30)) { seed, count, skip in
            var rng = SeededGenerator(seed: seed)
            let device = DeviceID(UInt32.random(in: 0...UInt32.max, using: &rng))
            var head = ChainHead.genesis(for: device)
            var entries: [LedgerEntry] = []
            for _ in 0..<(count + skip) {
                let record = LedgerRecord(
                    kind: LedgerEntryKind.allCases.randomElement(using: &rng)!, deviceTime: UnixTime(Int64.random(in: 0...4_000_000_000, using: &rng)),
                    cardSerial: Bool.random(using: &rng) ? CardSerial(rng.next()) : nil,
                    fareKopecks: Bool.random(using: &rng) ? Int64.random(in: -1000...100_000, using: &rng) : nil,
                    route: Bool.random(using: &rng) ? RouteNumber(rawValue: UInt16.random(in: 0...999, using: &rng)) : nil,
                    detail: ["", "ok", "картку вилучено", String(repeating: "x", count: Int.random(in: 0...1024, using: &rng))].randomElement(using: &rng)!)
                let entry = try! head.seal(record)
                entries.append(entry)
                head = ChainHead(after: entry)
            }
            let slice = Array(entries[skip...])
            let batch = UploadBatch(deviceID: device, entries: slice, checkpoint: try! Checkpoint(signing: head, with: Fixtures.deviceKey))
            let decoded = try? UploadBatch(jsonBody: try! batch.jsonBody())
            #expect(decoded == batch)
            #expect(try! batch.jsonBody() == (try! batch.jsonBody()), "one batch, one encoding")
        }
    }

    /// Random bytes never crash the batch decoder and are never accepted as a batch.
    @Test func randomBodiesNeverDecode() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...300)) { bytes in
            #expect((try? UploadBatch(jsonBody: bytes)) == nil)
        }
    }
}
