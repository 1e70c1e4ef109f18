import AccountingCore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import PropertyTesting
import Testing

@Suite("Ingest rules")
struct IngestRulesTests {
    let device = DeviceID(17)
    var publicKey: Curve25519.Signing.PublicKey { Fixtures.deviceKey.publicKey }

    func decide(_ batch: UploadBatch, held: ArraySlice<LedgerEntry>) -> IngestDecision {
        IngestRules.decide(batch, authenticatedDevice: device, devicePublicKey: publicKey, position: Fixtures.position(held, device: device))
    }

    @Test func firstBatchFromGenesisIsAccepted() {
        let chain = Fixtures.chain(device: device, count: 10)
        #expect(decide(Fixtures.batch(chain[0..<10]), held: []) == .accept(newEntries: Array(chain), newHead: ChainHead(after: chain[9])))
    }

    @Test func continuationIsAccepted() {
        let chain = Fixtures.chain(device: device, count: 20)
        #expect(decide(Fixtures.batch(chain[10..<20]), held: chain[0..<10]) == .accept(newEntries: Array(chain[10..<20]), newHead: ChainHead(after: chain[19])))
    }

    @Test func exactReplayAnswersTheSameHead() {
        let chain = Fixtures.chain(device: device, count: 20)
        #expect(decide(Fixtures.batch(chain[0..<10]), held: chain[0..<20]) == .replay(head: ChainHead(after: chain[9])))
    }

    @Test func overlappingBatchStoresOnlyTheNewPart() {
        let chain = Fixtures.chain(device: device, count: 20)
        #expect(decide(Fixtures.batch(chain[5..<15]), held: chain[0..<10]) == .accept(newEntries: Array(chain[10..<15]), newHead: ChainHead(after: chain[14])))
    }

    @Test func batchAfterAGapAsksToResume() {
        let chain = Fixtures.chain(device: device, count: 30)
        #expect(decide(Fixtures.batch(chain[20..<30]), held: chain[0..<10]) == .gap(resumeSequence: 11))
        #expect(decide(Fixtures.batch(chain[1..<5]), held: []) == .gap(resumeSequence: 1))
    }

    @Test func contradictingOverlapIsAConflict() {
        let held = Fixtures.chain(device: device, count: 10)
        let forged = Fixtures.chain(device: device, count: 12, detail: "rewritten")
        guard case .conflict(let conflict) = decide(Fixtures.batch(forged[0..<12]), held: held[0..<10]) else {
            Issue.record("expected a conflict")
            return
        }
        #expect(conflict.sequence == 1)
        #expect(conflict.heldHash == held[0].hash)
        #expect(conflict.offeredHash == forged[0].hash)
    }

    @Test func forkRightAfterTheHeadIsAConflict() {
        // The device rewrote entry 10 onwards and now sends 11…: it does not chain to what is held at 10.
        let held = Fixtures.chain(device: device, count: 10)
        let fork = Fixtures.chain(device: device, count: 9) + Fixtures.chainContinuing(from: Fixtures.chain(device: device, count: 10, detail: "x")[9], count: 5)
        guard case .conflict(let conflict) = decide(Fixtures.batch(fork[10..<14]), held: held[0..<10]) else {
            Issue.record("expected a conflict")
            return
        }
        #expect(conflict.sequence == 11)
    }

    @Test func batchOfAnotherDeviceIsRejected() {
        let other = Fixtures.chain(device: DeviceID(99), count: 5)
        #expect(decide(Fixtures.batch(other[0..<5]), held: []) == .reject(.deviceMismatch(authenticated: device, batch: DeviceID(99))))
    }

    @Test func entriesOfAnotherDeviceInsideAreRejected() {
        let ours = Fixtures.chain(device: device, count: 3)
        let theirs = Fixtures.chain(device: DeviceID(99), count: 5)
        let mixed = Array(ours) + [theirs[3]]
        let checkpoint = try! Checkpoint(signing: ChainHead(after: theirs[3]), with: Fixtures.deviceKey)
        let batch = UploadBatch(deviceID: device, entries: mixed, checkpoint: checkpoint)
        #expect(decide(batch, held: []) == .reject(.entryFromOtherDevice(sequence: 4, device: DeviceID(99))))
    }

    @Test func missingEntryInsideIsRejected() {
        let chain = Fixtures.chain(device: device, count: 6)
        let holey = Array(chain[0..<3]) + Array(chain[4..<6])
        let batch = UploadBatch(deviceID: device, entries: holey, checkpoint: try! Checkpoint(signing: ChainHead(after: chain[5]), with: Fixtures.deviceKey))
        #expect(decide(batch, held: []) == .reject(.notContiguous(expected: 4, found: 5)))
    }

    @Test func swappedEntryInsideIsRejected() {
        let chain = Fixtures.chain(device: device, count: 6)
        let other = Fixtures.chain(device: device, count: 6, detail: "other")
        let spliced = Array(chain[0..<3]) + [other[3]] + Array(chain[4..<6])
        let batch = UploadBatch(deviceID: device, entries: spliced, checkpoint: try! Checkpoint(signing: ChainHead(after: chain[5]), with: Fixtures.deviceKey))
        #expect(decide(batch, held: []) == .reject(.brokenLink(sequence: 4)))
    }

