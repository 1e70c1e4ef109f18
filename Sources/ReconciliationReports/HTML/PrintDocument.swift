import HTMLText

/// What a printed report says at its top: whose, for when, made when, from what.
public struct PrintHeader: Hashable, Sendable {
    /// The community, e.g. `Немішаївська селищна територіальна громада`.
    public let community: BilingualText
    /// The document's title.
    public let title: BilingualText
    /// The first day of the period.
    public let periodStart: ReportDate
    /// The last day of the period (inclusive).
    public let periodEnd: ReportDate
    /// When the report was made, in Kyiv civil time.
    public let generatedAt: ReportDateTime
    /// The SHA-256 of the manifest's inputs (`ReportManifest.inputsDigest`): a reader can match
    /// a paper copy to the signed manifest and the ledgers behind it.
    public let inputsDigest: String

    /// A header.
    public init(
        community: BilingualText, title: BilingualText, periodStart: ReportDate, periodEnd: ReportDate, generatedAt: ReportDateTime,
        inputsDigest: String
    ) {
        self.community = community
        self.title = title
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.generatedAt = generatedAt
        self.inputsDigest = inputsDigest
    }
}

/// Who signs a printed document.
public enum SignatoryRole: Hashable, Sendable, CaseIterable {
    /// Голова громади.
    case head
    /// Головний бухгалтер.
    case chiefAccountant
    /// Підготував (the finance officer who made the report).
    case preparedBy
    /// The carrier's director, on an act of reconciliation.
    case carrierDirector
    /// The carrier's accountant, on an act of reconciliation.
    case carrierAccountant

    /// The role as printed under the signature line.
    public var title: BilingualText {
        switch self {
        case .head: BilingualText(uk: "Голова", en: "Head")
        case .chiefAccountant: BilingualText(uk: "Головний бухгалтер", en: "Chief accountant")
        case .preparedBy: BilingualText(uk: "Підготував", en: "Prepared by")
        case .carrierDirector: BilingualText(uk: "Директор перевізника", en: "Carrier's director")
        case .carrierAccountant: BilingualText(uk: "Бухгалтер перевізника", en: "Carrier's accountant")
        }
    }
}

/// A piece of a section.
public enum PrintBlock: Hashable, Sendable {
    /// A heading inside a section.
    case heading(BilingualText)
    /// A paragraph of text.
    case paragraph(BilingualText)
    /// Label–value pairs (opening debt, accrued, …), printed as a two-column list.
    case facts([Fact])
    /// A table.
    case table(ReportTable)
    /// A chart.
    case chart(BarChart)
    /// Signature blocks: a line for the name, one for the signature, one for the date.
    case signatures([SignatoryRole])

    /// One label and its value.
    public struct Fact: Hashable, Sendable {
        /// What it is.
        public let label: BilingualText
        /// Its value.
        public let value: ReportCell
        /// Whether the value is a total to be set in bold.
        public let emphasized: Bool

        /// A fact.
        public init(_ label: BilingualText, _ value: ReportCell, emphasized: Bool = false) {
            self.label = label
            self.value = value
            self.emphasized = emphasized
        }
    }
}

/// A section of a printed report: it starts on a new A4 page.
public struct PrintSection: Hashable, Sendable {
    /// The id (made safe) for links and tests.
    public let id: String
    /// The section's heading.
    public let title: BilingualText
    /// What it contains, in order.
    public let blocks: [PrintBlock]

    /// A section.
    public init(id: String, title: BilingualText, blocks: [PrintBlock]) {
        self.id = HTMLText.identifier(id)
        self.title = title
        self.blocks = blocks
    }
}

/// A report laid out for A4 paper, as one self-contained HTML file per language.
///
/// Two files rather than one bilingual page: a finance officer prints the Ukrainian one with
/// Ctrl+P and gets only Ukrainian pages, and each file links to the other. The file has no
/// script, loads nothing, and says so in its Content-Security-Policy, so that hostile text in
/// the data could not run even if it escaped the escaping.
public struct PrintDocument: Hashable, Sendable {
    /// The top of every copy.
    public let header: PrintHeader
    /// The sections, each from a new page.
    public let sections: [PrintSection]
    /// The file name stem: `report` gives `report.uk.html` and `report.en.html`.
    public let fileStem: String

