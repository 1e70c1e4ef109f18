import DESFire
@testable import Desk
import SmartCard
import SocialCard
import Testing

@Suite("Desk errors: exit statuses and the operator's two lines")
struct DeskErrorTests {
    @Test(
        "a card error's exit status",
        arguments: [
            (SocialCardError.Code.notOurCard, Int32(65)), (.noApplication, 65), (.layoutVersionUnknown, 65), (.otherCommunity, 65),
            (.malformedFile, 65), (.personalizationIncomplete, 65), (.alreadyPersonalized, 65), (.layoutMismatch, 65),
            (.unknownKeyVersion, 65), (.inconsistentCard, 65), (.missingKey, 66), (.layoutUnsupported, 66), (.invalidRequest, 64),
        ])
    func socialCardErrors(code: SocialCardError.Code, status: Int32) {
        let error = DeskError(SocialCardError(code, "why"))
        #expect(error.exitStatus == status)
        #expect(error.ukrainian.hasSuffix(" (\(code))"))
        #expect(error.reason == "\(code): why")
    }

    @Test("the operator reads Ukrainian, then English")
    func message() {
        let error = DeskError(SocialCardError(.noApplication, "the card has no application F4E1A0"))
        #expect(error.message == "помилка: на картці немає застосунку громади (no-application)\nerror: no-application: the card has no application F4E1A0\n")
    }

    @Test("a card that left mid-way is 75 with the advice to run again; a reader failure 69; the card's refusal 65; anything else 70")
    func otherErrors() {
        let removed = DeskError(CardError(.removed, "gone"))
        #expect(removed.exitStatus == 75)
        #expect(removed.message == """
            помилка: картку прибрано з зчитувача до завершення (card-removed); поверніть її та повторіть ту саму команду — вона продовжить з місця зупинки
            error: the card left the reader before the end (card-removed); put it back and run the same command again: it resumes where it stopped

            """)
        let reader = DeskError(ReaderError(.serviceUnavailable, "no pcscd"))
        #expect(reader.exitStatus == 69)
        #expect(reader.reason == "the reader or the pcscd service is unavailable: service-unavailable: no pcscd")
        #expect(DeskError(DESFireError(.permissionDenied, "no")).exitStatus == 65)
        struct Strange: Error {}
        #expect(DeskError(Strange()).exitStatus == 70)
        #expect(DeskError(Strange()).reason == "unexpected error: Strange()")
    }

    @Test("a desk error passes through unchanged")
    func passesThrough() {
        let original = DeskError(.filesUnreadable, ukrainian: "у", english: "e")
        let again = DeskError(original as any Error)
        #expect(again.code == .filesUnreadable && again.ukrainian == "у" && again.reason == "e" && again.exitStatus == 66)
    }
}
