// swift-tools-version:6.0
// VoxSAM — box-prompted 3D segmentation of CT and MR scans with LiteMedSAM, natively in Swift.
//
// Targets mirror the pipeline:
//   C bridges (CDCMTK, CNIfTI, COpenBLAS, CPNG, COpenJPEG, CKernels)
//   → VoxSAMCore (volume + geometry + errors)
//   → VoxSAMIO (NIfTI, DICOM, NRRD, NPZ, PNG, windowing)
//   → VoxSAMModel (tensor kernels, checkpoint, LiteMedSAM)
//   → VoxSAMSegment (prompts, propagation, reports)
//   → VoxSAMProtocol (YAML segmentation protocols, structure names/colours/codes)
//   → VoxSAMExport (DICOM SEG, RTSTRUCT, Slicer .seg.nrrd, NIfTI with label names)
//   → VoxSAMJob (one segmentation job: settings, prompts, read → propagate → one output group)
//   → VoxSAM (the embeddable library: the job and what it needs)
//   → VoxSAMBatch (study folders, manifests, resume, shards)
//   → VoxSAMPACS (series from a PACS by DICOMweb or DIMSE, results sent back by STOW-RS or C-STORE)
//   → VoxSAMServe (`voxsam serve`: the MONAI Label REST subset its Slicer plugin uses)
//   → VoxSAMCLI (subcommands) → voxsam (executable), voxsam-slicer (Slicer/MITK CLI module), voxsam-bench (benchmarks)
import PackageDescription

let dcmtkLibraries = [
    "dcmseg", "dcmfg", "dcmiod", "dcmrt", "dcmimage", "dcmimgle", "dcmjpeg", "dcmjpls", "dcmtkcharls",
    "ijg8", "ijg12", "ijg16", "dcmnet", "dcmdata", "oflog", "ofstd", "openjp2", "z",
]

