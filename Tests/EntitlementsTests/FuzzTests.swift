import Entitlements
import PropertyTesting
import Testing

/// Every decoder of untrusted bytes, fed random and mutated input: it must return or throw
/// `EntitlementError`, never crash. A crash found here becomes a named regression vector.
@Suite("Decoders never crash")
struct FuzzTests {
    static let decoders: [(String, @Sendable ([UInt8]) throws -> Void)] = [
        ("Entitlement(decoding:)", { _ = try Entitlement(decoding: $0) }),
        ("Entitlement(decodingZeroPadded:)", { _ = try Entitlement(decodingZeroPadded: $0) }),
        ("EntitlementTerms(decoding:)", { _ = try EntitlementTerms(decoding: $0) }),
        ("EntitlementTerms(decoding:as: .compact)", { _ = try EntitlementTerms(decoding: $0, as: .compact) }),
        ("Entitlement(decodingCardSlot:)", { _ = try Entitlement(decodingCardSlot: $0, cardSerial: Fixture.card, layoutVersion: 3) }),
        ("Certificate(decoding:)", { _ = try Certificate(decoding: $0) }),
        ("CertificateTerms(decoding:)", { _ = try CertificateTerms(decoding: $0) }),
    ]

    @Test(arguments: 0..<decoders.count)
    func randomBytes(decoderIndex: Int) {
        let (_, decode) = Self.decoders[decoderIndex]
        var rng = SeededGenerator(seed: UInt64(decoderIndex) &* 0x5DEECE66D)
        var otherErrors = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...160, using: &rng)
            var input = Random.bytes(&rng, count: length)
            // Most random first bytes fail the format check; keep a known format byte half the time.
            if !input.isEmpty, Bool.random(using: &rng) { input[0] = UInt8.random(in: 1...2, using: &rng) }
            do { try decode(input) } catch is EntitlementError {} catch { otherErrors += 1 }
        }
        #expect(otherErrors == 0)
    }

    @Test(arguments: 0..<decoders.count)
    func mutatedValidRecords(decoderIndex: Int) throws {
        let (_, decode) = Self.decoders[decoderIndex]
        var rng = SeededGenerator(seed: 0xC0FFEE &+ UInt64(decoderIndex))
        let seeds: [[UInt8]] = [
            try Fixture.terms(product: .rides(count: 2, per: .day), routes: [1, 5], zones: [2], windows: [TimeWindow(weekdays: .weekdays, fromMinute: 360, untilMinute: 1320)]).signed(with: Fixture.deskKey).encoded(),
            try Fixture.terms().encoded(),
            try Fixture.terms(product: .pass(from: Fixture.date(2026, 1, 1), through: Fixture.date(2026, 2, 1)), routes: [3, 200], zones: [1])
                .signed(with: Fixture.deskKey, encoding: .compact).cardEncoded(),
            try Fixture.terms(product: .rides(count: 300, per: .month)).signed(with: Fixture.deskKey, encoding: .compact).encoded(),
            try Fixture.certificate(id: 3, role: .validator, key: Fixture.validatorKey).encoded(),
            try Fixture.certificate(id: 3, role: .validator, key: Fixture.validatorKey).terms.encoded(),
        ]
        var otherErrors = 0
        for _ in 0..<20_000 {
            var input = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0...3, using: &rng) {
                case 0 where !input.isEmpty: input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1 where !input.isEmpty: input.removeLast(Int.random(in: 1...input.count, using: &rng))
                case 2: input.append(contentsOf: Random.bytes(&rng, count: Int.random(in: 1...8, using: &rng)))
                default: if input.count > 2 { input.remove(at: Int.random(in: 0..<input.count, using: &rng)) }
                }
            }
            do { try decode(input) } catch is EntitlementError {} catch { otherErrors += 1 }
        }
        #expect(otherErrors == 0)
    }
}
