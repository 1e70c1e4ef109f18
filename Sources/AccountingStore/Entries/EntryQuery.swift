import Entitlements
import Identifiers
import LedgerCore

/// Which entries `AccountingStorage.entries(matching:after:limit:)` returns; every field given
/// must hold.
///
/// Pages are ordered by (device, sequence) — or, when the filter names a device-time bound or a
/// card, by (device time, device, sequence), the order an index can serve them in — and read by
/// keyset (`EntryCursor`), never by OFFSET, so a page costs the same at the start of a table and
/// after ten million rows.
public struct EntryFilter: Hashable, Sendable {
    /// Entries of this device only.
    public var device: DeviceID?
    /// Entries naming this card only.
    public var cardSerial: CardSerial?
    /// Entries whose device time is at or after this.
    public var deviceTimeFrom: UnixTime?
    /// Entries whose device time is before this.
    public var deviceTimeTo: UnixTime?
    /// Entries of this kind only.
    public var kind: LedgerEntryKind?

    /// Creates a filter (no field: every entry).
    public init(device: DeviceID? = nil, cardSerial: CardSerial? = nil, deviceTimeFrom: UnixTime? = nil, deviceTimeTo: UnixTime? = nil, kind: LedgerEntryKind? = nil) {
        self.device = device
        self.cardSerial = cardSerial
        self.deviceTimeFrom = deviceTimeFrom
        self.deviceTimeTo = deviceTimeTo
        self.kind = kind
    }

    /// Whether pages are in (device time, device, sequence) order: a time bound or a card is
    /// given (their indexes lead with the card and the time).
    public var ordersByDeviceTime: Bool { deviceTimeFrom != nil || deviceTimeTo != nil || cardSerial != nil }

    /// Whether `cursor` is of the kind this filter's order pages by.
    public func accepts(_ cursor: EntryCursor) -> Bool {
        switch cursor {
        case .position: !ordersByDeviceTime
        case .timed: ordersByDeviceTime
        }
    }
}

/// Where the previous page ended: the last entry's key in the page's order.
///
/// Written `device:sequence`, or `deviceTime:device:sequence` for pages in device-time order,
/// canonical decimals (the device time may be negative).
public enum EntryCursor: Hashable, Sendable, CustomStringConvertible {
    /// After this entry, in (device, sequence) order.
    case position(device: DeviceID, sequence: UInt64)
    /// After this entry, in (device time, device, sequence) order.
    case timed(deviceTime: UnixTime, device: DeviceID, sequence: UInt64)

    /// The cursor after `entry` in the order `filter` pages by.
    public init(after entry: LedgerEntry, orderedBy filter: EntryFilter) {
        self = filter.ordersByDeviceTime
            ? .timed(deviceTime: entry.record.deviceTime, device: entry.deviceID, sequence: entry.sequence)
            : .position(device: entry.deviceID, sequence: entry.sequence)
    }

    /// Parses the written form; nil for anything else (not canonical decimals, a device id
    /// beyond 32 bits). A device time beyond 64 signed bits is taken as the nearest one there is:
    /// no entry lies beyond it either, so the page is the same.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        func sequence(_ part: Substring) -> UInt64? { CanonicalNumber.unsigned(part) }
        func device(_ part: Substring) -> DeviceID? {
            guard let value = CanonicalNumber.unsigned(part), let number = UInt32(exactly: value) else { return nil }
            return DeviceID(rawValue: number)
        }
        switch parts.count {
        case 2:
            guard let device = device(parts[0]), let sequence = sequence(parts[1]) else { return nil }
            self = .position(device: device, sequence: sequence)
        case 3:
            guard let time = CanonicalNumber.signedClamped(parts[0]), let device = device(parts[1]), let sequence = sequence(parts[2]) else { return nil }
            self = .timed(deviceTime: UnixTime(time), device: device, sequence: sequence)
        default:
            return nil
        }
    }

    /// The written form.
    public var description: String {
        switch self {
        case .position(let device, let sequence): "\(device.rawValue):\(sequence)"
        case .timed(let time, let device, let sequence): "\(time.rawValue):\(device.rawValue):\(sequence)"
        }
    }
}

