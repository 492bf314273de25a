// swift-tools-version:6.0
import PackageDescription

// Hot numeric kernels live in the C target `CKernels`, compiled per function for
// AVX-512 / AVX2+FMA+F16C with a portable fallback picked at run time, so one
// binary is both fast here and correct on an older x86-64 (see README, "CPU features").
// Bounds checks stay on in debug builds (tests); release builds of the numeric modules drop them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "anglevec",
    products: [
        .library(name: "AngleVec", targets: ["AngleVec"]),
        .executable(name: "anglevec", targets: ["CLI"]),
    ],
    targets: [
        // System libraries from Debian (scripts/install-deps.sh installs them).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB"),
        .target(
            name: "CSentencePiece",
            path: "Sources/CSentencePiece",
            cxxSettings: [.unsafeFlags(["-O2", "-std=c++17"])],
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),
        .target(
            name: "CKernels",
            path: "Sources/CKernels",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast"])]
        ),

        .target(name: "Embed", dependencies: ["CBLAS", "CKernels", "CSentencePiece"], path: "Sources/Embed",
                swiftSettings: hotPath),
        .target(name: "Store", dependencies: ["CLMDB"], path: "Sources/Store"),
        .target(name: "Index", dependencies: ["CKernels"], path: "Sources/Index", swiftSettings: hotPath),
        .target(name: "AngleVec", dependencies: ["Embed", "Store", "Index"], path: "Sources/AngleVec"),
        // The CLI's logic (argument parser, commands, readers' glue) is a library so CLITests can import it;
        // the `anglevec` executable is a thin main over it.
        .target(name: "CLIKit", dependencies: ["AngleVec"], path: "Sources/CLIKit"),
        .executableTarget(name: "CLI", dependencies: ["CLIKit"], path: "Sources/CLI"),
        // The Swift side of benchmarks/run.sh (not a user-facing product).
        .executableTarget(name: "Bench", dependencies: ["AngleVec"], path: "Sources/Bench", swiftSettings: hotPath),
        // Example app (built in CI so it keeps compiling against the public API).
        .executableTarget(name: "rag-demo", dependencies: ["AngleVec"], path: "Examples/rag-demo"),

        .executableTarget(name: "StoreStress", dependencies: ["Store"], path: "Tests/StoreStress"),  // child process of StoreTests' crash/concurrency tests
        .testTarget(name: "EmbedTests", dependencies: ["Embed"], path: "Tests/EmbedTests"),
        .testTarget(name: "StoreTests", dependencies: ["Store"], path: "Tests/StoreTests"),
        .testTarget(name: "IndexTests", dependencies: ["Index"], path: "Tests/IndexTests"),
        .testTarget(name: "AngleVecTests", dependencies: ["AngleVec"], path: "Tests/AngleVecTests"),
        .testTarget(name: "CLITests", dependencies: ["CLIKit"], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v5]
)
