import Crypto
import Identifiers

/// One input a report was computed from: a device's held chain head, a receipt, a bundle
/// version, an imported file. The tool decides the kinds; the manifest only lists them.
public struct ManifestInput: Hashable, Sendable {
    /// What it is: `device-head`, `receipt`, `bundle`, `carrier-claim`, …
    public let kind: String
    /// Which one: a device id, a bundle version, a file name.
    public let name: String
    /// Its facts: sequence, chain hash, SHA-256, size. Integers or strings.
    public let attributes: [String: JSONValue]

    /// An input.
    public init(kind: String, name: String, attributes: [String: JSONValue] = [:]) {
        self.kind = kind
        self.name = name
        self.attributes = attributes
    }

    var json: JSONValue { .object(["kind": .string(kind), "name": .string(name), "attributes": .object(attributes)]) }
}

/// One file of a report, as the tool writes it into the report's directory.
public struct OutputFile: Hashable, Sendable {
    /// The file name, without a directory: `report.uk.html`, `compensation-lines.csv`.
    public let name: String
    /// The file's bytes.
    public let bytes: [UInt8]

    /// A file.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    /// The SHA-256 of the bytes, lowercase hex.
    public var sha256: String { hex(SHA256.hash(data: bytes)) }
}

/// What a report was made from and what it consists of, before it is signed.
///
/// The *inputs digest* (SHA-256 over the canonical JSON of the subject and the inputs) is known
/// before any file is rendered, so every printed page carries it; the manifest then binds it to
/// the SHA-256 of every output and the finance key signs the whole. A page cannot carry the
/// hash of the manifest itself, which lists the page's own hash.
public struct ReportManifest: Hashable, Sendable {
    /// The format name every manifest carries.
    public static let format = "hromada-reconciliation-manifest/1"
    /// The bytes that precede the canonical JSON in the signed message, so that a manifest
    /// signature can never be taken for a signature of another kind made by the same key.
    public static let signatureContext: [UInt8] = Array("HromadaCard reconciliation manifest v1".utf8) + [0]
    /// The name of the manifest file in a report's directory.
    public static let fileName = "manifest.json"

    /// What the report is about: community, period, generator. Strings or integers.
    public let subject: [String: JSONValue]
    /// The inputs, sorted by kind and name so that their order of discovery does not matter.
    public let inputs: [ManifestInput]

    /// A manifest of `subject` and `inputs`.
    public init(subject: [String: JSONValue], inputs: [ManifestInput]) {
        self.subject = subject
        self.inputs = inputs.sorted {
            $0.kind != $1.kind ? JSONValue.codePointOrder($0.kind, $1.kind) : JSONValue.codePointOrder($0.name, $1.name)
        }
    }

    /// SHA-256 (lowercase hex) of the canonical JSON `{"inputs": […], "subject": {…}}`: what
    /// the printed pages show.
    public var inputsDigest: String {
        hex(SHA256.hash(data: JSONValue.object(["inputs": .array(inputs.map(\.json)), "subject": .object(subject)]).canonicalBytes))
    }

    /// The manifest over `outputs`, signed with the finance key.
    ///
    /// Throws when an output's name could leave the report's directory or appears twice: the
    /// verifier opens each listed name inside the directory.
    public func signed(outputs: [OutputFile], with key: Curve25519.Signing.PrivateKey) throws -> SignedReportManifest {
        var seen: Set<String> = [Self.fileName]
        for file in outputs {
            guard Self.isPlainFileName(file.name), seen.insert(file.name).inserted else {
                throw ReportError(.invalidFileName, "output file name \(file.name) is not a plain, unique file name")
            }
        }
        let listed = outputs.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }.map { file in
            JSONValue.object(["name": .string(file.name), "size": .integer(Int64(file.bytes.count)), "sha256": .string(file.sha256)])
        }
        let body: [String: JSONValue] = [
            "format": .string(Self.format), "subject": .object(subject), "inputs": .array(inputs.map(\.json)),
            "inputsSHA256": .string(inputsDigest), "outputs": .array(listed),
        ]
        let signature = try key.signature(for: Self.signatureContext + JSONValue.object(body).canonicalBytes)
        var document = body
        document["signature"] = .object([
            "algorithm": .string("Ed25519"), "publicKey": .string(hex(key.publicKey.rawRepresentation)), "value": .string(hex(signature)),
        ])
        return SignedReportManifest(document: .object(document))
    }

    /// A name without directories, dots-only names or control characters.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 255
            && !name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
    }
}

/// A signed manifest: the `manifest.json` of a report's directory.
public struct SignedReportManifest: Hashable, Sendable {
    /// The whole document, signature included.
    public let document: JSONValue

