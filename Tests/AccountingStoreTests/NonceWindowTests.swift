import Entitlements
import Foundation
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import SQLiteSupport
import Synchronization
import Testing

@testable import AccountingStore

/// `NonceWindow`: the SQLite store's replay window in memory, against a plain model.
@Suite("The replay window in memory")
struct NonceWindowTests {
    static let start = UnixTime(1_800_000_000)
    static let window: Int64 = 300

    private static func nonces(_ unwritten: NonceWindow.Unwritten) -> [String] {
        unwritten.nonces.map { "\($0.key.device.rawValue)/\($0.key.nonce)" }
    }

    @Test func aNonceIsAdmittedOncePerDeviceAndWrittenOnce() {
        var window = NonceWindow()
        window.load([])
        let cutoff = Self.start.adding(seconds: -Self.window)
        let first = window.admit("n-1", of: DeviceID(1), signedAt: Self.start, forgettingBefore: cutoff)
        #expect(first)
        let again = window.admit("n-1", of: DeviceID(1), signedAt: Self.start, forgettingBefore: cutoff)
        #expect(!again)
        let byAnotherDevice = window.admit("n-1", of: DeviceID(2), signedAt: Self.start, forgettingBefore: cutoff)
        #expect(byAnotherDevice)
        let taken = window.takeUnwritten()
        #expect(Self.nonces(taken) == ["1/n-1", "2/n-1"])
        #expect(taken.cutoff == cutoff)
        #expect(Self.nonces(window.takeUnwritten()).isEmpty)
        // Written or not, it stays refused for as long as it is inside the window.
        let stillInside = window.admit("n-1", of: DeviceID(1), signedAt: Self.start, forgettingBefore: cutoff.adding(seconds: 299))
        #expect(!stillInside)
    }

    @Test func nonceLoadedFromTheTableAreRefusedAndNotWrittenAgain() {
        var window = NonceWindow()
        #expect(!window.isLoaded)
        window.load([NonceWindow.Admitted(key: .init(device: DeviceID(7), nonce: "n-stored"), signedAt: Self.start)])
        #expect(window.isLoaded)
        let storedBefore = window.admit("n-stored", of: DeviceID(7), signedAt: Self.start, forgettingBefore: Self.start.adding(seconds: -Self.window))
        #expect(!storedBefore)
        #expect(!window.hasUnwritten)
    }

    @Test func aNonceSeenOnlyBeforeTheWindowIsAdmittedAgainEvenBeforeAPrune() {
        var window = NonceWindow()
        window.load([])
        let first = window.admit("n-1", of: DeviceID(1), signedAt: Self.start, forgettingBefore: Self.start.adding(seconds: -Self.window))
        #expect(first)
        // One second past the window: less than a prune interval later, so the nonce is still held.
        let later = Self.start.adding(seconds: 1)
        let pastTheWindow = window.admit("n-1", of: DeviceID(1), signedAt: later.adding(seconds: Self.window), forgettingBefore: later)
        #expect(pastTheWindow)
        #expect(window.count == 1)
    }

    @Test func aFailedWriteGivesItsNoncesBackAheadOfNewerOnes() {
        var window = NonceWindow()
        window.load([])
        let cutoff = Self.start.adding(seconds: -Self.window)
        _ = window.admit("n-a", of: DeviceID(1), signedAt: Self.start, forgettingBefore: cutoff)
        let failed = window.takeUnwritten()
        _ = window.admit("n-b", of: DeviceID(1), signedAt: Self.start, forgettingBefore: cutoff)
        window.putBack(failed)
        #expect(Self.nonces(window.takeUnwritten()) == ["1/n-a", "1/n-b"])
    }

    @Test func aPruneForgetsNoncesPastTheWindow() {
        var window = NonceWindow()
        window.load([])
        for index in 0..<100 {
            _ = window.admit("n-\(index)", of: DeviceID(1), signedAt: Self.start, forgettingBefore: Self.start.adding(seconds: -Self.window))
        }
        #expect(window.count == 100)
        let later = Self.start.adding(seconds: Self.window + NonceWindow.pruneInterval + 1)
        _ = window.admit("n-new", of: DeviceID(1), signedAt: later, forgettingBefore: later.adding(seconds: -Self.window))
        #expect(window.count == 1)
        // The pruned ones are no longer waiting to be written either.
        #expect(Self.nonces(window.takeUnwritten()) == ["1/n-new"])
    }

