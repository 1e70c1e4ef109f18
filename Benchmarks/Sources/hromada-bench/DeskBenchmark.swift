import Entitlements
import Foundation
import Identifiers
import PCSC
import SmartCard
import SocialCard
import TestBedSupport
import VirtualCard

/// The desk's card actions through the real stack (libpcsclite → pcscd → vpcd → in-process
/// emulator), as the desk library runs them: issue (personalization), renew (entitlements
/// re-signed and card info), top-up (credit and a `topUp` record in one transaction) and replace
/// (the old card read and blocked, the new one personalized with the balance). APDUs and time
/// per action, with the card already in the field (placing a card is the clerk's time).
enum DeskBenchmark {
    static func run(iterations: Int) async throws {
        for layoutFile in ["nemishaieve-social-v1.json", "nemishaieve-social-v2.json"] {
            let bench = try Bench(layoutFile: layoutFile)
            defer { bench.remove() }
            let layout = bench.layout
            let version = "v\(layout.layout.version)"
            let issuer = try bench.directory.signingKey(try bench.directory.certificates().first { $0.role == .issuer }!.keyID)
            let today = CivilDate(year: 2026, month: 11, day: 29)!
            let now = UnixTime(1_795_953_600)
            var generator = SystemRandomNumberGenerator()
            func plan(_ serial: CardSerial, purse: Int32) throws -> PersonalizationPlan {
                let entitlement = try EntitlementTerms(
                    id: 1, cardSerial: serial, layoutVersion: LayoutVersion(UInt16(layout.layout.version)), category: 1,
                    product: .rides(count: 30, per: .month), validFrom: today, validUntil: today.adding(days: 365), issuerKeyID: issuer.keyID
                ).signed(with: issuer.privateKey)
                return try PersonalizationPlan(layout: layout, request: IssuanceRequest(
                    serial: serial, issueDate: today, expiryDate: today.adding(days: 1826),
                    holderPseudonym: IssuanceRequest.randomPseudonym(using: &generator), entitlements: [entitlement], purseKopecks: purse,
                    issuedAt: now, issuerDeviceID: issuer.keyID.rawValue))
            }
            let uid: [UInt8] = [0x04, 0xDE, 0x5C, 0x00, 0x00, 0x00, 0x01]
            let keyring = bench.keyring
            try await TestBed.shared.withReader { reader in
                // Issue: a blank card each time.
                var issueTimes: [Double] = []
                var issueAPDUs = 0
                let issuePlan = try plan(0xD001, purse: 10_000)
                for _ in 0..<iterations {
                    let card = VirtualDESFireCard(image: CardImage.factoryNew(uid: uid))
                    try await reader.withVirtualCard(card) { _ in
                        try await PCSCClient().withCard(reader: reader.name) { channel in
                            let counting = CountingChannel(channel)
                            let start = ContinuousClock.now
                            _ = try await Personalization(plan: issuePlan, keyring: keyring).run(on: counting, using: &generator)
                            issueTimes.append(Double((ContinuousClock.now - start).nanoseconds))
                            issueAPDUs = counting.apdus
                        }
                    }
                }
                report(Samples(name: "desk \(version): issue (one entitlement, purse)", nanoseconds: issueTimes), extra: "\(issueAPDUs) APDUs")

                // Renew and top-up on one issued card in the field.
                let issuedFile = CardImageFile(path: bench.path + "/desk-card.json")
                try issuedFile.save(CardImage.factoryNew(uid: uid))
                try await reader.withVirtualCard(try VirtualDESFireCard(imageFile: issuedFile)) { _ in
                    try await PCSCClient().withCard(reader: reader.name) { channel in
                        _ = try await Personalization(plan: issuePlan, keyring: keyring).run(on: channel, using: &generator)
                    }
                }
                // The card just issued (one trip record), in memory as for issue: a file-backed
                // emulator saves its image on every write, which is not the card's time.
                let oldImage = try issuedFile.load()
                try await reader.withVirtualCard(VirtualDESFireCard(image: oldImage)) { _ in
                    try await PCSCClient().withCard(reader: reader.name) { channel in
                        let update = CardUpdate(layout: layout, keyring: keyring)
                        let counting = CountingChannel(channel)
                        var round = 0
                        var renewAPDUs = 0
                        let renew = try await Samples.measure("desk \(version): renew (entitlement re-signed, card info)", iterations: iterations, warmup: 2) {
                            round += 1
                            counting.resetCounts()
                            let report = try await update.run(on: counting, using: &generator) { contents in
                                let until = today.adding(days: 365 + round)
                                let renewed = try contents.entitlements.map { entitlement in
                                    var terms = entitlement.terms
                                    terms.validUntil = until
                                    return try terms.signed(with: issuer.privateKey)
                                }
                                return try CardUpdatePlan.entitlements(contents, layout: layout, entitlements: renewed, expiryDate: today.adding(days: 1826 + round))
                            }
                            precondition(report.steps.count == 2)
                            renewAPDUs = counting.apdus
                        }
                        report(renew, extra: "\(renewAPDUs) APDUs")
                        var receipt: UInt32 = 0
                        var topUpAPDUs = 0
                        let topUp = try await Samples.measure("desk \(version): top-up (credit + topUp record, commit)", iterations: iterations, warmup: 2) {
                            receipt += 1
                            counting.resetCounts()
                            let report = try await update.run(on: counting, using: &generator) { contents in
                                try CardUpdatePlan.topUp(contents, layout: layout, amountKopecks: 100, receipt: receipt, at: now, deskDevice: 0xDE5C)
                            }
                            precondition(report.steps.count == 1)
                            topUpAPDUs = counting.apdus
                        }
                        report(topUp, extra: "\(topUpAPDUs) APDUs (the whole trip log read: 10 records by now)")
                    }
                }

                // Replace: the old card (as issued) read and blocked, then a blank card personalized from it.
                var replaceTimes: [Double] = []
                var replaceAPDUs = 0
                for _ in 0..<iterations {
                    var source: ReplacementSource?
                    var apdus = 0
                    var elapsed = Duration.zero
                    try await reader.withVirtualCard(VirtualDESFireCard(image: oldImage)) { _ in
                        try await PCSCClient().withCard(reader: reader.name) { channel in
                            let counting = CountingChannel(channel)
                            let start = ContinuousClock.now
                            let report = try await CardUpdate(layout: layout, keyring: keyring).run(on: counting, using: &generator) { contents in
                                try CardUpdatePlan.block(contents, layout: layout, on: today, reason: "holderRequest", at: now, deskDevice: 0xDE5C)
                            }
                            elapsed += ContinuousClock.now - start
                            source = ReplacementSource(card: report.before)
                            apdus += counting.apdus
                        }
                    }
                    try await reader.withVirtualCard(VirtualDESFireCard(image: CardImage.factoryNew(uid: [0x04, 0xDE, 0x5C, 0, 0, 0, 2]))) { _ in
                        try await PCSCClient().withCard(reader: reader.name) { channel in
                            let counting = CountingChannel(channel)
                            let start = ContinuousClock.now
                            let entitlements = try source!.reissuedTerms(for: 0xD002, layoutVersion: LayoutVersion(UInt16(layout.layout.version)), issuer: issuer.keyID)
                                .map { try $0.signed(with: issuer.privateKey) }
                            let newPlan = try PersonalizationPlan(layout: layout, request: IssuanceRequest(
                                serial: 0xD002, issueDate: today, expiryDate: today.adding(days: 1826), holderPseudonym: source!.holderPseudonym!,
                                entitlements: entitlements, purseKopecks: Int32(source!.purseKopecks), issuedAt: now, issuerDeviceID: issuer.keyID.rawValue))
                            _ = try await Personalization(plan: newPlan, keyring: keyring).run(on: counting, using: &generator)
                            elapsed += ContinuousClock.now - start
                            apdus += counting.apdus
                        }
                    }
                    replaceTimes.append(Double(elapsed.nanoseconds))
                    replaceAPDUs = apdus
                }
                report(Samples(name: "desk \(version): replace (old read+blocked, new issued)", nanoseconds: replaceTimes), extra: "\(replaceAPDUs) APDUs")
            }
        }
    }
}
