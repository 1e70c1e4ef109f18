import AsyncHTTPClient
import Bundles
import Foundation
import Identifiers
import NIOCore
import NIOHTTP1
import Entitlements
import Tariff

/// What the desk asks of the accounting service about blocked cards: report a card for the next
/// deny-list bundle, see the reports, fetch the newest published bundle, and the ledger entries
/// uploaded for a card (a lost card's last known balance).
///
/// A protocol so the desk's actions can be tested with a service that fails on purpose (a crash
/// between a replacement's steps).
public protocol DenyListService: Sendable {
    /// The cards reported so far (`GET /v1/deny-list-entries`).
    func reportedEntries() async throws -> [DenyListReport]
    /// Reports `serial` for the next bundle with `reason` (`POST /v1/deny-list-entries`).
    func report(_ serial: CardSerial, reason: DenyList.Reason) async throws -> DenyListReport
    /// The newest published deny-list bundle's bytes (`GET /v1/bundles/denylist`); `nil` if none.
    func newestDenyListBundle() async throws -> [UInt8]?
    /// The purse balances of `serial`'s uploaded ledger entries, with their device times
    /// (`GET /v1/transactions`, every page).
    func purseBalances(of serial: CardSerial) async throws -> [(deviceTime: Int64, balanceKopecks: Int)]
}

/// One card reported for the deny list, as the accounting service keeps it.
public struct DenyListReport: Hashable, Sendable, Codable {
    /// The report's number at the service.
    public var id: Int
    /// The card.
    public var cardSerial: String
    /// Why: lost, stolen, replaced, fraud, other.
    public var reason: String
    /// The operator token's name that reported it.
    public var reportedBy: String
    /// When, Unix seconds.
    public var reportedAt: Int64

    /// Creates a report (tests do).
    public init(id: Int, cardSerial: String, reason: String, reportedBy: String, reportedAt: Int64) {
        self.id = id
        self.cardSerial = cardSerial
        self.reason = reason
        self.reportedBy = reportedBy
        self.reportedAt = reportedAt
    }
}

/// The accounting service over HTTP with the desk's operator token (role `desk`; reading a lost
/// card's ledger entries needs `finance` or `admin`).
public struct AccountingDeskClient: DenyListService {
    /// The service's base URL, e.g. `http://127.0.0.1:8443`.
    public let baseURL: String
    /// The operator token (`hct_…`). Never printed.
    let token: String
    /// Seconds a request may take.
    public let timeoutSeconds: Int64

