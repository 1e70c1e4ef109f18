import AccountingCore
import AccountingService
import AccountingStore
import HTTPTypes
import Identifiers
import LedgerCore
import Testing

import Foundation

/// `GET /v1/devices/{device}/refused-batches` over real HTTP (a live server on a port): the
/// batches a device offered after a hole, as the service kept them (schema 7).
@Suite("Refused batches: the operator endpoint", .runsStorage)
struct RefusedBatchesTests {
    struct Listing: Decodable {
        var device: UInt32
        var batches: [RefusedBatchRecord]
    }

    @Test("Empty before any gap; after a batch refused with 409 gap, its row (offered twice: counted twice); unknown device 404; desk token 403", arguments: Backend.all)
    func listsOneDevicesRefusedBatches(backend: Backend) async throws {
        let service = try await TestService(backend)
        let device = service.device
        let chain = device.chain(count: 12)
        let other = TestDevice(id: 18, seed: 5)
        try await service.storage.register(DeviceRegistration(deviceID: other.id, certificate: other.certificate, label: "bus-018", registeredAt: Community.now))
        try await service.withLiveServer { port, _ in
            func get(_ path: String, token: String?) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
                var headers = HTTPFields()
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await RawConnection.exchange(port: port, RawConnection.request("GET", path, headers: headers))
            }
            func upload(_ entries: ArraySlice<LedgerEntry>, as device: TestDevice) async throws -> Int {
                let body = try device.batch(entries).jsonBody()
                let headers = device.headers(method: "POST", path: "/v1/ledger/batches", body: body)
                return try await RawConnection.exchange(port: port, RawConnection.request("POST", "/v1/ledger/batches", headers: headers, body: body)).status
            }
            let path = "/v1/devices/17/refused-batches"

            // Nothing refused yet: an empty list, for the finance role and for the administrator.
            for token in [service.finance, service.admin] {
                let empty = try await get(path, token: token)
                #expect(empty.status == 200)
                #expect(empty.headers["content-type"] == "application/json; charset=utf-8")
                let listing = try JSONDecoder().decode(Listing.self, from: Data(empty.body))
                #expect(listing.device == 17)
                #expect(listing.batches.isEmpty)
            }

            // Entries 1–5 held; 9–12 offered after the hole (6–8 lost): 409 gap, twice.
            #expect(try await upload(chain[0..<5], as: device) == 200)
            #expect(try await upload(chain[8..<12], as: device) == 409)
            #expect(try await upload(chain[8..<12], as: device) == 409)
            // Another device's refusal is not listed under device 17.
            #expect(try await upload(other.chain(count: 6)[3..<6], as: other) == 409)

            let after = try await get(path, token: service.finance)
            #expect(after.status == 200)
            let listing = try JSONDecoder().decode(Listing.self, from: Data(after.body))
            #expect(listing.device == 17)
            let row = try #require(listing.batches.first)
            #expect(listing.batches.count == 1)
            #expect(row.device == 17)
            #expect(row.firstSequence == 9 && row.lastSequence == 12)
            #expect(row.firstPreviousHash == chain[7].hash.hex)
            #expect(row.lastHash == chain[11].hash.hex)
            #expect(row.heldSequence == 5)
            #expect(row.timesOffered == 2)
            #expect(row.firstRefusedAt == Community.now.rawValue && row.lastRefusedAt == Community.now.rawValue)
            // The same rows the store keeps (what reconciliation reads).
            #expect(listing.batches == (try await service.storage.refusedBatches()).filter { $0.device == 17 })
            let others = try JSONDecoder().decode(Listing.self, from: Data(try await get("/v1/devices/18/refused-batches", token: service.finance).body))
            #expect(others.batches.map(\.firstSequence) == [4])

            // A device that is not registered: 404 unknown-device; not a canonical decimal: 400.
            let unknown = try await get("/v1/devices/99/refused-batches", token: service.finance)
            #expect(unknown.status == 404)
            #expect((try JSONDecoder().decode(ErrorResponse.self, from: Data(unknown.body))).error.code.wireName == "unknown-device")
            for bad in ["017", "-1", "4294967296", "bus-017"] {
                let malformed = try await get("/v1/devices/\(bad)/refused-batches", token: service.finance)
                #expect(malformed.status == 400, "\(bad)")
                #expect((try? JSONDecoder().decode(ErrorResponse.self, from: Data(malformed.body)))?.error.code.wireName == "invalid-field", "\(bad)")
            }

            // A desk token may not read it (403), no token or a wrong one is 401.
            let desk = try await get(path, token: service.desk)
            #expect(desk.status == 403)
            #expect((try JSONDecoder().decode(ErrorResponse.self, from: Data(desk.body))).error.code.wireName == "role-forbidden")
            #expect(try await get(path, token: nil).status == 401)
            #expect(try await get(path, token: "hct_wrong").status == 401)
            // It is read only.
            let post = try await RawConnection.exchange(port: port, RawConnection.request("POST", path, headers: [.authorization: "Bearer \(service.admin)"]))
            #expect(post.status == 405)
        }
    }
}
