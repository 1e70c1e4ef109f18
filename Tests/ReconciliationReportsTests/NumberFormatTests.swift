import Testing

@testable import ReconciliationReports

@Suite("Numbers, money and dates for people")
struct NumberFormatTests {
    @Test(arguments: [
        (Int64(0), "0,00\u{00A0}грн", "UAH\u{00A0}0.00"),
        (5, "0,05\u{00A0}грн", "UAH\u{00A0}0.05"),
        (123_456, "1\u{00A0}234,56\u{00A0}грн", "UAH\u{00A0}1,234.56"),
        (100_000_000, "1\u{00A0}000\u{00A0}000,00\u{00A0}грн", "UAH\u{00A0}1,000,000.00"),
        (-99_999, "−999,99\u{00A0}грн", "−UAH\u{00A0}999.99"),
        (Int64.min, "−92\u{00A0}233\u{00A0}720\u{00A0}368\u{00A0}547\u{00A0}758,08\u{00A0}грн", "−UAH\u{00A0}92,233,720,368,547,758.08"),
    ])
    func money(kopecks: Int64, ukrainian: String, english: String) {
        #expect(NumberFormat.money(kopecks: kopecks, .ukrainian) == ukrainian)
        #expect(NumberFormat.money(kopecks: kopecks, .english) == english)
    }

    @Test func countsSharesAndDates() {
        #expect(NumberFormat.integer(1_234_567, .ukrainian) == "1\u{00A0}234\u{00A0}567")
        #expect(NumberFormat.integer(999, .english) == "999")
        #expect(NumberFormat.integer(-1000, .english) == "−1,000")
        #expect(NumberFormat.percent(basisPoints: 1250, .ukrainian) == "12,5\u{00A0}%")
        #expect(NumberFormat.percent(basisPoints: 10_000, .english) == "100%")
        #expect(NumberFormat.percent(basisPoints: 7, .english) == "0.07%")
        #expect(NumberFormat.basisPoints(1, of: 3) == 3333)
        #expect(NumberFormat.basisPoints(2, of: 3) == 6667)
        #expect(NumberFormat.basisPoints(-1, of: 8) == -1250)
        #expect(NumberFormat.basisPoints(5, of: 0) == 0)
        let date = ReportDate(year: 2026, month: 3, day: 9)
        #expect(date.ukrainian == "09.03.2026" && date.iso == "2026-03-09")
        let time = ReportDateTime(date: date, hour: 7, minute: 5, second: 0, utcOffsetSeconds: 7200)
        #expect(time.iso == "2026-03-09T07:05:00+02:00")
        #expect(time.text(.ukrainian) == "09.03.2026 07:05 (UTC+02:00)")
    }

    @Test(arguments: [
        (Int64(0), "нуль гривень 00 копійок"),
        (1, "нуль гривень 01 копійка"),
        (100, "одна гривня 00 копійок"),
        (202, "дві гривні 02 копійки"),
        (1_105, "одинадцять гривень 05 копійок"),
        (2_112, "двадцять одна гривня 12 копійок"),
        (123_456, "одна тисяча двісті тридцять чотири гривні 56 копійок"),
        (200_000, "дві тисячі гривень 00 копійок"),
        (5_000_000, "п’ятдесят тисяч гривень 00 копійок"),
        (1_862_534_21, "один мільйон вісімсот шістдесят дві тисячі п’ятсот тридцять чотири гривні 21 копійка"),
        (2_000_000_000_00, "два мільярди гривень 00 копійок"),
        (-1_411_00, "мінус одна тисяча чотириста одинадцять гривень 00 копійок"),
        (Int64.max, "дев’яносто два квадрильйони двісті тридцять три трильйони сімсот двадцять мільярдів триста шістдесят вісім мільйонів п’ятсот сорок сім тисяч сімсот п’ятдесят вісім гривень 07 копійок"),
    ])
    func amountInWords(kopecks: Int64, words: String) {
        #expect(AmountInWords.ukrainian(kopecks: kopecks) == words)
    }
}
