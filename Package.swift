// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Atelier",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "atelier", targets: ["atelier"]),
        .executable(name: "atelier-bench", targets: ["atelier-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // All of libwebsockets' C API, seen through pkg-config (apt: libwebsockets-dev).
        .systemLibrary(
            name: "CLibWebSockets",
            pkgConfig: "libwebsockets",
            providers: [.apt(["libwebsockets-dev"])]
        ),
        // QR codes of join links (apt: libqrencode-dev).
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // PostgreSQL's client library, for the PostgreSQL event store (apt: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The workshop model and its rules: pure, no I/O.
        .target(name: "AtelierDomain"),
        // JSON bytes: the one scanner (lexer), the tree parser and writer of the wire, used by the
        // protocol and by the journal's fast decoder.
        .target(name: "AtelierJSON"),
        // The wire format of docs/protocol.md (the catalogue: Catalogue.swift).
        .target(name: "AtelierProtocol", dependencies: ["AtelierDomain", "AtelierJSON"]),
        // The journal, on SQLite (GRDB) or PostgreSQL (libpq), and session plans (YAML).
        .target(name: "AtelierStore", dependencies: [
            "AtelierDomain", "AtelierProtocol", "AtelierJSON", "CLibPQ",
            .product(name: "GRDB", package: "GRDB.swift"),
            // SQLite's C API, for the journal's hot insert (SQLiteStore+Commit.swift).
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Call-for-projects outputs.
        .target(name: "AtelierExport", dependencies: ["AtelierDomain", "AtelierProtocol", "CQREncode",
                                                      .product(name: "Crypto", package: "swift-crypto"),
                                                      .product(name: "Yams", package: "Yams")]),
        // The only Swift code that touches libwebsockets.
        .target(name: "AtelierTransport", dependencies: ["CLibWebSockets", "AtelierJSON", .product(name: "Logging", package: "swift-log")]),
        // Rooms, sessions, the durability pipeline, fan-out, HTTP API.
        .target(name: "AtelierHub", dependencies: [
            "AtelierDomain", "AtelierProtocol", "AtelierStore", "AtelierExport", "AtelierTransport",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "atelier", dependencies: [
            "AtelierHub", "AtelierJSON", "AtelierStore", "AtelierTransport", "AtelierDomain", "AtelierExport", "AtelierProtocol",
            .product(name: "Yams", package: "Yams"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The load generator (client side on libwebsockets): docs in BENCHMARKS.md.
        .executableTarget(name: "atelier-bench", dependencies: [
            "CLibWebSockets", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AtelierDomainTests", dependencies: ["AtelierDomain"]),
        .testTarget(name: "AtelierProtocolTests", dependencies: ["AtelierProtocol", "AtelierDomain", "AtelierTestSupport"]),
        // What the test targets share (one sample of every event).
        .target(name: "AtelierTestSupport", dependencies: ["AtelierDomain", "AtelierStore", .product(name: "GRDB", package: "GRDB.swift")],
                path: "Tests/AtelierTestSupport"),
        .testTarget(name: "AtelierStoreTests", dependencies: ["AtelierStore", "AtelierDomain", "AtelierProtocol", "AtelierTestSupport"]),
        .testTarget(name: "AtelierExportTests", dependencies: ["AtelierExport", "AtelierDomain"]),
        .testTarget(name: "AtelierTransportTests", dependencies: ["AtelierTransport"]),
        .testTarget(name: "AtelierBenchTests", dependencies: [
            "atelier-bench", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AtelierHubTests", dependencies: [
            "AtelierHub", "AtelierStore", "AtelierDomain", "AtelierProtocol", "AtelierTransport", "AtelierTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ]
)
