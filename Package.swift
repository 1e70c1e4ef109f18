// swift-tools-version: 6.1
//
// HromadaCard: smart-card transit and social-benefits ticketing.
//
// Targets are layered (see docs/architecture.md). Pure targets decode untrusted
// bytes and hold every rule; they do no I/O and read no clock or randomness. Adapter targets do
// the I/O. Dependencies point one way: adapters -> pure. `Tools/check-layering` enforces it in CI.

import PackageDescription

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let cryptoExtras: Target.Dependency = .product(name: "CryptoExtras", package: "swift-crypto")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let propertyBased: Target.Dependency = .product(name: "PropertyBased", package: "swift-property-based")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let postgresNIO: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
let asyncHTTPClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let bcrypt: Target.Dependency = .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")

let package = Package(
    name: "HromadaCard",
    platforms: [.macOS(.v15)],
    products: [
        /// The pure layers, for the fuzzing and benchmark packages beside this one.
        .library(
            name: "HromadaCardPure",
            targets: [
                "Identifiers", "Localization", "Diagnostics", "SmartCard", "DESFire", "CardLayout", "Entitlements", "Tariff", "Bundles",
                "LedgerCore", "SocialCard", "AccountingCore", "Reconciliation", "ReconciliationReports", "TabularText", "JSONText", "HTMLText",
            ]
        ),
        /// The adapters (PC/SC, virtual card, ledger store), for the benchmark and fuzzing packages.
        .library(name: "HromadaCardAdapters", targets: ["PCSC", "VirtualCard", "SQLiteSupport", "LedgerStore"]),
        /// The validator daemon's library and the key files it reads, for the benchmark package.
        .library(name: "HromadaCardValidator", targets: ["Validator", "CommunityKeys"]),
        .executable(name: "hromada-vcard", targets: ["hromada-vcard"]),
        .executable(name: "hromada-keys", targets: ["hromada-keys"]),
        .executable(name: "hromada-demo", targets: ["hromada-demo"]),
        .executable(name: "hromada-validator", targets: ["hromada-validator"]),
        .executable(name: "hromada-desk", targets: ["hromada-desk"]),
        .executable(name: "hromada-accounting", targets: ["hromada-accounting"]),
        .executable(name: "hromada-reconcile", targets: ["hromada-reconcile"]),
        /// The month simulator and the finance officer's tool, for the benchmark package.
        .library(name: "HromadaCardReconcile", targets: ["ReconciliationSimulator", "ReconcileTool"]),
        /// The accounting service, its storage and the uploader, for the benchmark package.
        .library(name: "HromadaCardAccounting", targets: ["AccountingCore", "AccountingStore", "AccountingService", "Uploader"]),
        /// The desk's registry and web app, for the benchmark package.
        .library(name: "HromadaCardDesk", targets: ["Desk", "DeskOffice", "DeskRecords", "DeskRegistry", "DeskWeb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    ],
    targets: [
        // MARK: Pure layers (no I/O, no clock, no randomness)

        /// The bottom of the graph, importable by every module: the identifiers many modules share
        /// (`DeviceID`, `CardSerial`, `KeyID`, …) and the one hex codec.
        .target(name: "Identifiers"),
        /// CSV as people's spreadsheets write it: one reader (RFC 4180, byte order mark, the
        /// separator a header uses, line numbers) and the Excel writer, for every import and report.
        .target(name: "TabularText"),
        /// JSON kept exact (integers, key order, no duplicate keys): the strict parser and the
        /// canonical writer, for card layouts and the finance officer's reports.
        .target(name: "JSONText"),
        /// Text made safe inside HTML and SVG: the one escaper the desk web app and the finance
        /// officer's reports share.
        .target(name: "HTMLText"),
        /// Words for people: plural forms by the CLDR rules for Ukrainian and English.
        .target(name: "Localization"),
        /// The shape every module's error shares: a stable code, a reason, equality on the code.
        .target(name: "Diagnostics"),
        /// APDUs, status words, TLV, the `CardChannel` protocol and the card error domains.
        .target(name: "SmartCard", dependencies: ["Diagnostics"]),
        /// DESFire EV1 client: command builders/parsers, AES authentication and secure messaging
        /// as a value state machine, AN10922 key diversification.
        .target(name: "DESFire", dependencies: ["Diagnostics", "Identifiers", "SmartCard", crypto, cryptoExtras]),
        /// Card layouts as data: schema, validation, record codec.
        .target(name: "CardLayout", dependencies: ["Diagnostics", "Identifiers", "JSONText"]),
        /// Benefit categories, entitlements, canonical encoding, Ed25519 certificates and trust.
        .target(name: "Entitlements", dependencies: ["Diagnostics", "Identifiers", crypto]),
        /// The tariff and the tap decision.
        .target(name: "Tariff", dependencies: ["Diagnostics", "Identifiers", "Localization", "Entitlements"]),
        /// Signed, versioned bundles for validators: trust, tariff, deny list.
        .target(name: "Bundles", dependencies: ["Diagnostics", "Identifiers", "Entitlements", "Tariff", crypto]),
        /// The validator's ledger: entry format, canonical bytes, SHA-256 chain, signed
        /// checkpoints and receipts, chain verification.
        .target(name: "LedgerCore", dependencies: ["Diagnostics", "Identifiers", "Entitlements", crypto]),
        /// The social card on a DESFire card: per-card keys, restartable personalization per a
        /// layout, the fewest-APDU read a validator or the desk needs, and a tap's writes.
        .target(name: "SocialCard", dependencies: ["Diagnostics", "Identifiers", "Localization", "SmartCard", "DESFire", "CardLayout", "Entitlements", "Tariff", crypto]),
        /// The accounting protocol: batch and receipt wire model, the ingest decision, the
        /// signed-request canonical form, operator roles.
        .target(name: "AccountingCore", dependencies: ["Diagnostics", "Identifiers", "Localization", "LedgerCore", "Entitlements", "Bundles", "TabularText", crypto]),
        /// The desk registry's rules: holder and document validation, the name search key, the
        /// eligibility import's reading and diff, the renewal worklist, retention.
        .target(name: "DeskRecords", dependencies: ["Diagnostics", "Identifiers", "Entitlements", "TabularText"]),
        /// The finance officer's reconciliation: compensation per carrier, route, category and
        /// day, integrity exceptions, card statistics and the act with each carrier, as pure
        /// functions of entries and reference data.
        .target(
            name: "Reconciliation",
            dependencies: ["Diagnostics", "Identifiers", "Localization", "Entitlements", "Tariff", "LedgerCore", "AccountingCore", "TabularText"]
        ),
        /// The finance officer's documents: tables as Excel CSV and HTML, A4 print pages, SVG
        /// charts, canonical JSON and the signed manifest of a report's files.
        .target(name: "ReconciliationReports", dependencies: ["Diagnostics", "Identifiers", "Localization", "Reconciliation", "TabularText", "JSONText", "HTMLText", crypto]),

        // MARK: Adapters (I/O at the edges)

        /// libpcsclite, seen through a small shim header.
        .systemLibrary(
            name: "CPCSCLite",
            path: "Sources/CPCSCLite",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        /// PC/SC adapter: contexts, readers, card monitoring, transmit, named errors.
        .target(name: "PCSC", dependencies: ["SmartCard", "CPCSCLite"]),
        /// OpenSSL's libcrypto, used by the virtual card only (its DES), so that the emulator
        /// shares no cipher code with the client.
        .systemLibrary(
            name: "CLibCrypto",
            path: "Sources/CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        /// The virtual DESFire card and its vpcd link. Written independently of `DESFire`.
        .target(name: "VirtualCard", dependencies: ["Diagnostics", "Identifiers", "CLibCrypto", crypto, cryptoExtras]),
        /// Community key files on disk: root, issuers, devices, card master keys.
        .target(name: "CommunityKeys", dependencies: ["Diagnostics", "Identifiers", "Entitlements", "Tariff", "Bundles", crypto]),
        /// libsqlite3, seen through a small shim header.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        /// One small SQLite wrapper for every store: open, execute, prepared statements, typed
        /// binds and columns, failures as `SQLiteFailure` values each store maps to its own errors.
        .target(name: "SQLiteSupport", dependencies: ["Diagnostics", "CSQLite"]),
        /// The ledger in SQLite: WAL, synchronous=FULL, append-only triggers, receipts, pruning,
        /// versioned migrations, out-of-service state.
        .target(name: "LedgerStore", dependencies: ["Diagnostics", "Identifiers", "LedgerCore", "SQLiteSupport", "Entitlements", crypto]),

        /// The validator daemon: configuration, the tap pipeline (read, decide, write in one card
        /// transaction, ledger), tearing recovery, reader watching, the service, JSON-line output
        /// and metrics.
        .target(
            name: "Validator",
            dependencies: [
                "Diagnostics", "Identifiers", "Localization", "SmartCard", "DESFire", "PCSC", "CardLayout", "Entitlements", "Tariff", "Bundles", "LedgerCore",
                "LedgerStore", "SocialCard", "Uploader", crypto, logging, serviceLifecycle, metrics, prometheus, nioCore, nioPosix,
                nioHTTP1,
            ]
        ),
        /// The accounting service's storage, without HTTP: SQLite and PostgreSQL, versioned
        /// migrations, queries, the persisted nonce window. Used by the service, the
        /// reconciliation tool and the desk.
        .target(
            name: "AccountingStore",
            dependencies: [
                "AccountingCore", "Diagnostics", "LedgerCore", "Entitlements", "Identifiers", "Bundles", "SQLiteSupport", logging, postgresNIO,
                serviceLifecycle,
            ]
        ),
        /// The accounting service: Hummingbird app, device and operator auth, over `AccountingStore`.
        .target(
            name: "AccountingService",
            dependencies: [
                "AccountingCore", "AccountingStore", "CommunityKeys", "Identifiers", "Localization", "LedgerCore", "Entitlements",
                "Bundles", "Reconciliation", "ReconcileTool", crypto, logging, hummingbird, postgresNIO, metrics, prometheus,
            ]
        ),
        /// The validator's uploader: store-and-forward of ledger entries, receipts, bundle fetching.
        .target(
            name: "Uploader",
            dependencies: [
                "AccountingCore", "Identifiers", "LedgerCore", "LedgerStore", "Entitlements", "Bundles", crypto, logging,
                asyncHTTPClient, serviceLifecycle,
            ]
        ),
        /// The issuance desk: loading its files, building the card keyring from the community key
        /// directory, the issuer key choice and issuance policy, waiting for a card, its messages.
        .target(
            name: "Desk",
            dependencies: [
                "SocialCard", "CardLayout", "CommunityKeys", "DESFire", "Entitlements", "Identifiers", "PCSC", "SmartCard", crypto,
                "Bundles", "Tariff", asyncHTTPClient, nioCore, nioHTTP1,
            ]
        ),

        /// The desk's holder registry: people, consent, eligibilities, cards and their history, the
        /// journal; SQLite or PostgreSQL, document numbers sealed with the desk key.
        .target(
            name: "DeskRegistry",
            dependencies: ["DeskRecords", "Diagnostics", "Identifiers", "Entitlements", "SQLiteSupport", crypto, logging, postgresNIO, nioCore]
        ),

        /// The desk's one path for card actions: each done on the card (Desk), recorded in the holder
        /// registry (DeskRegistry) and reported; restartable after a tear between the two.
        .target(
            name: "DeskOffice",
            dependencies: [
                "Desk", "DeskRegistry", "DeskRecords", "SocialCard", "Entitlements", "Identifiers", "Tariff", "Diagnostics", "CommunityKeys", "LedgerCore",
                "LedgerStore", "Uploader", "TabularText", crypto,
            ]
        ),

        /// Generates a month of signed validator ledgers with planted faults and the truth about
        /// them: for the reconciliation tests, the benchmark and the demo (seeded, reproducible).
        .target(
            name: "ReconciliationSimulator",
            dependencies: ["AccountingCore", "AccountingStore", "Bundles", "Entitlements", "Identifiers", "LedgerCore", "Tariff", crypto]
        ),

        /// The finance officer's tool behind `hromada-reconcile`: the store and export-directory
        /// loaders, the closing record, the report run and its files.
        .target(
            name: "ReconcileTool",
            dependencies: [
                "Reconciliation", "ReconciliationReports", "AccountingCore", "AccountingStore", "Bundles", "Entitlements", "Identifiers", "LedgerCore",
                "Localization", "Tariff", crypto,
            ]
        ),

        /// Terminal output shared by the command-line programs: standard error, buffered output.
        .target(name: "Console"),

        /// The desk's web app (`hromada-desk serve`): staff login and sessions, CSRF, the audit
        /// log, server-rendered pages in Ukrainian and English over the registry and the desk.
        .target(
            name: "DeskWeb",
            dependencies: ["Desk", "DeskOffice", "DeskRegistry", "SocialCard", "Entitlements", "HTMLText", "Identifiers", "Tariff", "Bundles", crypto, hummingbird, bcrypt, logging]
        ),

        // MARK: Executables (thin: parse arguments, build the pieces, call library code)

        .executableTarget(name: "hromada-vcard", dependencies: ["Console", "Identifiers", "VirtualCard", argumentParser]),
        .executableTarget(name: "hromada-keys", dependencies: ["CommunityKeys", "Identifiers", argumentParser]),
        .executableTarget(name: "hromada-demo", dependencies: ["DESFire", "Identifiers", "PCSC", "SmartCard", argumentParser]),
        .executableTarget(
            name: "hromada-validator",
            dependencies: [
                "Console", "Identifiers", "Localization", "LedgerCore", "LedgerStore", "Entitlements", "Tariff", crypto, argumentParser, "Validator",
                logging, serviceLifecycle, metrics, prometheus,
            ]
        ),
        .executableTarget(
            name: "hromada-desk",
            dependencies: [
                "Console", "Desk", "DeskOffice", "DeskRegistry", "DeskRecords", "DeskWeb", "CommunityKeys", "SocialCard", "Entitlements", "Identifiers", "Tariff",
                argumentParser, hummingbird, bcrypt,
            ]
        ),

        .executableTarget(
            name: "hromada-accounting",
            dependencies: [
                "AccountingService", "AccountingStore", "AccountingCore", "CommunityKeys", "Entitlements", "Bundles", "Identifiers",
                "Localization", crypto, logging, hummingbird, serviceLifecycle, argumentParser, metrics, prometheus,
            ]
        ),

        .executableTarget(
            name: "hromada-reconcile",
            dependencies: [
                "ReconcileTool", "Reconciliation", "AccountingCore", "AccountingStore", "CommunityKeys", "Entitlements", "Identifiers", argumentParser,
                logging,
            ]
        ),

        // MARK: Tests

        /// `failOnThrow` and the one seeded generator, for property tests and fixtures.
        .target(name: "PropertyTesting", path: "Tests/PropertyTesting"),

        /// For the crash test only (not a product): appends ledger entries and prints each
        /// sequence number once `append` returned, until it is killed.
        .executableTarget(
            name: "ledger-append-child",
            dependencies: ["LedgerStore", "LedgerCore", "Entitlements", "Identifiers", crypto, argumentParser],
            path: "Tests/LedgerAppendChild"
        ),

        /// Shared by the accounting store's, service's and uploader's tests: the storage engines of
        /// a run and the private PostgreSQL cluster.
        .target(name: "StorageTesting", dependencies: ["AccountingStore", postgresNIO], path: "Tests/StorageTesting"),

        /// Shared by the hardware-in-the-loop tests: starts/reuses the PC/SC test bed, leases
        /// virtual readers, runs virtual cards in-process or as `hromada-vcard` processes.
        .target(
            name: "TestBedSupport",
            dependencies: ["Diagnostics", "PCSC", "SmartCard", "VirtualCard"],
            path: "Tests/TestBedSupport"
        ),

        /// A small W3C WebDriver client over a `chromedriver` it starts: headless Chromium for the
        /// tests of printed reports and the desk's web app.
        .target(name: "BrowserTesting", dependencies: [asyncHTTPClient, nioCore, nioHTTP1, .product(name: "NIOFoundationCompat", package: "swift-nio")], path: "Tests/BrowserTesting"),

        .testTarget(name: "IdentifiersTests", dependencies: ["Identifiers", propertyBased]),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "TabularTextTests", dependencies: ["TabularText", "PropertyTesting"]),
        .testTarget(name: "JSONTextTests", dependencies: ["JSONText", "PropertyTesting"]),
        .testTarget(name: "HTMLTextTests", dependencies: ["HTMLText"]),
        .testTarget(name: "SmartCardTests", dependencies: ["SmartCard", "Identifiers", propertyBased]),
        .testTarget(
            name: "DESFireTests",
            dependencies: ["DESFire", "Identifiers", "SmartCard", propertyBased, "PropertyTesting"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "VirtualCardTests",
            dependencies: ["VirtualCard", "Identifiers", crypto, cryptoExtras, propertyBased, "PropertyTesting"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(name: "PCSCTests", dependencies: ["PCSC", "SmartCard", "VirtualCard", "TestBedSupport", propertyBased]),
        .testTarget(name: "EndToEndTests", dependencies: ["DESFire", "PCSC", "SmartCard", "VirtualCard", "TestBedSupport"]),
        .testTarget(name: "CardLayoutTests", dependencies: ["CardLayout", propertyBased, "PropertyTesting"]),
        .testTarget(
            name: "EntitlementsTests",
            dependencies: ["Entitlements", "Identifiers", crypto, propertyBased, "PropertyTesting"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(name: "TariffTests", dependencies: ["Tariff", "Entitlements", "Identifiers", propertyBased, "PropertyTesting"]),
        .testTarget(name: "BundlesTests", dependencies: ["Bundles", "Entitlements", "Identifiers", "Tariff", crypto, propertyBased, "PropertyTesting"]),
        .testTarget(name: "CommunityKeysTests", dependencies: ["CommunityKeys", "Bundles", "Entitlements", "Identifiers", crypto, "PropertyTesting"]),
        .testTarget(
            name: "LedgerCoreTests",
            dependencies: ["LedgerCore", "Entitlements", "Identifiers", crypto, propertyBased, "PropertyTesting"]
        ),
        .testTarget(name: "SQLiteSupportTests", dependencies: ["SQLiteSupport"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: ["LedgerStore", "LedgerCore", "CSQLite", "SQLiteSupport", "Entitlements", "Identifiers", crypto, propertyBased, "PropertyTesting"]
        ),
        .testTarget(
            name: "ValidatorTests",
            dependencies: [
                "Validator", "SmartCard", "DESFire", "PCSC", "CardLayout", "Entitlements", "Identifiers", "Tariff", "Bundles",
                "LedgerCore", "LedgerStore", "SocialCard", "CommunityKeys", "VirtualCard", "TestBedSupport", crypto, logging,
                serviceLifecycle, "PropertyTesting",
            ]
        ),
        .testTarget(
            name: "SocialCardTests",
            dependencies: [
                "SocialCard", "CardLayout", "CommunityKeys", "DESFire", "Entitlements", "Identifiers", "PCSC", "SmartCard",
                "Tariff", "TestBedSupport", "VirtualCard", crypto, propertyBased, "PropertyTesting",
            ]
        ),
        .testTarget(
            name: "DeskTests",
            dependencies: [
                "Desk", "SocialCard", "CardLayout", "CommunityKeys", "DESFire", "Entitlements", "Identifiers", "PCSC", "SmartCard",
                "TestBedSupport", "VirtualCard", crypto, "Bundles", "Tariff",
            ]
        ),
        .testTarget(
            name: "DeskOfficeTests",
            dependencies: [
                "DeskOffice", "Desk", "DeskRegistry", "DeskRecords", "SocialCard", "CommunityKeys", "Entitlements", "Identifiers", "PCSC", "SmartCard",
                "TestBedSupport", "VirtualCard", "Tariff", "LedgerCore", "LedgerStore", crypto,
            ]
        ),
        .testTarget(name: "DeskRecordsTests", dependencies: ["DeskRecords", "Entitlements", "Identifiers"]),
        .testTarget(
            name: "DeskRegistryTests",
            dependencies: [
                "StorageTesting", "DeskRegistry", "DeskRecords", "AccountingStore", "Entitlements", "Identifiers", "CSQLite", "TestBedSupport", crypto,
                postgresNIO, logging,
            ]
        ),
        .testTarget(
            name: "AccountingCoreTests",
            dependencies: ["AccountingCore", "LedgerCore", "Entitlements", "Identifiers", "Bundles", crypto, propertyBased, "PropertyTesting"]
        ),
        .testTarget(
            name: "ReconciliationTests",
            dependencies: [
                "Reconciliation", "AccountingCore", "LedgerCore", "Entitlements", "Identifiers", "Tariff", crypto, propertyBased, "PropertyTesting",
            ]
        ),
        .testTarget(
            name: "AccountingStoreTests",
            dependencies: [
                "StorageTesting",
                "AccountingStore", "AccountingCore", "LedgerCore", "Entitlements", "Identifiers", "Bundles", "SQLiteSupport", "PropertyTesting", propertyBased, crypto,
                postgresNIO, logging, serviceLifecycle,
            ]
        ),
        .testTarget(
            name: "AccountingServiceTests",
            dependencies: [
                "StorageTesting",
                "AccountingService", "AccountingStore", "AccountingCore", "LedgerCore", "Entitlements", "Identifiers", "Tariff", "Bundles", crypto,
                hummingbird, hummingbirdTesting, postgresNIO, logging, "CommunityKeys", "Desk", "PropertyTesting", "SQLiteSupport",
            ]
        ),
        .testTarget(
            name: "UploaderTests",
            dependencies: [
                "StorageTesting",
                "Uploader", "AccountingService", "AccountingStore", "AccountingCore", "LedgerCore", "LedgerStore", "Entitlements",
                "Identifiers", "Tariff", "Bundles", "CommunityKeys", "Validator", crypto, hummingbird, asyncHTTPClient,
                serviceLifecycle, logging, postgresNIO, "PropertyTesting",
            ]
        ),
        .testTarget(
            name: "ReconcileToolTests",
            dependencies: [
                "StorageTesting", "ReconciliationSimulator", "ReconcileTool", "Reconciliation", "AccountingService", "AccountingStore", "AccountingCore",
                "LedgerCore", "Entitlements", "Identifiers", "CommunityKeys", crypto, hummingbird, hummingbirdTesting, logging,
            ]
        ),
        .testTarget(
            name: "DeskWebTests",
            dependencies: [
                "DeskWeb", "Desk", "DeskOffice", "DeskRegistry", "SocialCard", "CommunityKeys", "Entitlements", "Identifiers", "Tariff", "VirtualCard",
                "TestBedSupport", "BrowserTesting", hummingbird, hummingbirdTesting, bcrypt, crypto, logging,
            ]
        ),
        .testTarget(
            name: "ReconciliationReportsTests",
            dependencies: [
                "ReconciliationReports", "Reconciliation", "AccountingCore", "Entitlements", "Identifiers", "LedgerCore", "Tariff", "BrowserTesting",
                crypto,
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
