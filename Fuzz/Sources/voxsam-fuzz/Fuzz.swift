// libFuzzer entry points for VoxSAM's readers of untrusted input. One executable holds every
// harness; VOXSAM_FUZZ_TARGET picks one at start-up (scripts/fuzz.sh sets it). Readers that take a
// path get the input written to one temporary file per process (rewritten in place per input).
//
// Every harness only requires that the reader returns or throws: a trap (overflow, bounds, force
// unwrap), an ASan report, a leak, a hang (> -timeout) or an allocation past -rss_limit_mb is a bug.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMCheckpoint
import VoxSAMBatch
import VoxSAMJob
import VoxSAMSegment
import VoxSAMProtocol

/// Volumes larger than this are refused from the header (the readers' `--max-voxels`); keeps each
/// input's allocations far below -rss_limit_mb while every size check still runs.
let fuzzMaxVoxels = 1 << 22

struct Harness: Sendable {
    let name: String
    let summary: String
    let run: @Sendable (UnsafeRawBufferPointer) -> Void
}

let harnesses: [Harness] = [
    Harness(name: "nifti", summary: "NIfTI-1/2 via nifticlib (.nii, or .nii.gz when the input starts with the gzip magic)") { bytes in
        let gz = bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
        let path = TempFiles.write(bytes, name: gz ? "input.nii.gz" : "input.nii")
        _ = try? NIfTIReader.read(path: path, options: .init(maxVoxels: fuzzMaxVoxels))
    },
    Harness(name: "nrrd", summary: "NRRD (attached data; a detached `data file` is looked up beside the input)") { bytes in
        let path = TempFiles.write(bytes, name: "input.nrrd")
        _ = try? NRRDReader.read(path: path, options: .init(maxVoxels: fuzzMaxVoxels))
    },
    Harness(name: "npy", summary: "one .npy array image, in memory (NPYArray)") { bytes in
        _ = try? NPYArray(npy: Array(bytes), name: "imgs", path: "fuzz.npy", maxVoxels: fuzzMaxVoxels)
    },
    Harness(name: "npz", summary: "CVPR24 .npz (zip of .npy arrays) → volume and boxes") { bytes in
        let path = TempFiles.write(bytes, name: "input.npz")
        _ = try? NPZVolume.read(path: path, maxVoxels: fuzzMaxVoxels)
        if let npz = try? NPZArchive.read(path: path, maxVoxels: fuzzMaxVoxels) {
            _ = try? NPZVolume.boxes(in: npz, path: path)
        }
    },
    Harness(name: "dicom", summary: "one DICOM file through the DCMTK bridge (VolumeReader)") { bytes in
        let path = TempFiles.write(bytes, name: "input.dcm")
        _ = try? VolumeReader.read(path: path, options: .init(maxVoxels: fuzzMaxVoxels))
    },
    Harness(name: "checkpoint", summary: "PyTorch checkpoint file (zip + pickle), every tensor read") { bytes in
        let path = TempFiles.write(bytes, name: "input.pth")
        readCheckpoint(path)
    },
    Harness(name: "pickle", summary: "the input as archive/data.pkl of a well-formed stored zip (with 2 storages), every tensor read") { bytes in
        let zip = CheckpointZip.make(pickle: bytes)
        let path = zip.withUnsafeBytes { TempFiles.write($0, name: "pickle.pth") }
        readCheckpoint(path)
    },
    Harness(name: "prompts-json", summary: "batch prompts file, JSON (PromptsFile.load)") { bytes in
        let path = TempFiles.write(bytes, name: "prompts.json")
        _ = try? PromptsFile.load(path: path)
    },
    Harness(name: "prompts-csv", summary: "batch prompts file, CSV (PromptsFile.load)") { bytes in
        let path = TempFiles.write(bytes, name: "prompts.csv")
        _ = try? PromptsFile.load(path: path)
    },
    Harness(name: "segment-prompts", summary: "`voxsam segment --prompts` JSON (ObjectSpec.load)") { bytes in
        let path = TempFiles.write(bytes, name: "objects.json")
        _ = try? ObjectSpec.load(promptsFile: path)
    },
    Harness(name: "refine-report", summary: "`voxsam refine`'s confidence report (Refinement, RefinePlan, replayed propagation)") { bytes in
        RefineHarness.run(bytes)
    },
    Harness(name: "protocol", summary: "segmentation protocol YAML (SegmentationProtocol.parse)") { bytes in
        _ = try? SegmentationProtocol.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz.yaml")
    },
]

func readCheckpoint(_ path: String) {
    guard let dict = try? PyTorchCheckpoint.load(path: path) else { return }
    for key in dict.allKeys {
        guard let info = dict.peek(key) else { continue }
        _ = try? dict.take(key, shape: info.shape)
        _ = try? dict.withUnsafeValues(key, shape: info.shape) { $0.reduce(0, +) }
    }
    _ = try? dict.finish()
}

nonisolated(unsafe) var selected: Harness?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    let name = ProcessInfo.processInfo.environment["VOXSAM_FUZZ_TARGET"] ?? ""
    guard let h = harnesses.first(where: { $0.name == name }) else {
        var text = "voxsam-fuzz: set VOXSAM_FUZZ_TARGET to one of:\n"
        for h in harnesses { text += "  \(h.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(h.summary)\n" }
        eprint(text)
        exit(2)
    }
    selected = h
    TempFiles.setUp()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: size)
    selected?.run(size == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : bytes)
    return 0
}
