import ArgumentParser
import Desk
import Entitlements
import Foundation
import Identifiers

/// The card a lifecycle command is for: optional, but when given the desk refuses any other card.
struct CardSerialOption: ParsableArguments {
    @Option(help: "The card expected on the reader (16 hex digits); any other card is refused.") var serial: String?

    func validate() throws {
        if let serial, CardSerial(printed: serial) == nil { throw ValidationError("--serial must be 16 hex digits, e.g. 0123-4567-89AB-CDEF") }
    }

    var value: CardSerial? { serial.flatMap { CardSerial(printed: $0) } }

    /// A date option's value (`name` is the option's, for the message).
    static func civilDate(_ text: String?, _ name: String) throws -> CivilDate? {
        guard let text else { return nil }
        guard let date = CivilDate(iso: text) else { throw ValidationError("--\(name) must be a date YYYY-MM-DD") }
        return date
    }
}

/// Where the accounting service is and the desk's operator token (never on the command line,
/// where other users could see it in the process list).
struct AccountingOptions: ParsableArguments {
    @Option(help: "The accounting service's base URL, e.g. http://127.0.0.1:8443.") var accounting: String?
    @Option(help: "A file holding the desk's operator token (default: the HROMADA_OPERATOR_TOKEN environment variable).") var tokenFile: String?

    /// The client, or nil when no service is named.
    func client() throws -> AccountingDeskClient? {
        guard let accounting else { return nil }
        let token: String
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile), let text = String(data: data, encoding: .utf8) else {
                throw DeskError(.filesUnreadable, ukrainian: "не вдалося прочитати файл токена \(tokenFile)", english: "cannot read the token file \(tokenFile)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let text = ProcessInfo.processInfo.environment["HROMADA_OPERATOR_TOKEN"] {
            token = text
        } else {
            throw DeskError(.invalidRequest, ukrainian: "потрібен токен оператора: --token-file або HROMADA_OPERATOR_TOKEN", english: "an operator token is needed: --token-file or HROMADA_OPERATOR_TOKEN")
        }
        return AccountingDeskClient(baseURL: accounting, token: token)
    }
}
