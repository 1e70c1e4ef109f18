import CommunityKeys
import Entitlements

#if canImport(Glibc)
import Glibc
#endif

import Foundation
import PropertyTesting

let fixedNow = UnixTime(1_780_000_000) // 2026-05-28T20:26:40Z

/// A fresh empty directory under the system's temporary directory.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/hromada-keys-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw CommunityKeysError(.fileSystem, "mkdtemp failed") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func mode(_ path: String) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o777
}

func readBytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Every file and directory under `root`, relative, sorted.
func tree(_ root: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    return enumerator.compactMap { $0 as? String }.sorted()
}

/// A community made with seed 42 at `fixedNow`.
func makeCommunity(seed: UInt64 = 42) throws -> (CommunityDirectory, String) {
    let base = try temporaryDirectory()
    var rng = SeededGenerator(seed: seed)
    let directory = try CommunityDirectory.create(at: base + "/community", community: "nemishaieve", now: fixedNow, using: &rng)
    return (directory, base)
}
