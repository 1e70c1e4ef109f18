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
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "401"))
            throw AccountingServiceError(
                .unauthorized, .missingToken, uk: "потрібен токен оператора", en: "an operator bearer token is required",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        let token = String(header.dropFirst(7))
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
