import Foundation
import XCTest
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel
@testable import VoxSAMSegment

enum SegmentTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The reference case folder: `SampleData/reference/NAME` if committed, else `../shared/reference`.
    struct Case {
        var name: String
        var image: String
        var gts: String
        var referenceSegs: String
        var summary: String

        func readImage() throws -> Volume { try NPZVolume.read(path: image) }
        func readGroundTruth() throws -> Volume { try NPZVolume.read(path: gts, array: "gts") }
        /// The case's `boxes`, object n with label n + 1.
        func readPrompts() throws -> [ObjectPrompt] { try PromptSource.fromNPZ(path: image) }
    }

    /// The five reference 3D cases.
    static let referenceCaseNames = ["3DBox_CT_TSdicom", "3DBox_CT_TSsmall", "3DBox_MR_TSsmall", "3DBox_MR_brain1", "3DBox_MR_brain2"]

    static func referenceCase(_ name: String) throws -> Case {
        let local = repoRoot.appendingPathComponent("SampleData/reference/\(name)")
        if FileManager.default.fileExists(atPath: local.path) {
            return Case(name: name, image: local.appendingPathComponent("img.npz").path, gts: local.appendingPathComponent("gts.npz").path,
                        referenceSegs: local.appendingPathComponent("reference_segs.npz").path,
                        summary: local.appendingPathComponent("summary.json").path)
        }
        let r = shared.appendingPathComponent("reference")
        guard FileManager.default.fileExists(atPath: r.appendingPathComponent("cases/imgs/\(name).npz").path) else {
            let reason = "skipped: reference case \(name) not available (../shared is absent)"
            print(reason)
            throw XCTSkip(reason)
        }
        return Case(name: name, image: r.appendingPathComponent("cases/imgs/\(name).npz").path,
                    gts: r.appendingPathComponent("cases/gts/\(name).npz").path,
                    referenceSegs: r.appendingPathComponent("outputs/segs/\(name).npz").path,
                    summary: r.appendingPathComponent("outputs/summaries/\(name).json").path)
    }

    static func sharedFile(_ relative: String) throws -> String {
        let p = shared.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: p) else {
            let reason = "skipped: \(p) not available (../shared is absent)"
            print(reason)
            throw XCTSkip(reason)
        }
        return p
    }

    nonisolated(unsafe) private static var cachedModel: LiteMedSAM?

    /// LiteMedSAM from $VOXSAM_MODEL or the model store; XCTSkip when it is not installed.
    static func model() throws -> LiteMedSAM {
        if let m = cachedModel { return m }
        let env = ProcessInfo.processInfo.environment["VOXSAM_MODEL"]
        let path: String
        do { path = try ModelStore.resolve(modelOption: env) } catch {
            let reason = "skipped: LiteMedSAM is not installed (run `voxsam model fetch`): \(error)"
            print(reason)
            throw XCTSkip(reason)
        }
        let m = try LiteMedSAM(checkpointPath: path, threads: ProcessInfo.processInfo.activeProcessorCount)
        cachedModel = m
        return m
    }


    /// Dice of `label` on slice `slice` (axis k) of two label maps given as label values.
    static func sliceDice(_ a: [Int], _ b: [Int], label: Int, slice: Int, sliceSize n: Int) -> Double {
        var s = 0, g = 0, both = 0
        for i in (slice * n)..<((slice + 1) * n) {
            let x = a[i] == label, y = b[i] == label
            if x { s += 1 }
            if y { g += 1 }
            if x && y { both += 1 }
        }
        return s + g == 0 ? 1 : 2 * Double(both) / Double(s + g)
    }

    static func dice(_ a: Volume, _ b: Volume, label: Int) -> Double {
        var inter = 0, na = 0, nb = 0
        for n in 0..<a.voxels.count {
            let x = Int(a.voxels[n]) == label, y = Int(b.voxels[n]) == label
            if x { na += 1 }
            if y { nb += 1 }
            if x && y { inter += 1 }
        }
        return na + nb == 0 ? 1 : 2 * Double(inter) / Double(na + nb)
    }
}
