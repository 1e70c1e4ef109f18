import AccountingCore
import Bundles
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Tariff

/// A device of the simulated community that keeps a signed, chained ledger and uploads it
/// through the service's API: a validator in a bus, or the issuance desk.
public protocol SimulatedLedgerDevice: Sendable {
    /// The device id (its certificate names it).
    var id: DeviceID { get }
    /// The device key: signs checkpoints and requests.
    var key: Curve25519.Signing.PrivateKey { get }
    /// The root's certificate of `key` (role validator, naming `id`; a desk's key is certified the
    /// same way, docs/ledger-format.md, "Telling a desk from a validator").
    var certificate: Certificate { get }
    /// What the administrator registers it as: what makes a desk a desk.
    var role: DeviceRole { get }
    /// A name for people: `bus-101`, `desk-9`.
    var label: String { get }
}

extension SimulatedLedgerDevice {
    /// The signature headers of a request this device sends (docs/accounting.md, "Device requests").
    public func requestHeaders(method: String, path: String, body: [UInt8], at time: UnixTime, nonce: String) throws -> [(String, String)] {
        let request = SignedRequest(method: method, path: path, deviceID: id, keyID: certificate.keyID, timestamp: time, nonce: nonce, body: body)
        return try request.headers(certificate: certificate, deviceKey: key)
    }

    /// The device's checkpoint over `entries`' last entry, making them an upload batch.
    public func batch(_ entries: [LedgerEntry]) throws -> UploadBatch {
        let checkpoint = try Checkpoint(signing: ChainHead(after: entries[entries.count - 1]), with: key)
        return UploadBatch(deviceID: id, entries: entries, checkpoint: checkpoint)
    }
}

/// A validator of the simulated community: its id, vehicle, route, key and root-signed certificate.
public struct SimulatedDevice: SimulatedLedgerDevice {
    /// The device id (its certificate names it).
    public let id: DeviceID
    /// The bus it is installed in.
    public let vehicle: VehicleID
    /// The route the bus serves all month.
    public let route: RouteNumber
    /// The carrier that owns the bus.
    public let carrier: CarrierID
    /// The device key (role validator): signs checkpoints and requests.
    public let key: Curve25519.Signing.PrivateKey
    /// The root's certificate of `key`, naming `id`.
    public let certificate: Certificate

    /// A validator.
    public var role: DeviceRole { .validator }
    /// A name for people: `bus-101`.
    public var label: String { "bus-\(vehicle.rawValue)" }
}

/// The community's issuance desk: a device registered with role `desk` whose own signed chain
/// records the purse credits its clerks make (`purse-credit` entries, format 2).
public struct SimulatedDesk: SimulatedLedgerDevice {
    /// The device id: the one after the last bus's.
    public let id: DeviceID
    /// The desk's device key.
    public let key: Curve25519.Signing.PrivateKey
    /// The root's certificate of `key`, naming `id`.
    public let certificate: Certificate

    /// A desk.
    public var role: DeviceRole { .desk }
    /// A name for people: `desk-9`.
    public var label: String { "desk-\(id.rawValue)" }
}

/// The simulated community's keys and signed bundles, made from the seed like the key tool makes
/// a real one (`CommunityDirectory`): a root, the accounting service's key, the finance key and a
/// certified key for every validator.
public struct SimulatedCommunity: Sendable {
    /// The community's name (bundles name it).
    public let name: String
    /// The root key.
    public let rootKey: Curve25519.Signing.PrivateKey
    /// The accounting service's key (role accounting): signs receipts.
    public let serviceKey: Curve25519.Signing.PrivateKey
    /// The root's certificate of `serviceKey`.
    public let serviceCertificate: Certificate
    /// The finance officer's key (role finance): signs closing records and report manifests.
    public let financeKey: Curve25519.Signing.PrivateKey
    /// The root's certificate of `financeKey`.
    public let financeCertificate: Certificate
    /// The validators, by device id order.
    public let devices: [SimulatedDevice]
    /// The issuance desk, when the community keeps a desk ledger (`SimulationParameters.hasDesk`).
    public let desk: SimulatedDesk?
    /// The tariffs of the month, oldest first, with the signed bundle of each.
    public let tariffs: [(tariff: Tariff, bundle: [UInt8])]

    /// The signed deny-list bundle (version 2) listing `cards`, as the desk publishes it.
    public func denyListBundle(_ listings: [DenyListing]) throws -> [UInt8] {
        let list = try DenyList(
            version: 2, entries: listings.map { DenyList.Entry(serial: $0.card, reason: DenyList.Reason(rawValue: $0.reason) ?? .other) })
        return try SignedBundle.make(
            .denyList(list), community: name, version: 2, issuedAt: Self.notBefore, expiresAt: Self.notAfter, rootKeyID: rootKeyID, rootKey: rootKey
        ).encoded()
    }

    /// Every device that uploads a ledger: the validators, then the desk.
    public var ledgerDevices: [any SimulatedLedgerDevice] { devices + (desk.map { [$0] } ?? []) }

    /// The device with `id`, validator or desk.
    public func ledgerDevice(_ id: DeviceID) -> (any SimulatedLedgerDevice)? {
        if let desk, desk.id == id { return desk }
        return devices.first { $0.id == id }
    }