/// Canonical decimals: digits only, no leading zero (a minus sign allowed for signed ones).
enum CanonicalNumber {
    static func unsigned(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            text == "0" || text.first != "0"
        else { return nil }
        return UInt64(text)
    }

    /// A canonical signed decimal of any length, clamped to `Int64`'s range; nil for `-0` or
    /// anything not a canonical decimal.
    static func signedClamped(_ text: Substring) -> Int64? {
        let negative = text.first == "-"
        let digits = negative ? text.dropFirst() : text
        guard !(negative && digits == "0"), !digits.isEmpty,
            digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), digits == "0" || digits.first != "0"
        else { return nil }
        guard let magnitude = UInt64(digits) else { return negative ? Int64.min : Int64.max }
        if negative { return magnitude > UInt64(Int64.max) ? Int64.min : -Int64(magnitude) }
        return magnitude > UInt64(Int64.max) ? Int64.max : Int64(magnitude)
    }
}

/// One page of entries and the cursor of the next (nil on the last page).
public struct EntryPage: Hashable, Sendable {
    /// The entries, in the filter's order.
    public var entries: [StoredEntry]
    /// Where the next page starts; nil when this page was not full (nothing follows).
    public var next: EntryCursor?

    /// Creates a page.
    public init(entries: [StoredEntry], next: EntryCursor?) {
        self.entries = entries
        self.next = next
    }
}

/// The entries a period's reconciliation reads: device time in [`from` − `margin`, `to` + `margin`).
///
/// The margin takes in entries of devices whose clocks ran slow or fast around the period's
/// edges; the reader decides which of them belong to the period.
public struct DeviceTimeWindow: Hashable, Sendable {
    /// The period's first second.
    public var from: UnixTime
    /// The second after the period.
    public var to: UnixTime
    /// Seconds read on both sides.
    public var marginSeconds: Int64

    /// Creates a window.
    public init(from: UnixTime, to: UnixTime, marginSeconds: Int64 = 0) {
        self.from = from
        self.to = to
        self.marginSeconds = marginSeconds
    }

    /// The first device time read.
    public var lowerBound: Int64 { from.rawValue.subtractingReportingOverflow(marginSeconds).overflow ? Int64.min : from.rawValue - marginSeconds }
    /// The device time after the last one read.
    public var upperBound: Int64 { to.rawValue.addingReportingOverflow(marginSeconds).overflow ? Int64.max : to.rawValue + marginSeconds }
}

/// The sequences of one device's entries inside a window: the first and the last (entries
/// between them whose device time is outside the window are skipped when read).
public struct DeviceSequenceRange: Hashable, Sendable {
    /// The device.
    public var device: DeviceID
    /// The lowest sequence inside the window.
    public var first: UInt64
    /// The highest sequence inside the window.
    public var last: UInt64

    /// Creates a range.
    public init(device: DeviceID, first: UInt64, last: UInt64) {
        self.device = device
        self.first = first
        self.last = last
    }
}

/// What the service holds of one device: its chain's end and the latest receipt it signed.
public struct DeviceLedgerState: Hashable, Sendable {
    /// The device.
    public var device: DeviceID
    /// The end of the held chain (genesis when nothing is held).
    public var head: ChainHead
    /// The receipt with the highest sequence, if any.
    public var latestReceipt: Receipt?

    /// Creates a state.
    public init(device: DeviceID, head: ChainHead, latestReceipt: Receipt?) {
        self.device = device
        self.head = head
        self.latestReceipt = latestReceipt
    }
}