    /// One step of a random run: a request's nonce, or the store's write transaction (which may fail).
    enum Step: Sendable, CustomStringConvertible {
        case admit(device: UInt32, nonce: Int, age: Int64, advance: Int64)
        case write(fails: Bool)
        var description: String {
            switch self {
            case .admit(let device, let nonce, let age, let advance): "+\(advance)s \(device)/n-\(nonce) aged \(age)s"
            case .write(let fails): fails ? "failed write" : "write"
            }
        }
    }

    static let runs = Generator<[Step], Shrink.None<[Step]>> { rng in
        (0..<Int.random(in: 1...200, using: &rng)).map { _ in
            if Int.random(in: 0..<6, using: &rng) == 0 { return .write(fails: Bool.random(using: &rng)) }
            return .admit(
                device: UInt32.random(in: 1...3, using: &rng), nonce: Int.random(in: 0..<6, using: &rng),
                age: Int64.random(in: -20...400, using: &rng), advance: [0, 0, 1, 3, 40, 200].randomElement(using: &rng)!)
        }
    }

    /// A nonce is admitted exactly when the model says (no earlier admission of it by the device
    /// signed inside the window), and every nonce still inside the window at the end was handed to
    /// a write that succeeded.
    @Test func admissionsMatchTheModelAndNoAdmittedNonceIsLeftUnwritten() async {
        await propertyCheck(count: 500, input: Self.runs) { steps in
            var window = NonceWindow()
            window.load([])
            var now = Self.start
            var admitted: [(key: NonceWindow.Key, signedAt: UnixTime)] = []
            var written: [NonceWindow.Key: UnixTime] = [:]
            for step in steps {
                switch step {
                case .admit(let device, let nonce, let age, let advance):
                    now = now.adding(seconds: advance)
                    let key = NonceWindow.Key(device: DeviceID(device), nonce: "n-\(nonce)")
                    let signedAt = now.adding(seconds: -age)
                    let cutoff = now.adding(seconds: -Self.window)
                    let expected = !admitted.contains { $0.key == key && $0.signedAt >= cutoff }
                    let result = window.admit(key.nonce, of: key.device, signedAt: signedAt, forgettingBefore: cutoff)
                    #expect(result == expected, "\(step)")
                    if result { admitted.append((key, signedAt)) }
                case .write(let fails):
                    let unwritten = window.takeUnwritten()
                    if fails {
                        window.putBack(unwritten)
                    } else {
                        for nonce in unwritten.nonces { written[nonce.key] = max(written[nonce.key] ?? nonce.signedAt, nonce.signedAt) }
                    }
                }
            }
            for nonce in window.takeUnwritten().nonces { written[nonce.key] = max(written[nonce.key] ?? nonce.signedAt, nonce.signedAt) }
            let cutoff = now.adding(seconds: -Self.window)
            for nonce in admitted where nonce.signedAt >= cutoff {
                #expect((written[nonce.key] ?? UnixTime(0)) >= nonce.signedAt, "\(nonce.key) signed at \(nonce.signedAt) was never written")
            }
        }
    }
}

