import AccountingCore
import AccountingStore
import HTTPTypes
import Hummingbird

/// Reads a request body up to the service's limit, for the middleware below.
enum RequestBodyLimit {
    /// The body, at most `limits.maximumBodyBytes`; the request is left holding the collected
    /// bytes. Refuses with 413 before reading when the declared length is already too large.
    static func collect(_ request: inout Request, limits: AccountingLimits) async throws(AccountingServiceError) -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maximumBodyBytes {
            throw .tooLarge(limits)
        }
        do {
            let buffer = try await request.collectBody(upTo: limits.maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw .tooLarge(limits)
        }
    }
}

/// Authenticates a device-signed request (docs/accounting.md, "Device authentication") and
/// puts the device and the body it signed into the context.
///
/// Why it collects the body: the signature covers the SHA-256 of the exact body bytes, so the
/// bytes checked must be the bytes the handler then reads; collecting once here and handing
/// them on through the context makes that true by construction. The size limit (413) comes
/// before authentication, as it always has: an oversized body is refused unread.
struct DeviceAuthenticationMiddleware: RouterMiddleware {
    typealias Context = AccountingRequestContext

    let engine: AccountingEngine

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let body = try await RequestBodyLimit.collect(&request, limits: engine.configuration.limits)
        var headers: [String: String] = [:]
        for name in DeviceRequestHeader.all {
            if let field = HTTPField.Name(name), let value = request.headers[field] { headers[name] = value }
        }
        // The signed bytes carry the device id as the service prints it, so a header that
        // names the same number another way (`0101`, `+101`) would verify against bytes the
        // client never signed; it is refused as malformed instead of being read as 101.
        if let device = headers[DeviceRequestHeader.device], CanonicalDecimal.uint32(device) == nil {
            let refusal = DeviceAuthRefusal.malformedHeader(DeviceRequestHeader.device)
            await engine.metrics.increment("hromada_device_auth_refused_total", label: ("code", refusal.code.wireName))
            throw AccountingServiceError(refusing: refusal)
        }
        let result = try await engine.authenticateDevice(
            method: request.method.rawValue, path: request.head.path ?? request.uri.path, headers: headers, body: body)
        switch result {
        case .authenticated(let device):
            var context = context
            context.device = device
            context.body = body
            return try await next(request, context)
        case .refused(let refusal):
            throw AccountingServiceError(refusing: refusal)
        }
    }
}

/// Checks an operator's bearer token and its role for the route's action, and puts the
/// operator into the context: 401 without a known token, 403 when the role may not.
struct OperatorAuthorizationMiddleware: RouterMiddleware {
    typealias Context = AccountingRequestContext

    let engine: AccountingEngine
    /// The action the route performs; may refuse first (a bundle route with an unknown kind is a 404 before any token check).
    let action: @Sendable (Context) throws -> OperatorAction

    init(engine: AccountingEngine, action: @escaping @Sendable (Context) throws -> OperatorAction) {
        self.engine = engine
        self.action = action
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let action = try self.action(context)
        guard let token = request.headers[.authorization].flatMap(Self.bearerToken) else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "401"))
            throw AccountingServiceError(
                .unauthorized, .missingToken, uk: "потрібен токен оператора", en: "an operator bearer token is required",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let identity = try await engine.storage.operatorIdentity(tokenHash: OperatorTokens.hash(token)) else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "401"))
            throw AccountingServiceError(
                .unauthorized, .unknownToken, uk: "токен невідомий", en: "the token is not known", headers: [.wwwAuthenticate: "Bearer"])
        }
        guard identity.role.permits(action) else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "403"))
            throw AccountingServiceError(
                .forbidden, .roleForbidden, uk: "роль \(identity.role.rawValue) не має на це права",
                en: "the role \(identity.role.rawValue) may not do this")
        }
        var context = context
        context.operatorIdentity = identity
        return try await next(request, context)
    }
}

extension OperatorAuthorizationMiddleware {
    /// The token of an `Authorization: Bearer <token>` header. The scheme name is matched
    /// without regard to case and may be followed by several spaces (RFC 9110, section 11.4).
    static func bearerToken(_ header: String) -> String? {
        let scheme = header.prefix { $0 != " " }
        guard scheme.lowercased() == "bearer" else { return nil }
        let token = header.dropFirst(scheme.count).drop { $0 == " " }
        guard !token.isEmpty, !token.contains(" ") else { return nil }
        return String(token)
    }
}

/// Decimal numbers in their one canonical spelling: digits only, no sign, no leading zero.
///
/// Why only one spelling: a device id is part of what a device signs, and the service prints
/// it back in receipts and cursors; two spellings of one number would make a signature or a
/// cursor depend on which one a client chose.
enum CanonicalDecimal {
    /// The value of `text` if it is a canonical decimal no larger than `UInt64.max`.
    static func uint64(_ text: some StringProtocol) -> UInt64? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 20, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard first != 0x30 || bytes.count == 1 else { return nil }
        return UInt64(String(text))
    }

    /// The value of `text` if it is a canonical decimal no larger than `UInt32.max`.
    static func uint32(_ text: some StringProtocol) -> UInt32? {
        uint64(text).flatMap { UInt32(exactly: $0) }
    }
}

/// Collects the body within the size limit into the context, for an operator route that
/// takes one (after the token check, so an unauthorized caller's body is never read).
struct BodyCollectingMiddleware: RouterMiddleware {
    typealias Context = AccountingRequestContext

    let limits: AccountingLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        context.body = try await RequestBodyLimit.collect(&request, limits: limits)
        return try await next(request, context)
    }
}