/// The entries of a `DeviceTimeWindow` in (device, sequence) order, as pages of at most
/// `pageSize` entries: a month of ten million entries streams in bounded memory.
///
/// Made by `AccountingStorage.entryPages(in:pageSize:)`. The first page asks the storage once for
/// each device's sequence range inside the window (one pass over the device-time index); then
/// every page is one keyset read of one device's primary key from where the last page ended, so
/// no page costs more than another. Entries stored after that first call, beyond the ranges it
/// found, are not read: the sequence is a snapshot of which entries it covers.
public struct EntryWindowPages: AsyncSequence, Sendable {
    public typealias Element = [StoredEntry]

    let storage: any AccountingStorage
    let window: DeviceTimeWindow
    let pageSize: Int

    /// Creates the pages.
    public func makeAsyncIterator() -> Iterator {
        Iterator(storage: storage, window: window, pageSize: Swift.max(1, pageSize))
    }

    /// Reads the pages one after another.
    public struct Iterator: AsyncIteratorProtocol {
        let storage: any AccountingStorage
        let window: DeviceTimeWindow
        let pageSize: Int
        var ranges: [DeviceSequenceRange]?
        var index = 0
        var after: UInt64?

        init(storage: any AccountingStorage, window: DeviceTimeWindow, pageSize: Int) {
            self.storage = storage
            self.window = window
            self.pageSize = pageSize
        }

        /// The next non-empty page, or nil after the last.
        public mutating func next() async throws -> [StoredEntry]? {
            if ranges == nil { ranges = try await storage.deviceSequenceRanges(in: window) }
            guard let ranges else { return nil }
            while index < ranges.count {
                let range = ranges[index]
                let start = after.map { $0 + 1 } ?? range.first
                if start <= range.last {
                    let page = try await storage.entries(of: range.device, sequences: start...range.last, in: window, limit: pageSize)
                    if let last = page.last {
                        after = last.entry.sequence
                        // A short page is the device's last one.
                        if page.count < pageSize { index += 1; after = nil }
                        return page
                    }
                }
                index += 1
                after = nil
            }
            return nil
        }
    }
}

/// The SQL of the entry queries, written once for both engines: `?` placeholders (PostgreSQL's
/// storage numbers them), integer values only.
enum EntrySQL {
    /// A statement and its values.
    struct Query {
        var sql: String
        var values: [Int64]
    }

    /// The derived columns, in `EntryColumns.names` order.
    static let columnList = EntryColumns.names.joined(separator: ", ")

    /// Every column of `entries` an insert writes, in order.
    static let insertColumns = ["device_id", "sequence"] + EntryColumns.names + ["bytes", "hash", "received_at"]

    /// A page of `filter` after `cursor`, `bytes, received_at` of each row.
    static func page(_ filter: EntryFilter, after cursor: EntryCursor?, limit: Int) -> Query {
        var conditions: [String] = []
        var values: [Int64] = []
        // A timed cursor at or past the lower bound is the lower bound: given both, an engine may
        // seek to the bound and scan up to the cursor (SQLite does), which is what keyset avoids.
        var timedCursor: (time: UnixTime, device: DeviceID, sequence: UInt64)?
        if filter.ordersByDeviceTime, case .timed(let time, let device, let sequence) = cursor {
            timedCursor = (time, device, sequence)
        }
        if let from = filter.deviceTimeFrom, let cursor = timedCursor, cursor.time < from {
            timedCursor = nil
        }
        if let from = filter.deviceTimeFrom, timedCursor == nil { conditions.append("device_time >= ?"); values.append(from.rawValue) }
        if let to = filter.deviceTimeTo { conditions.append("device_time < ?"); values.append(to.rawValue) }
        if let card = filter.cardSerial { conditions.append("card_serial = ?"); values.append(Int64(bitPattern: card.rawValue)) }
        if let device = filter.device { conditions.append("device_id = ?"); values.append(Int64(device.rawValue)) }
        if let kind = filter.kind { conditions.append("kind = ?"); values.append(Int64(kind.rawValue)) }
        let order: String
        if filter.ordersByDeviceTime {
            order = "device_time, device_id, sequence"
            if let cursor = timedCursor {
                // A row value: both engines seek the index to it rather than scan up to it.
                conditions.append("(device_time, device_id, sequence) > (?, ?, ?)")
                values += [cursor.time.rawValue, Int64(cursor.device.rawValue), Int64(clamping: cursor.sequence)]
            }
        } else {
            order = "device_id, sequence"
            if case .position(let device, let sequence) = cursor {
                if let only = filter.device {
                    // One device: the sequence alone, or nothing (or everything) left of it.
                    if device == only {
                        conditions.append("sequence > ?")
                        values.append(Int64(clamping: sequence))
                    } else if device > only {
                        conditions.append("1 = 0")
                    }
                } else {
                    conditions.append("(device_id, sequence) > (?, ?)")
                    values += [Int64(device.rawValue), Int64(clamping: sequence)]
                }
            }
        }
        let condition = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        values.append(Int64(limit))
        return Query(sql: "SELECT bytes, received_at FROM entries\(condition) ORDER BY \(order) LIMIT ?", values: values)
    }