    /// The root's public key.
    public var rootPublicKey: SigningPublicKey { SigningPublicKey(rootKey.publicKey) }
    /// The root's key id.
    public var rootKeyID: KeyID { KeyID(derivedFrom: rootPublicKey) }

    /// Certificates are valid from this instant (well before any simulated month).
    static let notBefore = UnixTime(1_700_000_000)
    /// … until this one.
    static let notAfter = UnixTime(2_000_000_000)

    static func certify(_ key: Curve25519.Signing.PrivateKey, role: KeyRole, device: DeviceID?, root: Curve25519.Signing.PrivateKey) throws -> Certificate {
        let rootPublic = SigningPublicKey(root.publicKey)
        let publicKey = SigningPublicKey(key.publicKey)
        return try CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: role, publicKey: publicKey, notBefore: notBefore, notAfter: notAfter,
            issuerKeyID: KeyID(derivedFrom: rootPublic), deviceID: device
        ).signed(with: root)
    }

    static func key(_ random: inout SeededRandom) -> Curve25519.Signing.PrivateKey {
        // 32 bytes are always a valid Ed25519 seed.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: random.bytes(32))
    }

    init(name: String, layout: CommunityLayout, tariffs: [Tariff], random: inout SeededRandom, deskRandom: inout SeededRandom?) throws {
        self.name = name
        rootKey = Self.key(&random)
        serviceKey = Self.key(&random)
        serviceCertificate = try Self.certify(serviceKey, role: .accounting, device: nil, root: rootKey)
        financeKey = Self.key(&random)
        financeCertificate = try Self.certify(financeKey, role: .finance, device: nil, root: rootKey)
        var devices: [SimulatedDevice] = []
        for bus in layout.buses {
            let key = Self.key(&random)
            devices.append(
                SimulatedDevice(
                    id: bus.device, vehicle: bus.vehicle, route: bus.route, carrier: bus.carrier, key: key,
                    certificate: try Self.certify(key, role: .validator, device: bus.device, root: rootKey)))
        }
        self.devices = devices
        // The desk's key comes from a generator of its own, so that a month with a desk has the
        // same validators' keys and traffic as the month without.
        if deskRandom != nil {
            let id = DeviceID(rawValue: UInt32(layout.buses.count + 1))
            let key = Self.key(&deskRandom!)
            desk = SimulatedDesk(id: id, key: key, certificate: try Self.certify(key, role: .validator, device: id, root: rootKey))
        } else {
            desk = nil
        }
        let rootID = KeyID(derivedFrom: SigningPublicKey(rootKey.publicKey))
        var signed: [(Tariff, [UInt8])] = []
        for tariff in tariffs {
            let bundle = try SignedBundle.make(
                .tariff(tariff), community: name, version: tariff.version, issuedAt: Self.notBefore, expiresAt: Self.notAfter,
                rootKeyID: rootID, rootKey: rootKey)
            signed.append((tariff, try bundle.encoded()))
        }
        self.tariffs = signed
    }
}

/// Who runs what: carriers, routes and buses of the simulated community.
struct CommunityLayout {
    struct Bus {
        var device: DeviceID
        var vehicle: VehicleID
        var route: RouteNumber
        var carrier: CarrierID
    }

    var carriers: [Carrier]
    var routes: [RouteAssignment]
    var buses: [Bus]

    init(_ parameters: SimulationParameters) {
        carriers = (1...max(1, parameters.carriers)).map { number in
            Carrier(
                id: CarrierID(rawValue: UInt32(number)), name: "ТОВ «Перевізник \(number)»", edrpou: String(edrpouFor: 4_000_000 + number * 111),
                contract: "К-\(parameters.year)/\(number)")
        }
        let routes = (1...max(1, parameters.routes)).map { number in
            RouteAssignment(
                route: RouteNumber(rawValue: UInt16(number)), name: "Маршрут \(number)",
                carrier: CarrierID(rawValue: UInt32((number - 1) % max(1, parameters.carriers) + 1)))
        }
        self.routes = routes
        buses = (0..<parameters.buses).map { index in
            let route = routes[index % routes.count]
            return Bus(
                device: DeviceID(rawValue: UInt32(index + 1)), vehicle: VehicleID(rawValue: UInt32(101 + index)), route: route.route,
                carrier: route.carrier)
        }
    }
}

extension String {
    /// The ЄДРПОУ code whose first seven digits are `prefix` (1_000_000…9_999_999), with its check
    /// digit: the weighted sum modulo 11 (weights 7, 1–6 between 30000000 and 60000000, else
    /// 1–7), taken again with weights raised by 2 when it is 10.
    init(edrpouFor prefix: Int) {
        let digits = String(prefix).compactMap { $0.wholeNumberValue }
        let number = prefix * 10
        let weights = number < 30_000_000 || number > 60_000_000 ? [1, 2, 3, 4, 5, 6, 7] : [7, 1, 2, 3, 4, 5, 6]
        func remainder(_ weights: [Int]) -> Int { zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11 }
        var check = remainder(weights)
        if check == 10 {
            check = remainder(weights.map { $0 + 2 })
            if check == 10 { check = 0 }
        }
        self = String(prefix) + String(check)
    }
}