    @Test func checkpointNotAtTheEndIsRejected() {
        let chain = Fixtures.chain(device: device, count: 6)
        let batch = UploadBatch(deviceID: device, entries: Array(chain), checkpoint: try! Checkpoint(signing: ChainHead(after: chain[4]), with: Fixtures.deviceKey))
        #expect(decide(batch, held: []) == .reject(.checkpointMismatch))
    }

    @Test func checkpointSignedByAnotherKeyIsRejected() {
        let chain = Fixtures.chain(device: device, count: 6)
        #expect(decide(Fixtures.batch(chain[0..<6], key: Fixtures.otherDeviceKey), held: []) == .reject(.checkpointSignatureInvalid))
    }

    @Test func firstEntryNotChainingToGenesisIsRejected() {
        let other = Fixtures.chain(device: DeviceID(18), count: 3)
        // Re-seal a chain for our device but starting from another device's genesis value.
        let head = ChainHead(deviceID: device, sequence: 0, hash: other[0].previousHash)
        let entry = try! head.seal(.startUp(at: Fixtures.now, software: "x"))
        #expect(decide(Fixtures.batch([entry][...]), held: []) == .reject(.brokenLink(sequence: 1)))
    }

    @Test func missingHeldHashIsNotAssumedToMatch() {
        let chain = Fixtures.chain(device: device, count: 10)
        var position = Fixtures.position(chain[0..<10], device: device)
        position.heldHashes[5] = nil
        let decision = IngestRules.decide(Fixtures.batch(chain[0..<10]), authenticatedDevice: device, devicePublicKey: publicKey, position: position)
        guard case .conflict = decision else {
            Issue.record("expected a conflict, got \(decision)")
            return
        }
    }

    @Test func oneMatchingHeldHashAtTheOverlapsEndStandsForTheWholeOverlap() {
        let chain = Fixtures.chain(device: device, count: 20)
        let batch = Fixtures.batch(chain[4..<15])
        // Held up to 12: the overlap is 5…12, and the hash held at 12 is the batch's own.
        let inferred = StoredPosition.heldHashes(of: batch, inferredFrom: chain[11].hash, at: 12)
        #expect(inferred == Dictionary(uniqueKeysWithValues: chain[4..<12].map { ($0.sequence, $0.hash) }))
        // What the rules decide from it is what they decide from every held hash.
        let fromEvery = decide(batch, held: chain[0..<12])
        let fromOne = IngestRules.decide(
            batch, authenticatedDevice: device, devicePublicKey: publicKey,
            position: StoredPosition(head: ChainHead(after: chain[11]), heldHashes: inferred ?? [:]))
        #expect(fromOne == fromEvery)
        #expect(fromOne == .accept(newEntries: Array(chain[12..<15]), newHead: ChainHead(after: chain[14])))
    }

    @Test func aDifferentHeldHashAtTheOverlapsEndInfersNothing() {
        let held = Fixtures.chain(device: device, count: 12)
        let rewritten = Fixtures.chain(device: device, count: 15, detail: "rewritten")
        let batch = Fixtures.batch(rewritten[4..<15])
        #expect(StoredPosition.heldHashes(of: batch, inferredFrom: held[11].hash, at: 12) == nil)
        // A sequence the batch does not hold infers nothing either.
        #expect(StoredPosition.heldHashes(of: batch, inferredFrom: held[11].hash, at: 40) == nil)
    }

    /// Any schedule of batches (random ranges, repeats, gaps) ends with exactly the chain held.
    @Test(arguments: [1, 2, 3, 42, 2026])
    func randomSchedulesConverge(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let chain = Fixtures.chain(device: device, count: 200)
        var held: [LedgerEntry] = []
        var steps = 0
        while held.count < chain.count, steps < 10_000 {
            steps += 1
            let start = Int.random(in: 0..<chain.count, using: &rng)
            let length = Int.random(in: 1...40, using: &rng)
            let end = min(chain.count, start + length)
            switch decide(Fixtures.batch(chain[start..<end]), held: held[...]) {
            case .accept(let fresh, let newHead):
                #expect(fresh.first?.sequence == UInt64(held.count + 1))
                #expect(newHead == ChainHead(after: chain[end - 1]))
                held += fresh
            case .replay(let head):
                #expect(end <= held.count)
                #expect(head == ChainHead(after: chain[end - 1]))
            case .gap(let resume):
                #expect(start > held.count)
                #expect(resume == UInt64(held.count + 1))
            case .conflict, .reject:
                Issue.record("an honest schedule must never conflict or be rejected")
            }
        }
        #expect(held == chain)
    }
}

extension Fixtures {
    /// `count` entries continuing after `entry`.
    static func chainContinuing(from entry: LedgerEntry, count: Int) -> [LedgerEntry] {
        var head = ChainHead(after: entry)
        var out = [entry]
        for index in 0..<count {
            let next = try! head.seal(.startUp(at: UnixTime(1_800_000_500 + Int64(index)), software: "fork"))
            out.append(next)
            head = ChainHead(after: next)
        }
        return out
    }
}