    /// Each device's lowest and highest sequence with a device time inside `window`.
    static func sequenceRanges(_ window: DeviceTimeWindow) -> Query {
        Query(
            sql: "SELECT device_id, min(sequence), max(sequence) FROM entries WHERE device_time >= ? AND device_time < ? GROUP BY device_id ORDER BY device_id",
            values: [window.lowerBound, window.upperBound])
    }

    /// The key of every entry inside `window`, from the device-time index alone (SQLite's
    /// GROUP BY would sort them all first: its storage folds them into ranges as they come).
    static func windowKeys(_ window: DeviceTimeWindow) -> Query {
        Query(sql: "SELECT device_id, sequence FROM entries WHERE device_time >= ? AND device_time < ?", values: [window.lowerBound, window.upperBound])
    }

    /// One device's entries in `sequences` whose device time is inside `window`, by sequence.
    static func windowPage(device: DeviceID, sequences: ClosedRange<UInt64>, window: DeviceTimeWindow, limit: Int) -> Query {
        Query(
            sql: "SELECT bytes, received_at FROM entries WHERE device_id = ? AND sequence >= ? AND sequence <= ? AND device_time >= ? AND device_time < ? ORDER BY sequence LIMIT ?",
            values: [
                Int64(device.rawValue), Int64(clamping: sequences.lowerBound), Int64(clamping: sequences.upperBound), window.lowerBound,
                window.upperBound, Int64(limit),
            ])
    }

    /// Rows for `verifyEntryColumns`, every column, after (device, sequence).
    static func rows(after cursor: (device: Int64, sequence: Int64)?, limit: Int) -> Query {
        let select = "SELECT device_id, sequence, bytes, hash, \(columnList) FROM entries"
        if let cursor {
            return Query(
                sql: "\(select) WHERE (device_id, sequence) > (?, ?) ORDER BY device_id, sequence LIMIT ?",
                values: [cursor.device, cursor.sequence, Int64(limit)])
        }
        return Query(sql: "\(select) ORDER BY device_id, sequence LIMIT ?", values: [Int64(limit)])
    }

    /// Every device the service knows (registered or holding entries), its head and its latest
    /// receipt (columns: device, head sequence, head hash, receipt sequence, hash, signature).
    static let ledgerStates = """
        SELECT d.device_id, h.sequence, h.chain_hash, r.sequence, r.chain_hash, r.signature
        FROM (SELECT device_id FROM devices UNION SELECT device_id FROM device_heads) AS d
        LEFT JOIN device_heads h ON h.device_id = d.device_id
        LEFT JOIN receipts r ON r.device_id = d.device_id
          AND r.sequence = (SELECT max(sequence) FROM receipts m WHERE m.device_id = d.device_id)
        ORDER BY d.device_id
        """
}
