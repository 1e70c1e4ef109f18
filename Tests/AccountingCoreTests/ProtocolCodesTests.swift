import AccountingCore
import Bundles
import Entitlements
import Testing

import Foundation

@Suite("Protocol outcomes and error codes")
struct ProtocolCodesTests {
    /// Every code the service answers with and its wire name, written out as the contract
    /// (docs/accounting.md): a renamed case must not rename the code on the wire.
    static let wire: [(AccountingErrorCode, String)] = [
        (.malformedBody, "malformed-body"), (.malformedEntry, "malformed-entry"), (.tooLarge, "too-large"),
        (.emptyBatch, "empty-batch"), (.invalidField, "invalid-field"),
        (.missingSignatureHeader, "missing-signature-header"), (.malformedSignatureHeader, "malformed-signature-header"),
        (.staleRequest, "stale-request"), (.replayedNonce, "replayed-nonce"), (.certificateInvalid, "certificate-invalid"),
        (.certificateRevoked, "certificate-revoked"), (.certificateWrongRole, "certificate-wrong-role"),
        (.certificateExpired, "certificate-expired"), (.certificateNotYetValid, "certificate-not-yet-valid"),
        (.unknownDevice, "unknown-device"), (.keyNotRegistered, "key-not-registered"),
        (.badRequestSignature, "bad-request-signature"),
        (.certificateNamesAnotherDevice, "certificate-names-another-device"),
        (.deviceMismatch, "device-mismatch"), (.entryFromOtherDevice, "entry-from-other-device"),
        (.notContiguous, "not-contiguous"), (.brokenLink, "broken-link"), (.checkpointMismatch, "checkpoint-mismatch"),
        (.checkpointSignatureInvalid, "checkpoint-signature-invalid"), (.sequenceZero, "sequence-zero"),
        (.kindNotAllowedForDeviceRole, "kind-not-allowed-for-device-role"), (.gap, "gap"),
        (.chainConflict, "chain-conflict"),
        (.missingToken, "missing-token"), (.unknownToken, "unknown-token"), (.roleForbidden, "role-forbidden"),
        (.unknownBundleKind, "unknown-bundle-kind"), (.noBundle, "no-bundle"), (.bundleMalformed, "bundle-malformed"),
        (.bundleWrongKind, "bundle-wrong-kind"), (.bundleWrongCommunity, "bundle-wrong-community"),
        (.bundleWrongSigner, "bundle-wrong-signer"), (.bundleBadSignature, "bundle-bad-signature"),
        (.bundleRollback, "bundle-rollback"), (.bundleNotNewer, "bundle-not-newer"), (.bundleExpired, "bundle-expired"),
        (.bundleNotYetIssued, "bundle-not-yet-issued"), (.bundleRootMismatch, "bundle-root-mismatch"),
        (.malformedCertificate, "malformed-certificate"), (.registrationUnknownIssuer, "certificate-unknown-issuer"),
        (.registrationRevokedIssuer, "certificate-revoked-issuer"),
        (.registrationBadSignature, "certificate-issuer-certificate-bad-signature"),
        (.registrationWrongRole, "certificate-issuer-wrong-role"),
        (.registrationNotYetValid, "certificate-issuer-certificate-not-yet-valid"),
        (.registrationExpired, "certificate-issuer-certificate-expired"),
        (.certificateNamesNoDevice, "certificate-names-no-device"),
        (.keyRegisteredToAnotherDevice, "key-registered-to-another-device"),
        (.invalidReference, "invalid-reference"), (.duplicateReference, "duplicate-reference"),
        (.unknownReference, "unknown-reference"), (.assignmentOverlap, "assignment-overlap"),
        (.periodAlreadyClosed, "period-already-closed"),
        (.notFound, "not-found"), (.methodNotAllowed, "method-not-allowed"), (.storageUnavailable, "storage-unavailable"),
        (.internalError, "internal-error"),
    ]

    @Test func everyKnownCodeHasItsWireNameBothWays() throws {
        #expect(Set(AccountingErrorCode.known) == Set(Self.wire.map(\.0)), "the known list and the contract disagree")
        #expect(AccountingErrorCode.known.count == Self.wire.count)
        for (code, name) in Self.wire {
            #expect(code.wireName == name)
            #expect(AccountingErrorCode(wireName: name) == code)
            let json = try JSONEncoder().encode([code])
            #expect(String(decoding: json, as: UTF8.self) == "[\"\(name)\"]")
            #expect(try JSONDecoder().decode([AccountingErrorCode].self, from: json) == [code])
        }
    }

    @Test func anUnknownCodeDecodesAsUnrecognizedAndIsSentBackUnchanged() throws {
        let json = Data(#"{"error":{"code":"quota-exceeded","message":{"en":"later","uk":"пізніше"}}}"#.utf8)
        let response = try JSONDecoder().decode(ErrorResponse.self, from: json)
        #expect(response.error.code == .unrecognized("quota-exceeded"))
        #expect(response.error.code != .gap)
        #expect(response.error.message.en == "later")
        #expect(String(decoding: try JSONEncoder().encode([response.error.code]), as: UTF8.self) == #"["quota-exceeded"]"#)
    }

    @Test func outcomesKeepTheirWireNamesAndTolerateNewOnes() throws {
        #expect(UploadOutcome.known.map(\.wireName) == ["accepted", "replayed"])
        for outcome in UploadOutcome.known {
            #expect(UploadOutcome(wireName: outcome.wireName) == outcome)
        }
        #expect(try JSONDecoder().decode([UploadOutcome].self, from: Data(#"["replayed","merged"]"#.utf8)) == [.replayed, .unrecognized("merged")])
    }

    /// The error body's bytes are what they were when `code` was a string (sorted keys, as the service writes).
    @Test func theErrorBodyIsUnchangedOnTheWire() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let gap = String(decoding: try encoder.encode(ErrorResponse(code: .gap, uk: "u", en: "e", resumeSequence: 11)), as: UTF8.self)
        #expect(gap == #"{"error":{"code":"gap","message":{"en":"e","uk":"u"},"resumeSequence":11}}"#)
        let plain = String(decoding: try encoder.encode(ErrorResponse(code: .chainConflict, uk: "u", en: "e")), as: UTF8.self)
        #expect(plain == #"{"error":{"code":"chain-conflict","message":{"en":"e","uk":"u"}}}"#)
    }

    @Test func everyBundleRefusalHasItsOwnCode() {
        let refusals: [(BundleRefusal, AccountingErrorCode)] = [
            (.malformed(BundleError(.truncated, "x")), .bundleMalformed), (.wrongKind(expected: .trust, found: .tariff), .bundleWrongKind),
            (.wrongCommunity(expected: "a", found: "b"), .bundleWrongCommunity),
            (.wrongSigner(expected: Fixtures.rootID, found: Fixtures.rootID), .bundleWrongSigner), (.badSignature, .bundleBadSignature),
            (.rollback(installed: 2, offered: 1), .bundleRollback), (.notNewer(installed: 2), .bundleNotNewer),
            (.expired(expiresAt: UnixTime(0)), .bundleExpired), (.notYetIssued(issuedAt: UnixTime(0)), .bundleNotYetIssued),
            (.rootMismatch, .bundleRootMismatch),
        ]
        for (refusal, code) in refusals {
            #expect(AccountingErrorCode(refusing: refusal) == code)
            // The wire name is the one the service always built: "bundle-" and the refusal's name.
            #expect(code.wireName == "bundle-\(refusal.name)")
        }
    }
}
