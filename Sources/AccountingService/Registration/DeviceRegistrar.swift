import AccountingCore
import AccountingStore
import Entitlements
import Identifiers

/// Why the service will not register a certificate for a device id.
///
/// Each is refused before anything is written, so a refused registration leaves the previous
/// one (if any) in force.
public enum DeviceRegistrationRefusal: Hashable, Sendable, CustomStringConvertible {
    /// The certificate is not usable for a validator: not root-signed, revoked, wrong role, out of date.
    case certificate(EntitlementRejection)
    /// A format 1 validator certificate names no device, so nothing ties its key to this id.
    case namesNoDevice(KeyID)
    /// The certificate binds its key to another device than the one being registered.
    case namesAnotherDevice(requested: DeviceID, named: DeviceID)
    /// The key is registered for another device already.
    case keyRegisteredToAnotherDevice(KeyID, registered: DeviceID)

    /// The protocol code.
    public var code: AccountingErrorCode {
        switch self {
        case .certificate(let rejection): AccountingErrorCode(registering: rejection)
        case .namesNoDevice: .certificateNamesNoDevice
        case .namesAnotherDevice: .certificateNamesAnotherDevice
        case .keyRegisteredToAnotherDevice: .keyRegisteredToAnotherDevice
        }
    }

    /// 409 when the key is taken by another registration (the state of the service is what
    /// conflicts), 422 when the certificate itself does not allow the registration.
    public var httpStatus: Int {
        switch self {
        case .keyRegisteredToAnotherDevice: 409
        case .certificate, .namesNoDevice, .namesAnotherDevice: 422
        }
    }

    /// Ukrainian explanation.
    public var ukrainian: String {
        switch self {
        case .certificate(let rejection): "сертифікат непридатний (\(rejection.code))"
        case .namesNoDevice(let key):
            "сертифікат ключа \(key) (формат 1) не називає пристрою; переоформіть його: hromada-keys device certify"
        case .namesAnotherDevice(let requested, let named):
            "сертифікат належить пристрою \(named), а не \(requested)"
        case .keyRegisteredToAnotherDevice(let key, let registered):
            "ключ \(key) уже зареєстровано для пристрою \(registered)"
        }
    }

    /// English explanation.
    public var english: String {
        switch self {
        case .certificate(let rejection): "the certificate is not usable for a validator: \(rejection.code)"
        case .namesNoDevice(let key):
            "the certificate of key \(key) is format 1 and names no device; re-certify it for its device first (hromada-keys device certify)"
        case .namesAnotherDevice(let requested, let named):
            "the certificate binds its key to device \(named), not \(requested)"
        case .keyRegisteredToAnotherDevice(let key, let registered):
            "key \(key) is already registered for device \(registered); a key speaks for one device only"
        }
    }

    /// The code and the English explanation.
    public var description: String { "\(code): \(english)" }
}

/// The outcome of `AccountingEngine.registerDevice(_:certificate:label:)`.
public enum DeviceRegistrationResult: Hashable, Sendable {
    /// Stored (a new device, or a new certificate for it).
    case registered(DeviceRegistration)
    /// Refused; nothing was written.
    case refused(DeviceRegistrationRefusal)
}

extension AccountingEngine {
    /// Registers `certificate` as the key of `device`, after the checks both the HTTP endpoint
    /// and `hromada-accounting register-device` apply.
    ///
    /// Order: the certificate is usable for a validator (root, role, dates, revocation); it
    /// names a device (format 2) and that device is `device`; the key is not registered for
    /// another device. Re-registering a device (a new certificate for the same key, or a new
    /// key after a rotation) replaces its registration.
    ///
    /// `role` says whether the device is a validator or an issuance desk; it decides which entry
    /// kinds the device may upload (`DeviceRole.allows`). The certificate is a device key's
    /// (role `validator`, naming the device) either way.
    public func registerDevice(
        _ device: DeviceID, certificate: Certificate, label: String, role: DeviceRole = .validator
    ) async throws -> DeviceRegistrationResult {
        if case .invalid(let rejection) = checkDeviceCertificate(certificate) { return .refused(.certificate(rejection)) }
        switch certificate.binding(to: device) {
        case .matches: break
        case .unbound: return .refused(.namesNoDevice(certificate.keyID))
        case .namesAnotherDevice(let named): return .refused(.namesAnotherDevice(requested: device, named: named))
        }
        let registration = DeviceRegistration(
            deviceID: device, certificate: certificate, label: label, registeredAt: configuration.now(), role: role)
        switch try await storage.register(registration) {
        case .registered:
            return .registered(registration)
        case .keyRegisteredToAnotherDevice(let owner):
            return .refused(.keyRegisteredToAnotherDevice(certificate.keyID, registered: owner))
        }
    }
}