    /// A document.
    public init(header: PrintHeader, sections: [PrintSection], fileStem: String = "report") {
        self.header = header
        self.sections = sections
        self.fileStem = fileStem
    }

    /// The file name in `language`: `report.uk.html`.
    public func fileName(_ language: ReportLanguage) -> String { "\(fileStem).\(language.code).html" }

    /// Both files, Ukrainian first.
    public var files: [OutputFile] {
        ReportLanguage.allCases.map { OutputFile(name: fileName($0), bytes: Array(html($0).utf8)) }
    }

    /// The page in `language`.
    public func html(_ language: ReportLanguage) -> String {
        let other: ReportLanguage = language == .ukrainian ? .english : .ukrainian
        let words = Words(language)
        var html = "<!DOCTYPE html>\n<html lang=\"\(language.code)\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(HTMLText.escape(header.title.text(language))) — \(HTMLText.escape(header.community.text(language)))</title>\n"
        html += "<style>\n\(Self.stylesheet)</style>\n</head>\n<body>\n"
        html += "<header class=\"report-header\">\n"
        html += "<p class=\"language-switch\"><a href=\"\(HTMLText.escape(fileName(other)))\" hreflang=\"\(other.code)\" lang=\"\(other.code)\">\(other == .english ? "English version" : "Українська версія")</a></p>\n"
        html += "<p class=\"community\">\(HTMLText.escape(header.community.text(language)))</p>\n"
        html += "<h1>\(HTMLText.escape(header.title.text(language)))</h1>\n<dl class=\"meta\">\n"
        html += "<dt>\(words.period)</dt><dd>\(header.periodStart.text(language)) — \(header.periodEnd.text(language))</dd>\n"
        html += "<dt>\(words.generated)</dt><dd>\(header.generatedAt.text(language))</dd>\n"
        html += "<dt>\(words.digest)</dt><dd><code class=\"digest\">\(HTMLText.escape(header.inputsDigest))</code></dd>\n"
        html += "</dl>\n"
        if sections.count > 1 {
            html += "<nav class=\"contents\"><h2>\(words.contents)</h2><ol>\n"
            for section in sections {
                html += "<li><a href=\"#\(section.id)\">\(HTMLText.escape(section.title.text(language)))</a></li>\n"
            }
            html += "</ol></nav>\n"
        }
        html += "</header>\n"
        for section in sections {
            html += "<section id=\"\(section.id)\">\n<h2>\(HTMLText.escape(section.title.text(language)))</h2>\n"
            for block in section.blocks { html += Self.render(block, language) }
            html += "<p class=\"footer-digest\">\(words.digest): <code>\(HTMLText.escape(header.inputsDigest))</code></p>\n"
            html += "</section>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    static func render(_ block: PrintBlock, _ language: ReportLanguage) -> String {
        switch block {
        case .heading(let text):
            return "<h3>\(HTMLText.escape(text.text(language)))</h3>\n"
        case .paragraph(let text):
            return "<p>\(HTMLText.escape(text.text(language)))</p>\n"
        case .facts(let facts):
            var html = "<table class=\"facts\">\n<tbody>\n"
            for fact in facts {
                let numeric = fact.value.isNumeric ? " class=\"num\"" : ""
                let value = HTMLText.escape(fact.value.moneyForPeople(language))
                html += "<tr\(fact.emphasized ? " class=\"emphasized\"" : "")><th scope=\"row\">\(HTMLText.escape(fact.label.text(language)))</th><td\(numeric)>\(value)</td></tr>\n"
            }
            return html + "</tbody>\n</table>\n"
        case .table(let table):
            return HTMLTable.render(table, language)
        case .chart(let chart):
            return "<figure class=\"chart\">\n\(chart.svg(language))<figcaption>\(HTMLText.escape(chart.title.text(language)))</figcaption>\n</figure>\n"
        case .signatures(let roles):
            let words = Words(language)
            var html = "<div class=\"signatures\">\n"
            for role in roles {
                html += "<div class=\"signature\"><p class=\"role\">\(HTMLText.escape(role.title.text(language)))</p>"
                html += "<p class=\"line\"><span class=\"rule\"></span><span class=\"under\">\(words.signature)</span></p>"
                html += "<p class=\"line\"><span class=\"rule\"></span><span class=\"under\">\(words.name)</span></p>"
                html += "<p class=\"line date\"><span class=\"rule\"></span><span class=\"under\">\(words.date)</span></p></div>\n"
            }
            return html + "</div>\n"
        }
    }

