import Foundation
import Hummingbird

/// The fields of a submitted form (`application/x-www-form-urlencoded`), read within limits.
///
/// Every field has a length limit, checked when it is read (`text(_:max:)`); the whole body is
/// capped before it is parsed, so an oversized post is refused with a clear message and
/// nothing is changed.
struct FormFields: Sendable {
    /// The largest body accepted.
    static let maximumBody = 16 * 1024

    private var values: [String: String] = [:]

    init(values: [String: String]) { self.values = values }

    /// Parses `body`; a repeated name keeps its first value.
    init(parsing body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
            if values[name] == nil { values[name] = value }
        }
    }

    static func decode(_ text: Substring) -> String? {
        String(text.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding
    }

    /// Reads the form of `request`, refusing a body over the limit.
    static func read(_ request: Request, context: DeskWebContext) async throws -> FormFields {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBody)
        } catch {
            throw StaffFacingError(
                .wrongInput, ukrainian: "форма завелика (понад \(maximumBody / 1024) КБ)", english: "the form is too large (over \(maximumBody / 1024) KB)")
        }
        return FormFields(parsing: String(buffer: buffer))
    }

    /// Reads the form and checks its CSRF token against the session's: a form from another
    /// site, an old session or a forgery is refused before anything is read from it.
    static func readChecked(_ request: Request, context: DeskWebContext) async throws -> FormFields {
        let staff = try context.requireStaff()
        let form = try await read(request, context: context)
        guard let token = form.values["csrf"], SessionSecrets.constantTimeEqual(token, staff.csrfToken) else {
            throw StaffFacingError(
                .forbidden, ukrainian: "форму відхилено: її захисний код (CSRF) відсутній або не з цього сеансу",
                english: "the form was refused: its protection code (CSRF) is missing or not from this session")
        }
        return form
    }

    /// A field's text, trimmed; nil when absent or empty; refused over `max` characters.
    func optional(_ name: String, max: Int, label: (uk: String, en: String)) throws -> String? {
        guard let raw = values[name] else { return nil }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= max else {
            throw StaffFacingError(
                .wrongInput, ukrainian: "поле «\(label.uk)» задовге: не більше \(max) символів", english: "the field \"\(label.en)\" is too long: at most \(max) characters")
        }
        return text.isEmpty ? nil : text
    }

    /// A field that must be filled.
    func required(_ name: String, max: Int, label: (uk: String, en: String)) throws -> String {
        guard let text = try optional(name, max: max, label: label) else {
            throw StaffFacingError(.wrongInput, ukrainian: "заповніть поле «\(label.uk)»", english: "fill in the field \"\(label.en)\"")
        }
        return text
    }
}
