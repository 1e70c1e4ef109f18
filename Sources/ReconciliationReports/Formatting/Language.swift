/// The language of a printed page: Ukrainian first, English beside it for auditors and donors.
public enum ReportLanguage: String, Hashable, Sendable, CaseIterable {
    /// Українська: the document a finance officer signs.
    case ukrainian = "uk"
    /// English: the same document for readers without Ukrainian.
    case english = "en"

    /// The BCP 47 code, for `lang` attributes and file names (`report.uk.html`).
    public var code: String { rawValue }
}

/// One text in both languages of a report.
public struct BilingualText: Hashable, Sendable {
    /// The Ukrainian text.
    public let ukrainian: String
    /// The English text.
    public let english: String

    /// A text in Ukrainian and English.
    public init(uk: String, en: String) {
        self.ukrainian = uk
        self.english = en
    }

    /// A text that reads the same in both languages (a route number, a carrier's name).
    public init(verbatim: String) {
        self.init(uk: verbatim, en: verbatim)
    }

    /// The text in `language`.
    public func text(_ language: ReportLanguage) -> String {
        switch language {
        case .ukrainian: ukrainian
        case .english: english
        }
    }

    /// `Українська / English`, for places that carry both (a CSV header).
    public var both: String { ukrainian == english ? ukrainian : "\(ukrainian) / \(english)" }
}