    /// The words of the page frame.
    struct Words {
        let period, generated, digest, contents, signature, name, date: String

        init(_ language: ReportLanguage) {
            switch language {
            case .ukrainian:
                (period, generated, digest, contents) = ("Звітний період", "Сформовано", "Відбиток вхідних даних (SHA-256)", "Зміст")
                (signature, name, date) = ("(підпис)", "(прізвище, ініціали)", "(дата)")
            case .english:
                (period, generated, digest, contents) = ("Reporting period", "Generated", "Input fingerprint (SHA-256)", "Contents")
                (signature, name, date) = ("(signature)", "(name)", "(date)")
            }
        }
    }

    /// A4 portrait, each section from a new page, table headings repeated on every page, rows
    /// never split, signature blocks kept together, links and the language switch not printed.
    static let stylesheet = """
        @page { size: A4 portrait; margin: 15mm 12mm 15mm 20mm; }
        :root { color: #000; background: #fff; }
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.35; margin: 0 auto; max-width: 190mm; }
        h1 { font-size: 15pt; margin: 2mm 0 3mm; }
        h2 { font-size: 13pt; margin: 0 0 3mm; }
        h3 { font-size: 11pt; margin: 5mm 0 2mm; }
        .community { font-weight: bold; margin: 0; }
        .meta { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 4mm; margin: 0 0 4mm; }
        .meta dt { font-weight: bold; }
        .meta dd { margin: 0; }
        code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8pt; word-break: break-all; }
        .language-switch { float: right; margin: 0; }
        section { margin-top: 8mm; }
        table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; }
        caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 1.5mm; }
        table.report-table { font-size: 8pt; }
        table.report-table.dense { font-size: 6.5pt; }
        table.report-table.dense th, table.report-table.dense td { padding: 0.5mm 0.8mm; }
        th, td { border: 0.3mm solid #555; padding: 0.8mm 1.5mm; vertical-align: top; text-align: left; overflow-wrap: break-word; }
        td.date { white-space: nowrap; }
        td.token { word-break: break-all; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 7pt; }
        thead th { background: #e8e8e8; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        td.num { white-space: nowrap; }
        thead th { hyphens: auto; }
        tfoot td { font-weight: bold; border-top: 0.6mm solid #000; }
        tr.none td { font-style: italic; color: #444; }
        table.facts { width: auto; min-width: 60%; }
        table.facts th { font-weight: normal; background: none; }
        table.facts tr.emphasized th, table.facts tr.emphasized td { font-weight: bold; }
        figure.chart { margin: 3mm 0 5mm; break-inside: avoid; }
        figure.chart svg { width: 100%; height: auto; max-height: 120mm; }
        figcaption { font-size: 9pt; color: #333; }
        .signatures { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 6mm; margin-top: 10mm; break-inside: avoid; }
        .signature .role { font-weight: bold; margin: 0 0 8mm; }
        .signature .line { margin: 0 0 5mm; }
        .signature .rule { display: block; border-bottom: 0.3mm solid #000; height: 6mm; }
        .signature .under { display: block; font-size: 7.5pt; color: #333; text-align: center; }
        .footer-digest { font-size: 7.5pt; color: #444; margin-top: 6mm; }
        @media print {
          body { max-width: none; }
          .language-switch, nav.contents { display: none; }
          section { margin-top: 0; break-before: page; }
          thead { display: table-header-group; }
          tfoot { display: table-row-group; }
          tr, .facts, .signature { break-inside: avoid; }
          h2, h3, caption { break-after: avoid; }
          a { color: inherit; text-decoration: none; }
        }

        """
}

extension ReportCell {
    /// Money as people read it in running text (`1 234,56 грн`); everything else as in a table.
    func moneyForPeople(_ language: ReportLanguage) -> String {
        if case .money(let kopecks) = self { return NumberFormat.money(kopecks: kopecks, language) }
        return text(language)
    }
}
