import Foundation
import XCTest
@testable import VoxSAMModel

/// Paths and comparison helpers shared by the model tests.
enum Fixtures {
    /// Package root, from this file's location (Tests/VoxSAMModelTests/TestSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The shared reference folder (`../shared/reference/golden` next to the package), if present.
    static var sharedGolden: URL? {
        let u = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/golden")
        return FileManager.default.fileExists(atPath: u.appendingPathComponent("index.json").path) ? u : nil
    }

    /// The small committed golden subset.
    static let committedGolden = packageRoot.appendingPathComponent("Tests/VoxSAMModelTests/Resources/golden")

    static func requireSharedGolden() throws -> URL {
        guard let u = sharedGolden else {
            throw XCTSkip("reference fixtures not found at ../shared/reference/golden relative to the package root")
        }
        return u
    }

    /// `VOXSAM_MODEL`, then ~/.cache/voxsam/models/lite_medsam.pth, then /tmp/model/lite_medsam.pth.
    static var modelPath: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["VOXSAM_MODEL"], !env.isEmpty { candidates.append(env) }
        candidates.append((NSHomeDirectory() as NSString).appendingPathComponent(".cache/voxsam/models/lite_medsam.pth"))
        candidates.append("/tmp/model/lite_medsam.pth")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    nonisolated(unsafe) private static var cachedModel: LiteMedSAM?
    private static let lock = NSLock()

    static func model() throws -> LiteMedSAM {
        lock.lock()
        defer { lock.unlock() }
        if let m = cachedModel { return m }
        guard let path = modelPath else {
            throw XCTSkip("LiteMedSAM checkpoint not found: set VOXSAM_MODEL=/path/lite_medsam.pth or install it to ~/.cache/voxsam/models/lite_medsam.pth")
        }
        let m = try LiteMedSAM(checkpointPath: path, threads: ProcessInfo.processInfo.activeProcessorCount)
        cachedModel = m
        return m
    }

    static func floats(_ url: URL) throws -> [Float] {
        let d = try Data(contentsOf: url)
        return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func floats(_ dir: URL, _ name: String) throws -> [Float] { try floats(dir.appendingPathComponent(name)) }
}

struct Diff: CustomStringConvertible {
    var maxAbs: Double = 0
    var maxRef: Double = 0
    var l2Diff: Double = 0
    var l2Ref: Double = 0
    var worstIndex = 0
    /// max |a - b| / max |b|
    var relMax: Double { maxRef > 0 ? maxAbs / maxRef : maxAbs }
    /// ||a - b|| / ||b||
    var relL2: Double { l2Ref > 0 ? (l2Diff / l2Ref).squareRoot() : l2Diff.squareRoot() }
    var description: String {
        String(format: "max abs %.3g (at %d), max abs / max |ref| %.3g, rel L2 %.3g", maxAbs, worstIndex, relMax, relL2)
    }

    init<A: Collection, B: Collection>(_ a: A, _ b: B) where A.Element == Float, B.Element == Float {
        precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
        for (i, (x, y)) in zip(a, b).enumerated() {
            let d = abs(Double(x) - Double(y))
            if d > maxAbs || d.isNaN { maxAbs = d; worstIndex = i }
            maxRef = max(maxRef, abs(Double(y)))
            l2Diff += d * d
            l2Ref += Double(y) * Double(y)
        }
    }
}
