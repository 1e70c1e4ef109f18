import Desk
import DeskRegistry
import Entitlements
import Hummingbird
import Logging

/// How the desk web app runs.
public struct DeskWebConfiguration: Sendable {
    /// The address to listen on: loopback by default, so only this computer reaches the app.
    public var host: String = "127.0.0.1"
    /// The port.
    public var port: Int = 8480
    /// How long a login lasts.
    public var sessionSeconds: Int64 = 8 * 3600
    /// Whether cookies carry `Secure` (browsers then send them over HTTPS only). Off for the
    /// default plain-HTTP loopback; on when the app is reached through a TLS proxy.
    public var secureCookies: Bool = false
    /// The desk's name on receipts and statements.
    public var deskName: String = "ЦНАП"
    /// How far ahead the renewal worklist looks.
    public var worklistHorizonDays: Int = 30
    /// The community's benefit categories (names for pages, choices for issuing).
    public var categories: [BenefitCategory] = []
    /// The bcrypt cost of a password a clerk sets in the app (`staff add` uses 12 too).
    public var passwordCost: UInt8 = 12

    /// The defaults.
    public init() {}
}

/// The desk web app (`hromada-desk serve`): staff log in, find people, see their cards and
/// benefits, act on the card in the desk reader; every request and action is in the audit log.
/// See docs/desk-web.md.
public struct DeskWebApp: Sendable {
    let registry: HolderRegistry
    let actions: any DeskCardActions
    let configuration: DeskWebConfiguration
    let clock: @Sendable () -> UnixTime
    let throttle = LoginThrottle()

    /// An app over `registry` and `actions`; `clock` is the time of each request.
    public init(registry: HolderRegistry, actions: any DeskCardActions, configuration: DeskWebConfiguration, clock: @escaping @Sendable () -> UnixTime) {
        self.registry = registry
        self.actions = actions
        self.configuration = configuration
        self.clock = clock
    }

    /// The routes, for a server or for tests without sockets.
    public func router() -> Router<DeskWebContext> {
        let router = Router(context: DeskWebContext.self)
        router.add(middleware: DeskWebMiddleware(app: self))
        addAuthRoutes(to: router)
        addHolderRoutes(to: router)
        addRegistrationRoutes(to: router)
        addCardRoutes(to: router)
        addReaderRoutes(to: router)
        addStaffRoutes(to: router)
        return router
    }

    /// The server application, listening where the configuration says.
    public func application(logger: Logger = Logger(label: "hromada-desk.web")) -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hromada-desk"),
            logger: logger)
    }

    /// Writes an audit entry; a failure to write it is logged, and fails the request (an
    /// action that cannot be audited must not pass unnoticed).
    func audit(_ context: DeskWebContext, action: String, subject: String, detail: String, outcome: String) async throws {
        try await registry.appendAudit(
            AuditEntry(at: clock(), username: context.staff?.username ?? "-", action: action, subject: subject, detail: detail, outcome: outcome))
    }
}

/// Finds the session and the language of each request, turns failures into pages the clerk can
/// act on, and writes every request to the audit log.
struct DeskWebMiddleware: RouterMiddleware {
    typealias Context = DeskWebContext
    let app: DeskWebApp

    static let sessionCookie = "hromada_session"
    static let languageCookie = "hromada_lang"

    func handle(_ request: Request, context: DeskWebContext, next: (Request, DeskWebContext) async throws -> Response) async throws -> Response {
        var context = context
        if let code = request.cookies[Self.languageCookie]?.value, let language = WebLanguage(rawValue: code) { context.language = language }
        if let token = request.cookies[Self.sessionCookie]?.value, SessionSecrets.isWellFormed(token) {
            let digest = SessionSecrets.digest(token)
            context.sessionDigest = digest
            context.staff = try? await app.registry.session(tokenDigest: digest, at: app.clock())
        }
        let path = request.uri.path
        let isPublic = path == "/login" || path == "/favicon.ico" || path.hasPrefix("/static/") || path.hasPrefix("/language/")
        var response: Response
        do {
            if !isPublic && context.staff == nil {
                if request.method == .get {
                    response = Response.redirect(to: "/login")
                } else {
                    throw StaffFacingError(.unauthenticated, ukrainian: "сеанс закінчився або ви не ввійшли", english: "your session ended or you are not logged in")
                }
            } else {
                response = try await next(request, context)
            }
        } catch {
            let failure: StaffFacingError
            if let error = error as? HTTPError, error.status == .notFound {
                failure = StaffFacingError(.notFound, ukrainian: "такої сторінки немає", english: "there is no such page")
            } else {
                failure = StaffFacingError(error)
            }
            if failure.kind == .systemFailure {
                context.logger.error("desk web failure", metadata: ["error": "\(String(reflecting: error))"])
            }
            response = Pages.failure(failure, context: context)
        }
        // Polls of the live reader view are not requests a person made; everything else is kept.
        if path != "/reader.json" && path != "/favicon.ico" && !path.hasPrefix("/static/") {
            try await app.audit(context, action: "\(request.method.rawValue) \(path.prefix(200))", subject: "request", detail: "", outcome: "\(response.status.code)")
        }
        response.headers[.cacheControl] = "no-store"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        return response
    }
}