let package = Package(
    name: "VoxSAM",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "voxsam", targets: ["voxsam"]),
        .executable(name: "voxsam-slicer", targets: ["voxsam-slicer"]),
        .executable(name: "voxsam-bench", targets: ["voxsam-bench"]),
        .library(name: "VoxSAM", targets: ["VoxSAM"]),
        .library(name: "VoxSAMCore", targets: ["VoxSAMCore"]),
        .library(name: "VoxSAMIO", targets: ["VoxSAMIO"]),
        .library(name: "VoxSAMModel", targets: ["VoxSAMModel"]),
        // For the fuzzing package in Fuzz/ (its harnesses call the checkpoint and batch-prompts readers).
        .library(name: "VoxSAMCheckpoint", targets: ["VoxSAMCheckpoint"]),
        .library(name: "VoxSAMBatch", targets: ["VoxSAMBatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: C bridges
        .target(
            name: "CDCMTK",
            // Public header include/CDCMTK.h is plain C; DCMTK and OpenJPEG stay inside the target.
            cxxSettings: [.unsafeFlags(["-std=c++17", "-I/usr/include/openjpeg-2.5"]), .define("HAVE_CONFIG_H")],
            linkerSettings: dcmtkLibraries.map { .linkedLibrary($0) } + [.linkedLibrary("stdc++")]
        ),
        .target(
            name: "CNIfTI",
            cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGzip", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .target(
            name: "CKernels",
            dependencies: ["COpenBLAS"],
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]
        ),

        // MARK: Volume + geometry
        .target(name: "VoxSAMCore"),

        // MARK: IO
        .target(
            name: "VoxSAMIO",
            dependencies: ["VoxSAMCore", "CDCMTK", "CNIfTI", "CPNG", "CGzip", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: Checkpoint (PyTorch zip + pickle reader, model store)
        .target(
            name: "VoxSAMCheckpoint",
            dependencies: ["VoxSAMCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),

        // MARK: Model (tensor kernels + LiteMedSAM)
        .target(
            name: "VoxSAMModel",
            dependencies: ["VoxSAMCore", "VoxSAMCheckpoint", "CKernels", "COpenBLAS"]
        ),

        // MARK: Segmentation
        .target(
            name: "VoxSAMSegment",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMModel"]
        ),

        // MARK: Protocols (structures, label values, colours, codes, windows)
        .target(name: "VoxSAMProtocol", dependencies: ["VoxSAMCore", "Yams"]),

        // MARK: Exports for other tools
        .target(
            name: "VoxSAMExport",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMProtocol", "CDCMTK"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: The segmentation job (every entry point calls it)
        .target(
            name: "VoxSAMJob",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMSegment", "VoxSAMProtocol", "VoxSAMExport"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),
        // MARK: The library product: the job and the types its API uses
        .target(
            name: "VoxSAM",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMCheckpoint", "VoxSAMModel", "VoxSAMSegment", "VoxSAMProtocol", "VoxSAMExport", "VoxSAMJob"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: Batch runs
        .target(
            name: "VoxSAMBatch",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMCheckpoint", "VoxSAMModel", "VoxSAMSegment", "VoxSAMProtocol", "VoxSAMExport", "VoxSAMJob"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: PACS: series from DICOMweb servers and DICOM AEs, results sent back (WADO-RS, STOW-RS; C-FIND, C-GET, C-STORE)
        .target(name: "VoxSAMPACS", dependencies: ["VoxSAMCore", "VoxSAMIO", "CDCMTK"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),

        // MARK: The MONAI Label-compatible server (`voxsam serve`)
        .target(
            name: "VoxSAMServe",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMSegment", "VoxSAMProtocol", "VoxSAMExport", "VoxSAMJob",
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: CLI
        .target(
            name: "VoxSAMCLI",
            dependencies: [
                "VoxSAMCore", "VoxSAMIO", "VoxSAMCheckpoint", "VoxSAMModel", "VoxSAMSegment",
                "VoxSAMProtocol", "VoxSAMExport", "VoxSAMJob", "VoxSAMBatch", "VoxSAMServe", "VoxSAMPACS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),
        .executableTarget(name: "voxsam", dependencies: ["VoxSAMCLI", "VoxSAMModel"],
                          swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        // The 3D Slicer / MITK CLI module (a file name without a dot, as Slicer requires).
        .executableTarget(name: "voxsam-slicer", dependencies: ["VoxSAMCLI", "VoxSAMModel"],
                          swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .executableTarget(
            name: "voxsam-bench",
            dependencies: ["VoxSAMCore", "VoxSAMIO", "VoxSAMCheckpoint", "VoxSAMModel", "VoxSAMSegment"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        .executableTarget(
            name: "voxsam-io-bench",
            dependencies: ["VoxSAMCore", "VoxSAMIO"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]
        ),

        // MARK: Tests
        // Test data locations and assertions shared by the test targets (imports XCTest; tests only).
        .target(name: "VoxSAMTestSupport", dependencies: ["VoxSAMCore"], path: "Tests/VoxSAMTestSupport"),
        .testTarget(name: "VoxSAMCoreTests", dependencies: ["VoxSAMCore"]),
        .testTarget(name: "VoxSAMIOTests", dependencies: ["VoxSAMIO", "VoxSAMCore", "VoxSAMTestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMCheckpointTests", dependencies: ["VoxSAMCheckpoint", "VoxSAMCore", "VoxSAMTestSupport"]),
        .testTarget(name: "VoxSAMModelTests", dependencies: ["VoxSAMModel", "VoxSAMCheckpoint", "VoxSAMCore"]),
        .testTarget(name: "VoxSAMSegmentTests", dependencies: ["VoxSAMSegment", "VoxSAMModel", "VoxSAMCheckpoint", "VoxSAMIO", "VoxSAMCore", "VoxSAMTestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMProtocolTests", dependencies: ["VoxSAMProtocol", "VoxSAMCore"]),
        .testTarget(name: "VoxSAMExportTests", dependencies: ["VoxSAMExport", "VoxSAMProtocol", "VoxSAMIO", "VoxSAMCore", "VoxSAMTestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMBatchTests", dependencies: ["VoxSAMBatch", "VoxSAMJob", "VoxSAMProtocol", "VoxSAMIO", "VoxSAMCore"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMJobTests", dependencies: ["VoxSAMJob", "VoxSAMProtocol", "VoxSAMIO", "VoxSAMCore"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMLibraryTests", dependencies: ["VoxSAM"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMPACSTests", dependencies: ["VoxSAMPACS", "VoxSAMCore"]),
        .testTarget(name: "VoxSAMServeTests", dependencies: ["VoxSAMServe", "VoxSAMCore", "VoxSAMTestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
        .testTarget(name: "VoxSAMCLITests", dependencies: ["VoxSAMCLI", "VoxSAMTestSupport"],
                    swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]),
    ],
    cxxLanguageStandard: .cxx17
)
