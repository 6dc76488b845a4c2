// swift-tools-version:6.0
// VoxSAM fuzzing: one libFuzzer executable (`voxsam-fuzz`) holding every harness; the harness is
// chosen with VOXSAM_FUZZ_TARGET (see scripts/fuzz.sh). A separate package so that the root
// package's `swift build` / `swift test` never see it: it links only with
//   swift build -c release --sanitize=address --sanitize=fuzzer   (this order: see scripts/fuzz.sh)
// (libFuzzer supplies `main`; without -sanitize=fuzzer the link fails by design).
import PackageDescription
import Foundation

// A path dependency's identity is its folder's name, which differs between work trees and CI clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let voxsam = root.lastPathComponent.lowercased()

let package = Package(
    name: "VoxSAMFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "voxsam-fuzz",
            dependencies: [
                .product(name: "VoxSAMCore", package: voxsam),
                .product(name: "VoxSAMIO", package: voxsam),
                .product(name: "VoxSAMCheckpoint", package: voxsam),
                .product(name: "VoxSAMBatch", package: voxsam),
                .product(name: "VoxSAM", package: voxsam),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti", "-parse-as-library"])]
        ),
    ]
)
