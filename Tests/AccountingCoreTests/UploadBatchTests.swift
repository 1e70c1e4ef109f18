import AccountingCore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import PropertyTesting
import Testing




import Foundation


@Suite("Batch wire format")
struct UploadBatchTests {
    let device = DeviceID(17)

    @Test(arguments: [1, 2, 17, 1000])
    func roundTrips(count: Int) throws {
        let chain = Fixtures.chain(device: device, count: count)
        let batch = Fixtures.batch(chain[...])
        #expect(try UploadBatch(jsonBody: try batch.jsonBody()) == batch)
    }

    @Test func receiptsRoundTrip() throws {
        let chain = Fixtures.chain(device: device, count: 3)
        let receipt = try Receipt(signing: ChainHead(after: chain[2]), with: Fixtures.accountingKey)
        let wire = try JSONDecoder().decode(ReceiptWire.self, from: JSONEncoder().encode(ReceiptWire(receipt)))
        #expect(try wire.receipt() == receipt)
    }

    func code(_ body: String, limits: AccountingLimits = .standard) -> AccountingError.Code? {
        do {
            _ = try UploadBatch(jsonBody: Array(body.utf8), limits: limits)
            return nil
        } catch let error as AccountingError {
            return error.code
        } catch {
            return .unrecognized("unexpected")
        }
    }

    func validJSON(count: Int = 3) throws -> String {
        String(decoding: try Fixtures.batch(Fixtures.chain(device: device, count: count)[...]).jsonBody(), as: UTF8.self)
    }

    @Test func hostileBodiesAreNamedErrors() throws {
        #expect(code("") == .malformedBody)
        #expect(code("not json") == .malformedBody)
        #expect(code("[]") == .malformedBody)
        #expect(code("{\"device\":\"17\",\"entries\":[],\"checkpoint\":{}}") == .malformedBody)
        #expect(code("{\"device\":-1,\"entries\":[\"AA==\"],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}") == .malformedBody)
        #expect(code("{\"device\":17,\"entries\":[],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}") == .emptyBatch)
        #expect(code("{\"device\":17,\"entries\":[\"!!!\"],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}") == .malformedEntry)
        #expect(code("{\"device\":17,\"entries\":[\"AAAA\"],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}") == .malformedEntry)
        let valid = try validJSON()
        #expect(code(valid.replacingOccurrences(of: "\"chainHash\":\"", with: "\"chainHash\":\"zz")) == .invalidField)
        #expect(code(String(valid.dropLast(10))) == .malformedBody)
    }

    @Test func limitsAreEnforced() throws {
        let valid = try validJSON(count: 5)
        #expect(code(valid, limits: AccountingLimits(maximumBatchEntries: 4)) == .tooLarge)
        #expect(code(valid, limits: AccountingLimits(maximumBodyBytes: 100)) == .tooLarge)
        #expect(code(valid) == nil)
    }

    /// Every truncation and every single-byte change of a valid body is either refused with a
    /// named error or decodes to something: never a crash.
    @Test func mutatedBodiesNeverCrash() throws {
        let valid = Array(try validJSON(count: 2).utf8)
        var rng = SeededGenerator(seed: 7)
        for length in stride(from: 0, to: valid.count, by: 7) {
            // Every proper prefix of a JSON object is incomplete, so each one is refused by name.
            #expect(throws: AccountingError.self) { try UploadBatch(jsonBody: Array(valid[0..<length])) }
        }
        for _ in 0..<500 {
            var mutated = valid
            mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            do { _ = try UploadBatch(jsonBody: mutated) } catch is AccountingError {}
        }
    }
}
