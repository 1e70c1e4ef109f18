#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A card image kept in one file, saved atomically.
///
/// A save writes the whole image to a temporary file beside the target, flushes it to disk,
/// renames it over the target and flushes the directory, so after a crash or power cut the file
/// holds either the previous image or the new one, never a mixture. The file is created
/// readable by its owner only: it holds the card's keys.
public struct CardImageFile: CardImageStore, Sendable {
    /// The image file's path.
    public let path: String

    /// The image file at `path`.
    public init(path: String) { self.path = path }

    /// Whether a file exists at `path`.
    public var exists: Bool { access(path, F_OK) == 0 }

    /// Reads and checks the image.
    public func load() throws -> CardImage {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.ioError("cannot open \(path)") }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.ioError("cannot read \(path)")
            }
            if count == 0 { break }
            contents += buffer[0..<count]
            if contents.count > 16 << 20 { throw CardImageError(.malformed, "\(path) is larger than 16 MiB") }
        }
        do {
            return try CardImageCodec.decode(contents)
        } catch let error as CardImageError {
            throw CardImageError(error.code, "\(path): \(error.reason)")
        }
    }

    /// Writes `image` atomically (temporary file, fsync, rename, fsync of the directory).
    public func save(_ image: CardImage) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.ioError("cannot create \(temporary)") }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            let bytes = CardImageCodec.encode(image)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Self.ioError("cannot write \(temporary)")
                }
                written += count
            }
            guard fsync(descriptor) == 0 else { throw Self.ioError("cannot flush \(temporary)") }
            closed = true
            guard close(descriptor) == 0 else { throw Self.ioError("cannot close \(temporary)") }
            guard rename(temporary, path) == 0 else { throw Self.ioError("cannot rename \(temporary) to \(path)") }
        } catch {
            unlink(temporary)
            throw error
        }
        try Self.flushDirectory(of: path)
    }

    /// Loads the image, or creates `blank()` there first when no file exists.
    /// Returns the image and whether it was created.
    public func loadOrCreate(_ blank: () -> CardImage) throws -> (image: CardImage, created: Bool) {
        if exists { return (try load(), false) }
        let image = blank()
        try save(image)
        return (image, true)
    }

    private static func flushDirectory(of path: String) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ioError("cannot open directory \(directory)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ioError("cannot flush directory \(directory)") }
    }

    private static func ioError(_ what: String, file: String = #fileID, line: UInt = #line) -> CardImageError {
        let reason = String(cString: strerror(errno))
        return CardImageError(.io, "\(what): \(reason)", file: file, line: line)
    }
}
