import AccountingCore
import Desk
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

/// The desk's accounting client (`Desk.AccountingDeskClient`) against the service on a real
/// socket: the deny-list report and its listing, no bundle yet, and a lost card's balances read
/// from every page of the transactions (the desk's token may not read them; finance's may).
@Suite("The desk's accounting client, live", .runsStorage)
struct DeskClientLiveTests {
    @Test func reportsListsAndReadsALostCardsBalances() async throws {
        let service = try await TestService(.sqlite)
        // Three purse debits of one card among other cards' rides, over more than one page.
        var head = ChainHead.genesis(for: service.device.id)
        var entries: [LedgerEntry] = []
        let lost = CardSerial(0x00CC_0000_0000_0001)
        for index in 0..<1_210 {
            let time = UnixTime(1_800_000_000 + Int64(index))
            let record = index % 600 == 5
                ? LedgerRecord.purseDebit(at: time, card: lost, layout: 2, amountKopecks: 100, balanceAfterKopecks: Int64(5_000 - index), route: 7, vehicle: 11)
                : LedgerRecord.benefitUse(
                    at: time, card: CardSerial(0x00BB_0000_0000_0000 | UInt64(index)), layout: 1, entitlement: 5, category: 3, fareKopecks: 0,
                    fullFareKopecks: 1500, route: 7, vehicle: 11)
            let entry = try head.seal(record)
            entries.append(entry)
            head = ChainHead(after: entry)
        }
        let chain = entries
        try await service.withLiveServer { port, _ in
            // Uploaded over the test client of the same engine.
            try await service.withClient { client in
                for start in stride(from: 0, to: chain.count, by: 1000) {
                    let response = try await client.upload(service.device.batch(chain[start..<min(start + 1000, chain.count)]), as: service.device)
                    #expect(response.status == .ok)
                }
            }
            let desk = AccountingDeskClient(baseURL: "http://127.0.0.1:\(port)/", token: service.desk)
            #expect(try await desk.reportedEntries().isEmpty)
            let report = try await desk.report(lost, reason: .lost)
            #expect(report.cardSerial == lost.printed && report.reason == "lost" && report.reportedBy == "desk")
            #expect(try await desk.reportedEntries() == [report])
            #expect(try await desk.newestDenyListBundle() == nil)
            await #expect(throws: DeskError.self) { _ = try await desk.purseBalances(of: lost) }
            let finance = AccountingDeskClient(baseURL: "http://127.0.0.1:\(port)", token: service.finance)
            let balances = try await finance.purseBalances(of: lost)
            #expect(balances.map(\.balanceKopecks) == [4_995, 4_395, 3_795])
            let wrong = AccountingDeskClient(baseURL: "http://127.0.0.1:\(port)", token: "hct_unknown")
            let refused = await #expect(throws: DeskError.self) { _ = try await wrong.reportedEntries() }
            #expect(refused?.exitStatus == 77)
        }
    }
}
