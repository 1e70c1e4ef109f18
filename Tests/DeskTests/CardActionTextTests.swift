import Desk
import Entitlements
import Identifiers
import Testing

/// The words the desk prints after a lifecycle action, compared word for word.
@Suite("Lifecycle texts: the receipt, the summaries")
struct CardActionTextTests {
    @Test("the top-up receipt: number, card, amount, balance, Kyiv time, desk; nothing personal")
    func receipt() {
        var result = CardActionResult(action: .topUp, serial: CardSerial(printed: "0A0B-0C0D-0E0F-3030")!, at: UnixTime(1_795_953_600), wasAlreadyDone: false, cardWritten: true)
        result.amountKopecks = 20_000
        result.purseAfterKopecks = 21_000
        result.receiptNumber = 4242
        #expect(CardActionText.topUpReceipt(result, desk: "ЦНАП Немішаєве") == """
            ================================================
            КВИТАНЦІЯ ПРО ПОПОВНЕННЯ № 4242
            Top-up receipt No. 4242
            ------------------------------------------------
            Картка / Card:            0A0B-0C0D-0E0F-3030
            Сума / Amount:            200.00 грн / UAH
            Новий залишок / Balance:  210.00 грн / UAH
            Час / Time:               2026-11-29 14:00 (Київ / Kyiv)
            Пункт / Desk:             ЦНАП Немішаєве
            ================================================

            """)
    }

    @Test("a repeated top-up says it was not credited again; accounting failures are 69, a refused token 77")
    func repeatedAndStatuses() {
        var result = CardActionResult(action: .topUp, serial: 0x1, at: UnixTime(1_795_953_600), wasAlreadyDone: true, cardWritten: false)
        result.receiptNumber = 7
        result.amountKopecks = 100
        #expect(CardActionText.summary(result, categories: []).hasPrefix("Поповнення за квитанцією №7 вже зараховано; вдруге не зараховано.\n"))
        #expect(DeskError(.accountingUnavailable, ukrainian: "", english: "").exitStatus == 69)
        #expect(DeskError(.accountingRefused, ukrainian: "", english: "").exitStatus == 77)
    }
}
