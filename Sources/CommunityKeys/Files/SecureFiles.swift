#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The C `write`, reachable from inside `SecureFiles` whose own `write` shadows it.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// Whether a file holds secrets (0600) or public material (0644).
public enum FileSecrecy: Sendable {
    /// Owner read/write only, created so from the first byte.
    case secret
    /// World-readable.
    case publicFile

    /// The permission bits.
    public var mode: mode_t {
        switch self {
        case .secret: 0o600
        case .publicFile: 0o644
        }
    }
}

/// Atomic, permission-exact file writes and checked reads.
///
/// A secret is written to a temporary file opened with `O_CREAT | O_EXCL` and mode 0600, so no
/// other user can ever open it, not even between creation and a later chmod; it is flushed to
/// disk and then moved into place, so a crash leaves either the old file or the new one, never
/// half a key.
enum SecureFiles {
    static func systemError(_ what: String, _ path: String) -> CommunityKeysError {
        CommunityKeysError(.fileSystem, "\(what) \(path): \(String(cString: strerror(errno)))")
    }

    /// Creates `path` (and parents) with `mode` if missing.
    static func makeDirectory(_ path: String, mode: mode_t) throws(CommunityKeysError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0 { continue }
            guard mkdir(prefix, mode) == 0 || errno == EEXIST else { throw systemError("cannot create directory", prefix) }
        }
    }

    /// Sets the permission bits of an existing directory (used to make `secret/` private).
    static func setMode(_ path: String, _ mode: mode_t) throws(CommunityKeysError) {
        guard chmod(path, mode) == 0 else { throw systemError("cannot set mode of", path) }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The permission bits of `path`.
    static func mode(of path: String) throws(CommunityKeysError) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw systemError("cannot stat", path) }
        return info.st_mode & 0o777
    }

    /// Writes `bytes` to `path` atomically with exactly `secrecy`'s mode.
    ///
    /// With `replacing: false` an existing file is never overwritten (`link` fails instead), so a
    /// key is never lost to a mistyped command.
    static func write(_ bytes: [UInt8], to path: String, secrecy: FileSecrecy, replacing: Bool) throws(CommunityKeysError) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secrecy.mode)
        guard descriptor >= 0 else { throw systemError("cannot create", temporary) }
        var failure: CommunityKeysError?
        // umask may have removed bits from a public file's mode; restore them. A secret's mode can
        // only have lost bits, which is safe, so it is never touched after creation.
        if case .publicFile = secrecy, fchmod(descriptor, secrecy.mode) != 0 {
            failure = systemError("cannot set mode of", temporary)
        }
        var written = 0
        while failure == nil, written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { buffer in
                posixWrite(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                failure = systemError("cannot write", temporary)
            } else {
                written += count
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = systemError("cannot flush", temporary) }
        close(descriptor)
        if failure == nil {
            if replacing {
                if rename(temporary, path) != 0 { failure = systemError("cannot move into place", path) }
            } else if link(temporary, path) != 0 {
                failure = errno == EEXIST
                    ? CommunityKeysError(.alreadyExists, "\(path) already exists; it was not overwritten")
                    : systemError("cannot move into place", path)
            }
        }
        unlink(temporary)
        if let failure { throw failure }
    }

    /// Reads a whole file; for secrets, refuses one that group or others could read.
    static func read(_ path: String, secrecy: FileSecrecy) throws(CommunityKeysError) -> [UInt8] {
        if case .secret = secrecy {
            let bits = try mode(of: path)
            guard bits & 0o077 == 0 else {
                throw CommunityKeysError(.insecurePermissions,
                    "\(path) has mode \(String(bits, radix: 8)); a secret file must be 600")
            }
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CommunityKeysError(.fileSystem, "cannot read \(path): \(error)")
        }
    }

    /// Names of the entries of a directory, sorted; empty if it does not exist.
    static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
