import Entitlements
import Identifiers

/// Where an eligibility came from: a clerk who saw the evidence, or an import of the
/// social-protection registry's export.
public enum EligibilitySource: Hashable, Sendable {
    /// Entered by a clerk at the desk.
    case clerk
    /// Taken from the import with this id.
    case importFile(id: Int64)

    /// `clerk` or `import`, as stored.
    public var kind: String {
        switch self {
        case .clerk: "clerk"
        case .importFile: "import"
        }
    }
}

/// What an eligibility says: a benefit category, the document that proves it and the days it
/// covers (`validUntil` nil: open-ended, e.g. an old-age pension).
public struct EligibilityTerms: Hashable, Sendable {
    /// The benefit category's code.
    public var category: CategoryCode
    /// The evidence document (e.g. `пенсійне посвідчення 123456`). Personal: erasure clears it.
    public var evidence: String
    /// First day covered.
    public var validFrom: CivilDate
    /// Last day covered, or nil for no end.
    public var validUntil: CivilDate?

    /// Checks the terms (evidence given, not ending before it starts) and creates them.
    public init(category: CategoryCode, evidence: String, validFrom: CivilDate, validUntil: CivilDate?) throws {
        let evidence = evidence.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard (1...300).contains(evidence.count) else {
            throw RegistryRuleError(
                .invalidField, ukrainian: "вкажіть документ-підставу (до 300 символів)", english: "give the evidence document (up to 300 characters)")
        }
        if let validUntil, validUntil < validFrom {
            throw RegistryRuleError(
                .invalidField, ukrainian: "пільга не може закінчуватися раніше, ніж починається", english: "an eligibility cannot end before it starts")
        }
        self.category = category
        self.evidence = evidence
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Terms as stored, without validation.
    public init(stored category: CategoryCode, evidence: String, validFrom: CivilDate, validUntil: CivilDate?) {
        self.category = category
        self.evidence = evidence
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether the terms cover `day`.
    public func covers(_ day: CivilDate) -> Bool {
        validFrom <= day && (validUntil.map { day <= $0 } ?? true)
    }
}

/// An eligibility the registry holds, with its row id and holder.
public struct HeldEligibility: Hashable, Sendable {
    /// The row id.
    public var id: Int64
    /// The holder's id.
    public var holder: Int64
    /// What it says.
    public var terms: EligibilityTerms
    /// Where it came from.
    public var source: EligibilitySource

    /// Creates a held eligibility.
    public init(id: Int64, holder: Int64, terms: EligibilityTerms, source: EligibilitySource) {
        self.id = id
        self.holder = holder
        self.terms = terms
        self.source = source
    }
}