    /// A client of the service at `baseURL` with `token`.
    public init(baseURL: String, token: String, timeoutSeconds: Int64 = 15) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeoutSeconds = timeoutSeconds
    }

    public func reportedEntries() async throws -> [DenyListReport] {
        struct Page: Decodable { var entries: [DenyListReport] }
        let reply = try await send(.GET, "/v1/deny-list-entries")
        return try Self.decode(Page.self, reply, expecting: 200).entries
    }

    public func report(_ serial: CardSerial, reason: DenyList.Reason) async throws -> DenyListReport {
        struct Body: Encodable { var cardSerial: String; var reason: String }
        let body = try JSONEncoder().encode(Body(cardSerial: serial.printed, reason: reason.rawValue))
        let reply = try await send(.POST, "/v1/deny-list-entries", body: [UInt8](body))
        return try Self.decode(DenyListReport.self, reply, expecting: 201)
    }

    public func newestDenyListBundle() async throws -> [UInt8]? {
        let reply = try await send(.GET, "/v1/bundles/denylist", authenticated: false)
        if reply.status == 404 { return nil }
        guard reply.status == 200 else { throw Self.failure(reply) }
        return reply.body
    }

    public func purseBalances(of serial: CardSerial) async throws -> [(deviceTime: Int64, balanceKopecks: Int)] {
        struct Item: Decodable { var deviceTime: Int64; var cardSerial: String?; var purseBalanceAfterKopecks: Int? }
        struct Page: Decodable { var items: [Item]; var nextCursor: String? }
        var balances: [(Int64, Int)] = []
        var cursor: String?
        repeat {
            // `cardSerial` narrows the listing where the service supports it (a later version);
            // the entries are filtered here as well, so an older service that lists every card
            // gives the same answer, only more slowly.
            var path = "/v1/transactions?limit=1000&cardSerial=\(serial.printed)"
            if let cursor { path += "&after=\(cursor)" }
            let page = try Self.decode(Page.self, try await send(.GET, path), expecting: 200)
            for item in page.items where item.cardSerial == serial.printed {
                if let balance = item.purseBalanceAfterKopecks { balances.append((item.deviceTime, balance)) }
            }
            cursor = page.nextCursor
        } while cursor != nil
        return balances.map { (deviceTime: $0.0, balanceKopecks: $0.1) }
    }

    struct Reply {
        var status: UInt
        var body: [UInt8]
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8] = [], authenticated: Bool = true) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if authenticated { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
            let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return Reply(status: response.status.code, body: Array(bytes.readableBytesView))
        } catch {
            throw DeskError(
                .accountingUnavailable, ukrainian: "сервіс обліку недоступний (\(baseURL)): \(error)",
                english: "the accounting service is unavailable (\(baseURL)): \(error)")
        }
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ reply: Reply, expecting status: UInt) throws -> Value {
        guard reply.status == status else { throw failure(reply) }
        do {
            return try JSONDecoder().decode(type, from: Data(reply.body))
        } catch {
            throw DeskError(.accountingUnavailable, ukrainian: "сервіс обліку відповів незрозуміло", english: "the accounting service's answer does not decode: \(error)")
        }
    }

    private static func failure(_ reply: Reply) -> DeskError {
        let text = String(decoding: reply.body.prefix(500), as: UTF8.self)
        switch reply.status {
        case 401, 403:
            return DeskError(
                .accountingRefused, ukrainian: "сервіс обліку не приймає токен оператора (HTTP \(reply.status)); потрібна роль desk (для журналу операцій — finance)",
                english: "the accounting service refused the operator token (HTTP \(reply.status)); the desk role is needed (finance for the transactions): \(text)")
        default:
            return DeskError(
                .accountingUnavailable, ukrainian: "сервіс обліку відповів HTTP \(reply.status)",
                english: "the accounting service answered HTTP \(reply.status): \(text)")
        }
    }
}

/// Whether a block has reached the validators: it has once a published, correctly signed
/// deny-list bundle lists the card (validators fetch the newest bundle and check its signature).
public struct BlockPropagation: Hashable, Sendable {
    /// The card.
    public var serial: CardSerial
    /// Whether the accounting service holds a report of the card.
    public var reported: Bool
    /// The newest published deny-list bundle's version, if any verified.
    public var newestBundleVersion: UInt32?
    /// The reason the newest bundle lists the card with, if it does.
    public var listedReason: DenyList.Reason?

    /// Whether validators that fetched the newest bundle refuse the card.
    public var reachedValidators: Bool { listedReason != nil }

    /// Checks `bundle` (the newest published bytes) under the community root and looks the card up.
    public static func evaluate(
        serial: CardSerial, reports: [DenyListReport], bundle: [UInt8]?, acceptance: BundleAcceptance, now: UnixTime
    ) -> BlockPropagation {
        var result = BlockPropagation(serial: serial, reported: reports.contains { $0.cardSerial == serial.printed }, newestBundleVersion: nil, listedReason: nil)
        if let bundle, case .accept(let verified) = acceptance.evaluate(bundle, kind: .denyList, installedVersion: nil, now: now),
           case .denyList(let list) = verified.payload {
            result.newestBundleVersion = verified.header.version
            result.listedReason = list.reason(for: serial)
        }
        return result
    }
}