/// The SQLite store's nonces and registrations beside its one writing connection: answered while
/// a commit waits for the file, written by the next write transaction, kept across a restart.
@Suite("SQLite: nonces and registrations do not wait for the writer")
struct SQLiteNonceTests {
    private static func freshPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hromada-nonces-\(UUID().uuidString).sqlite").path
    }

    private static func openStorage(_ path: String) async throws -> SQLiteStorage {
        let storage = try SQLiteStorage(path: path)
        _ = try await storage.migrate()
        return storage
    }

    /// The rows of `request_nonces`, read on a connection of the test's own.
    private static func storedNonces(_ path: String) throws -> [String] {
        let database = try SQLiteConnection(path: path, flags: [.readOnly])
        defer { database.close() }
        let rows = try database.prepare("SELECT device_id, nonce FROM request_nonces ORDER BY device_id, nonce")
        var out: [String] = []
        while try rows.step() { out.append("\(rows.integer(0))/\(rows.text(1))") }
        return out
    }

    static let cutoff = Fixture.now.adding(seconds: -300)

    @Test func aNonceIsWrittenByTheNextCommitAndRefusedAfterARestartWithoutClose() async throws {
        let path = Self.freshPath()
        var storage: SQLiteStorage? = try await Self.openStorage(path)
        #expect(try await storage?.admitNonce("n-0123456789abcdef", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff) == true)
        #expect(try Self.storedNonces(path).isEmpty)
        let chain = Fixture.chain(count: 3)
        #expect(try await storage?.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device))) == .committed)
        #expect(try Self.storedNonces(path) == ["17/n-0123456789abcdef"])
        // As a killed service: the store let go without `close()` (its connections and its
        // claim end with it), and a new one opened on the file refuses the nonce.
        storage = nil
        let restarted = try await Self.openStorage(path)
        #expect(try await restarted.admitNonce("n-0123456789abcdef", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff) == false)
        await restarted.close()
    }

    @Test func aSecondStoreOnTheFileAdmitsNoNonceWhileTheFirstServesDeviceRequests() async throws {
        let path = Self.freshPath()
        let first = try await Self.openStorage(path)
        let second = try await Self.openStorage(path)
        #expect(try await first.admitNonce("n-first-0123456789", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff))
        await #expect(throws: StorageError(.misconfigured, "")) {
            _ = try await second.admitNonce("n-other-0123456789", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff)
        }
        // Everything else of the second store works (the command line and the reconcile tool
        // open the file beside the service).
        #expect(try await second.entryCount() == 0)
        // Once the first has closed, the second claims the file and reads the window then: the
        // first's nonce, written as it closed, is refused.
        await first.close()
        #expect(try await second.admitNonce("n-other-0123456789", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff))
        #expect(try await second.admitNonce("n-first-0123456789", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff) == false)
        await second.close()
    }

    @Test func noncesOfRequestsThatWroteNothingAreWrittenWhenTheStoreCloses() async throws {
        let path = Self.freshPath()
        let storage = try await Self.openStorage(path)
        #expect(try await storage.admitNonce("n-first-0123456789", of: DeviceID(3), signedAt: Fixture.now, forgettingBefore: Self.cutoff))
        #expect(try await storage.admitNonce("n-second-012345678", of: DeviceID(4), signedAt: Fixture.now, forgettingBefore: Self.cutoff))
        await storage.close()
        #expect(try Self.storedNonces(path) == ["3/n-first-0123456789", "4/n-second-012345678"])
        await #expect(throws: StorageError(.closed, "")) {
            _ = try await storage.admitNonce("n-third-0123456789", of: DeviceID(3), signedAt: Fixture.now, forgettingBefore: Self.cutoff)
        }
    }

    @Test func aNonceBeforeTheStoreIsMigratedIsAnError() async throws {
        let storage = try SQLiteStorage(path: Self.freshPath())
        // The window cannot be read: no nonce is admitted from an empty one.
        await #expect(throws: StorageError.self) {
            _ = try await storage.admitNonce("n-0123456789abcdef", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff)
        }
        await storage.close()
    }

    /// Another connection holds the file's write lock, so the store's commit waits on the writer's
    /// thread; the next request's registration and nonce are answered all the same, and the
    /// commit goes through once the lock is let go.
    @Test func theRegistrationAndTheNonceAreAnsweredWhileACommitWaitsForTheFile() async throws {
        let path = Self.freshPath()
        let storage = try await Self.openStorage(path)
        try await storage.register(
            DeviceRegistration(deviceID: Fixture.device, certificate: Fixture.certificate, label: "bus-017", registeredAt: Fixture.now))
        let blocker = try SQLiteConnection(path: path, flags: [.readWrite])
        try blocker.execute("BEGIN IMMEDIATE")
        let commitEnded = Atomic<Bool>(false)
        let chain = Fixture.chain(count: 3)
        let commit = Task {
            defer { commitEnded.store(true, ordering: .sequentiallyConsistent) }
            return try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device)))
        }
        // Long enough for the commit to reach the writer and wait for the lock (its busy timeout is 5 s).
        try await Task.sleep(for: .milliseconds(300))
        let registration = try await storage.registration(of: Fixture.device)
        let admitted = try await storage.admitNonce("n-0123456789abcdef", of: Fixture.device, signedAt: Fixture.now, forgettingBefore: Self.cutoff)
        #expect(commitEnded.load(ordering: .sequentiallyConsistent) == false, "the reads waited for the commit")
        #expect(registration?.label == "bus-017")
        #expect(admitted)
        try blocker.execute("COMMIT")
        blocker.close()
        #expect(try await commit.value == .committed)
        #expect(try await storage.head(of: Fixture.device).sequence == 3)
        await storage.close()
        #expect(try Self.storedNonces(path) == ["17/n-0123456789abcdef"])
    }
}
