internal import CPCSCLite
import SmartCard

#if canImport(Glibc)
import Glibc
#endif

/// Thin, throwing wrappers over the pcsc-lite calls, with Swift types at the edges.
///
/// Everything here runs on the thread that owns the context passed in (pcsc-lite serialises
/// calls on one context; one thread per context keeps that trivially true). Only `cancel` may
/// be called from another thread, which is what it is for.
enum PCSCCalls {
    /// The pseudo-reader whose state changes when readers are added or removed.
    static let plugAndPlayReader = "\\\\?PnP?\\Notification"

    static func check(_ value: Int, _ operation: String) throws {
        let code = PCSCReturnCode(value)
        guard code == .success else { throw code.error(during: operation) }
    }

    static func establishContext() throws -> Int {
        var context: SCARDCONTEXT = 0
        try check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context), "SCardEstablishContext")
        return context
    }

    static func establishContextCode() -> (PCSCReturnCode, Int) {
        var context: SCARDCONTEXT = 0
        let code = PCSCReturnCode(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context))
        return (code, context)
    }

    static func releaseContext(_ context: Int) {
        _ = SCardReleaseContext(context)
    }

    static func cancel(_ context: Int) {
        _ = SCardCancel(context)
    }

    /// Reader names; an empty list when the service has none.
    static func listReaders(_ context: Int) throws -> [String] {
        let (code, names) = listReadersCode(context)
        guard code == .success else { throw code.error(during: "SCardListReaders") }
        return names
    }

    /// Reader names with the raw outcome: the two-call pattern (ask the size, then fill), retried
    /// if a reader appears between the calls.
    static func listReadersCode(_ context: Int) -> (PCSCReturnCode, [String]) {
        for _ in 0..<4 {
            var length: DWORD = 0
            var code = PCSCReturnCode(SCardListReaders(context, nil, nil, &length))
            if code == .noReadersAvailable { return (.success, []) }
            guard code == .success else { return (code, []) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            code = PCSCReturnCode(SCardListReaders(context, nil, &buffer, &length))
            if code == .insufficientBuffer { continue }
            if code == .noReadersAvailable { return (.success, []) }
            guard code == .success else { return (code, []) }
            return (.success, splitMultiString(buffer, length: Int(length)))
        }
        return (.insufficientBuffer, [])
    }

    /// Splits a PC/SC multi-string (names separated by NUL, ended by an empty name).
    static func splitMultiString(_ buffer: [CChar], length: Int) -> [String] {
        var names: [String] = []
        var current: [UInt8] = []
        for char in buffer.prefix(length) {
            if char == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(UInt8(bitPattern: char))
            }
        }
        if !current.isEmpty { names.append(String(decoding: current, as: UTF8.self)) }
        return names
    }

    /// One reader in an `SCardGetStatusChange` call.
    struct ReaderStateQuery {
        var reader: String
        /// What the caller believes the state is (`SCARD_STATE_*` bits, event count in the high
        /// 16 bits); the call returns when the actual state differs.
        var currentState: UInt
        var eventState: UInt = 0
        var atr: [UInt8] = []
    }

    /// `SCardGetStatusChange` over Swift values. `timeout` nil waits forever.
    static func getStatusChange(_ context: Int, _ queries: inout [ReaderStateQuery], timeout: Duration?) -> PCSCReturnCode {
        let names = queries.map { strdup($0.reader) }
        defer { names.forEach { free($0) } }
        var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: queries.count)
        for index in queries.indices {
            states[index].szReader = UnsafePointer(names[index])
            states[index].dwCurrentState = DWORD(queries[index].currentState)
        }
        let milliseconds: DWORD
        if let timeout {
            let (seconds, attoseconds) = max(timeout, .zero).components
            milliseconds = DWORD(seconds) * 1000 + DWORD(attoseconds / 1_000_000_000_000_000)
        } else {
            milliseconds = DWORD(INFINITE)
        }
        let code = PCSCReturnCode(SCardGetStatusChange(context, milliseconds, &states, DWORD(states.count)))
        for index in queries.indices {
            queries[index].eventState = UInt(states[index].dwEventState)
            let count = min(Int(states[index].cbAtr), Int(MAX_ATR_SIZE))
            queries[index].atr = withUnsafeBytes(of: states[index].rgbAtr) { Array($0.prefix(count)) }
        }
        return code
    }
}

/// `SCARD_STATE_*` bits as Swift values.
enum ReaderStateBits {
    static let unaware: UInt = 0
    static let ignore = UInt(SCARD_STATE_IGNORE)
    static let changed = UInt(SCARD_STATE_CHANGED)
    static let unknown = UInt(SCARD_STATE_UNKNOWN)
    static let unavailable = UInt(SCARD_STATE_UNAVAILABLE)
    static let empty = UInt(SCARD_STATE_EMPTY)
    static let present = UInt(SCARD_STATE_PRESENT)
    static let exclusive = UInt(SCARD_STATE_EXCLUSIVE)
    static let inUse = UInt(SCARD_STATE_INUSE)
    static let mute = UInt(SCARD_STATE_MUTE)
    static let unpowered = UInt(SCARD_STATE_UNPOWERED)
}
