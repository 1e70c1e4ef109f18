/// The language of the desk's pages: Ukrainian first, English available (a cookie the clerk
/// sets from the page footer). Each sentence is written in both languages where it is used,
/// as the Desk and registry messages are.
public enum WebLanguage: String, Sendable, CaseIterable {
    /// Ukrainian (the default).
    case uk
    /// English.
    case en

    /// The sentence in this language.
    public func text(_ ukrainian: String, _ english: String) -> String {
        self == .uk ? ukrainian : english
    }
}