    /// The file's bytes: indented JSON with sorted keys (the signature covers the canonical
    /// form, which the verifier recomputes, so the indentation is for people only).
    public var bytes: [UInt8] { document.prettyBytes }

    /// The manifest as the file the tool writes beside the outputs.
    public var file: OutputFile { OutputFile(name: ReportManifest.fileName, bytes: bytes) }

    /// A manifest read back from its file.
    public init(bytes: [UInt8]) throws {
        let document = try JSONValue(parsing: bytes)
        guard document["format"]?.stringValue == ReportManifest.format else {
            throw ReportError(.malformedManifest, "not a \(ReportManifest.format) document")
        }
        self.init(document: document)
    }

    init(document: JSONValue) { self.document = document }

    /// The public key that signed, lowercase hex, as the manifest states it.
    public var signerPublicKey: String? { document["signature"]?["publicKey"]?.stringValue }

    /// The inputs digest the pages print.
    public var inputsDigest: String? { document["inputsSHA256"]?.stringValue }

    /// Checks the manifest against the finance officer's public key and the files of the report.
    ///
    /// `files` are the report's files by name (the manifest itself may be among them and is
    /// ignored). The verdict names the first problem: a signature that fails or comes from
    /// another key, an inputs digest that does not match the inputs, a listed file missing or
    /// different, or a file the manifest does not list.
    public func verify(files: [String: [UInt8]], trusting key: Curve25519.Signing.PublicKey) -> ManifestVerdict {
        guard case .object(var body) = document, case .object(let signature)? = body.removeValue(forKey: "signature"),
            signature["algorithm"]?.stringValue == "Ed25519", let signer = signature["publicKey"]?.stringValue,
            let value = signature["value"]?.stringValue.flatMap(unhex)
        else { return .refused(.malformed, "the manifest has no Ed25519 signature") }
        guard signer == hex(key.rawRepresentation) else { return .refused(.otherSigner, "signed by \(signer), not by the given finance key") }
        guard key.isValidSignature(value, for: ReportManifest.signatureContext + JSONValue.object(body).canonicalBytes) else {
            return .refused(.badSignature, "the signature does not match the manifest")
        }
        guard let subject = body["subject"], let inputs = body["inputs"],
            body["inputsSHA256"]?.stringValue == hex(SHA256.hash(data: JSONValue.object(["inputs": inputs, "subject": subject]).canonicalBytes))
        else { return .refused(.inputsDigestMismatch, "inputsSHA256 does not match the listed inputs") }
        guard let outputs = body["outputs"]?.arrayValue else { return .refused(.malformed, "the manifest lists no outputs") }
        var listed: Set<String> = [ReportManifest.fileName]
        for output in outputs {
            guard let name = output["name"]?.stringValue, let size = output["size"]?.integerValue, let sha256 = output["sha256"]?.stringValue else {
                return .refused(.malformed, "an output without name, size or sha256")
            }
            listed.insert(name)
            guard let bytes = files[name] else { return .refused(.missingFile, "\(name) is missing") }
            guard Int64(bytes.count) == size, hex(SHA256.hash(data: bytes)) == sha256 else {
                return .refused(.fileChanged, "\(name) differs from the manifest")
            }
        }
        if let extra = files.keys.filter({ !listed.contains($0) }).sorted().first {
            return .refused(.unlistedFile, "\(extra) is not in the manifest")
        }
        return .intact(files: outputs.count)
    }
}

/// The outcome of checking a manifest: a value, not a throw.
public enum ManifestVerdict: Hashable, Sendable {
    /// Why a report is refused.
    public enum Problem: String, Hashable, Sendable {
        /// The manifest lacks a field or the signature block.
        case malformed
        /// Signed, but by a key other than the trusted finance key.
        case otherSigner
        /// The signature does not verify over the manifest.
        case badSignature
        /// The digest the pages print does not match the listed inputs.
        case inputsDigestMismatch
        /// A listed output is not in the directory.
        case missingFile
        /// A listed output's size or SHA-256 differs.
        case fileChanged
        /// A file in the directory is not listed.
        case unlistedFile
    }

    /// Signature, digest and every file check out.
    case intact(files: Int)
    /// The first problem found, with an explanation.
    case refused(Problem, String)

    /// Whether the report is intact.
    public var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }

func hex(_ digest: SHA256.Digest) -> String { Hex.encode(Array(digest)) }

/// Lowercase hex only: the manifest writes lowercase, and a different spelling of the same key
/// is a different manifest.
func unhex(_ text: String) -> [UInt8]? { text == text.lowercased() ? Hex.decode(text) : nil }
