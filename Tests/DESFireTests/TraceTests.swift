import Testing
@testable import DESFire

/// Whole conversations replayed APDU by APDU.
@Suite("Traces")
struct TraceTests {
    /// The published debug output of a real DESFire EV1 card ("DESFire EV1 Communication
    /// Examples" by Elmü, in github.com/sotechcllc/RFDoorLock): ISO authentication with DES,
    /// 2K3DES and 3K3DES keys, AES authentication with the zero key and others, CMAC on every
    /// command and answer, enciphered ChangeKey (same key and other key, with key versions),
    /// ChangeKeySettings, GetVersion over three frames, application and file management, and
    /// plain-mode reads and writes with CMACs — 65 steps, every frame as published.
    @Test func publishedEV1TraceReplaysFrameByFrame() async throws {
        let trace = try Vectors.load("desfire-ev1-elmue-trace", as: TraceFile.self)
        #expect(trace.steps.count == 65)
        try await TraceReplay(trace: trace).run()
    }

    /// A legacy (0x0A) authentication of a real card with the all-zero DES key, published in
    /// the NXP Community forum (thread "Mifare DesFire Authentication").
    @Test func publishedLegacyAuthenticationReplays() async throws {
        let trace = try Vectors.load("desfire-legacy-nxp-forum-trace", as: TraceFile.self)
        try await TraceReplay(trace: trace).run()
    }

    /// Exchanges with no published trace, derived by hand with an independent implementation
    /// of the ciphers (Vectors/derive_exchanges.py, OpenSSL via Python's `cryptography`):
    /// enciphered answers (GetCardUID, ReadData, GetValue, ReadRecords with the CRC searched
    /// for), MACed commands and answers, value and record operations, chained frames both ways,
    /// ChangeKey of the PICC master key from the factory DES key to AES under a legacy session
    /// and again under an AES session, and legacy secure messaging with a 2K3DES key.
    @Test func derivedExchangesReplay() async throws {
        let trace = try Vectors.load("desfire-derived-exchanges", as: TraceFile.self)
        try await TraceReplay(trace: trace).run()
    }
}
