import AccountingCore
import AccountingStore
import Hummingbird

/// The request context of the service's router: who the request is from, as the
/// authentication middleware established it, and the body it collected.
///
/// Why the body lives here: a device signature covers the exact body bytes, so the middleware
/// must read the body before the handler does; the request body is a stream that is read once,
/// so the middleware hands the bytes it read (and hashed) to the handler.
public struct AccountingRequestContext: RequestContext {
    /// Hummingbird's own per-request state.
    public var coreContext: CoreRequestContextStorage
    /// The device whose signed request this is (set by `DeviceAuthenticationMiddleware`).
    public internal(set) var device: AuthenticatedDevice?
    /// The operator whose token authorized this request (set by `OperatorAuthorizationMiddleware`).
    public internal(set) var operatorIdentity: OperatorIdentity?
    /// The body, collected within the size limit (set by the middleware that read it).
    public internal(set) var body: [UInt8]?

    /// Creates the context of a new request: nobody authenticated yet, no body read.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

extension AccountingRequestContext {
    /// The authenticated device; a route registered without the device middleware is a bug (500).
    func authenticatedDevice(file: String = #fileID, line: UInt = #line) throws(AccountingServiceError) -> AuthenticatedDevice {
        guard let device else { throw .internalError(file: file, line: line) }
        return device
    }

    /// The authorized operator; a route registered without the operator middleware is a bug (500).
    func authorizedOperator(file: String = #fileID, line: UInt = #line) throws(AccountingServiceError) -> OperatorIdentity {
        guard let operatorIdentity else { throw .internalError(file: file, line: line) }
        return operatorIdentity
    }

    /// The collected body; a route registered without a body-collecting middleware is a bug (500).
    func collectedBody(file: String = #fileID, line: UInt = #line) throws(AccountingServiceError) -> [UInt8] {
        guard let body else { throw .internalError(file: file, line: line) }
        return body
    }
}
