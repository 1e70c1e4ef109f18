import CardLayout
import CommunityKeys
import Entitlements
import Foundation
import SocialCard

/// The files a desk command needs, loaded and checked against each other: the community key
/// directory, the card layout, the card keyring made of the directory's master keys, and the
/// benefit categories.
public struct DeskSetup: Sendable {
    /// The community key directory.
    public let directory: CommunityDirectory
    /// The card layout cards are issued and read with.
    public let layout: SocialCardLayout
    /// Every card master key of the directory, every version and role.
    public let keyring: CardKeyring
    /// The community's benefit categories.
    public let categories: [BenefitCategory]

    /// The layout used when none is named and the community names none for new cards, looked
    /// for near the program (``DeskPaths/nearProgram(_:)``).
    public static let defaultLayout = "CardLayouts/nemishaieve-social-v1.json"

    /// Loads the key directory at `keys`, the layout at `layoutPath` (default: the one the
    /// community's `Communities/<community>/issuance.json` names for new cards, else
    /// ``defaultLayout``, near the program) and the categories at `categoriesPath` (default:
    /// beside the layout, see ``DeskPaths/categories(besideLayout:community:)``).
    public init(keys: String, layoutPath: String?, categoriesPath: String?) throws {
        do {
            directory = try CommunityDirectory(opening: keys)
        } catch {
            throw DeskError(.filesUnreadable, ukrainian: "не вдалося відкрити теку ключів \(keys): \(error.reason)", english: "cannot open the key directory \(keys): \(error.reason)")
        }
        let layoutPath = try layoutPath ?? DeskPaths.newCardLayout(community: directory.community) ?? DeskPaths.nearProgram(Self.defaultLayout)
        let cardLayout: CardLayout
        do {
            cardLayout = try CardLayout(json: try DeskPaths.read(layoutPath))
        } catch let error as CardLayoutError {
            throw DeskError(.filesUnreadable, ukrainian: "макет картки \(layoutPath) хибний: \(error)", english: "the card layout \(layoutPath) is invalid: \(error)")
        }
        layout = try SocialCardLayout(cardLayout)
        guard directory.community == cardLayout.community else {
            throw DeskError(.filesUnreadable, ukrainian: "ключі належать громаді \(directory.community), а макет — \(cardLayout.community)",
                            english: "the keys are \(directory.community)'s but the layout is \(cardLayout.community)'s")
        }
        keyring = try directory.cardKeyring(community: cardLayout.community)
        let categoriesPath = categoriesPath ?? DeskPaths.categories(besideLayout: layoutPath, community: cardLayout.community)
        do {
            categories = try JSONDecoder().decode(BenefitCategoryList.self, from: Data(try DeskPaths.read(categoriesPath))).categories
        } catch let error as DeskError {
            throw error
        } catch {
            throw DeskError(.filesUnreadable, ukrainian: "список категорій \(categoriesPath) хибний: \(error)", english: "the category list \(categoriesPath) is invalid: \(error)")
        }
    }

    /// The social card layout in the file at `path`.
    public static func layout(at path: String) throws -> SocialCardLayout {
        do {
            return try SocialCardLayout(try CardLayout(json: try DeskPaths.read(path)))
        } catch let error as CardLayoutError {
            throw DeskError(.filesUnreadable, ukrainian: "макет картки \(path) хибний: \(error)", english: "the card layout \(path) is invalid: \(error)")
        }
    }

    /// The trust store made of the directory's public part: root, certificates, revocations.
    public func trustStore() throws(DeskError) -> TrustStore {
        do {
            let root = try directory.root()
            return try TrustStore(rootKeyID: root.keyID, rootPublicKey: root.publicKey,
                                  certificates: try directory.certificates(), revocations: try directory.revocations())
        } catch let error as CommunityKeysError {
            throw DeskError(.filesUnreadable, ukrainian: "сертифікати громади недоступні: \(error.reason)", english: "the community's certificates are unavailable: \(error.reason)")
        } catch {
            throw DeskError(error)
        }
    }
}

/// Where the desk looks for the files it is not told about, and how it reads them.
public enum DeskPaths {
    /// The categories of `community` as the package lays them out: `Communities/<community>/categories.json`
    /// beside the `CardLayouts` folder holding `layoutPath`.
    public static func categories(besideLayout layoutPath: String, community: String) -> String {
        URL(fileURLWithPath: layoutPath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Communities/\(community)/categories.json").path
    }

    /// The layout file the community gives new cards: `CardLayouts/<newCardLayout>.json` near the
    /// program, as `Communities/<community>/issuance.json` near the program names it; nil when the
    /// community has no such file.
    public static func newCardLayout(community: String) throws(DeskError) -> String? {
        let path = nearProgram("Communities/\(community)/issuance.json")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        struct Issuance: Decodable {
            var community: String
            var newCardLayout: String
        }
        let issuance: Issuance
        do {
            issuance = try JSONDecoder().decode(Issuance.self, from: Data(try read(path)))
        } catch let error as DeskError {
            throw error
        } catch {
            throw DeskError(.filesUnreadable, ukrainian: "файл видачі \(path) хибний: \(error)", english: "the issuance file \(path) is invalid: \(error)")
        }
        guard issuance.community == community, issuance.newCardLayout.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw DeskError(.filesUnreadable, ukrainian: "файл видачі \(path) не належить громаді \(community)", english: "the issuance file \(path) is not \(community)'s")
        }
        return nearProgram("CardLayouts/\(issuance.newCardLayout).json")
    }

    /// `relative` found beside the program or up to five folders above it (a build tree inside
    /// the package), else in the current directory.
    public static func nearProgram(_ relative: String) -> String {
        let program = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return find(relative, above: program, currentDirectory: FileManager.default.currentDirectoryPath) {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    /// `relative` in the folder of `program` or one of the five above it, the first for which
    /// `exists` holds; else in `currentDirectory`.
    static func find(_ relative: String, above program: String, currentDirectory: String, exists: (String) -> Bool) -> String {
        var directory = URL(fileURLWithPath: program).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(relative).path
            if exists(candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return currentDirectory + "/" + relative
    }

    /// The bytes of the file at `path`.
    public static func read(_ path: String) throws(DeskError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeskError(.filesUnreadable, ukrainian: "не вдалося прочитати файл \(path)", english: "cannot read the file \(path)")
        }
        return [UInt8](data)
    }
}
