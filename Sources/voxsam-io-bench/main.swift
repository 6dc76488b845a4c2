// voxsam-io-bench: peak memory of reading a 512×512×300 int16 CT (target: < 3× the voxel bytes).
//
//   swift run -c release voxsam-io-bench            # writes the test volumes, then reads each in a child process
//   voxsam-io-bench read PATH                       # (child) reads one file, prints JSON
//   voxsam-io-bench dicom [RUNS]                    # `voxsam convert` of a 61-slice 512×512 CT series vs dcm2niix
//
// Peak RSS is VmHWM of /proc/self/status (reset by exec, unlike ru_maxrss, which a child inherits from
// its parent), so every read runs in a fresh process.
import Foundation
import VoxSAMCore
import VoxSAMIO

func peakRSSBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

let args = CommandLine.arguments
if args.count >= 2 && args[1] == "dicom" {
    exit(dicomConversionBenchmark(runs: args.count >= 3 ? max(5, Int(args[2]) ?? 5) : 5))
}
if args.count == 3 && args[1] == "read" {
    let before = peakRSSBytes()
    let t0 = Date()
    let v = try VolumeReader.read(path: args[2])
    let seconds = Date().timeIntervalSince(t0)
    let voxelBytes = v.voxels.count * v.type.byteCount
    let peak = peakRSSBytes()
    let out: [String: Any] = [
        "file": args[2], "size": [v.size.x, v.size.y, v.size.z], "datatype": v.type.rawValue,
        "voxel_mb": Double(voxelBytes) / 1e6, "peak_rss_mb": Double(peak) / 1e6,
        "baseline_rss_mb": Double(before) / 1e6, "peak_over_voxel_bytes": Double(peak) / Double(voxelBytes),
        "read_s": (seconds * 1000).rounded() / 1000, "target": "peak_rss < 3 x voxel bytes",
        "ok": peak < 3 * voxelBytes,
    ]
    let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    exit(0)
}

// Parent: build a CT-like volume (body ellipse in soft tissue, air outside), write it, read it back in children.
let size = SIMD3(512, 512, 300)
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-io-bench")
try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
var files: [String] = []
do {
    var voxels = [Int16](repeating: -1000, count: size.x * size.y * size.z)
    for k in 0..<size.z {
        for j in 0..<size.y {
            for i in 0..<size.x {
                let x = Double(i - 256) / 220, y = Double(j - 256) / 170
                if x * x + y * y < 1 { voxels[(k * size.y + j) * size.x + i] = Int16(40 + (i * 7 + j * 3 + k) % 60) }
            }
        }
    }
    let g = Geometry(size: size, spacing: SIMD3(0.75, 0.75, 1.5), origin: SIMD3(-192, -192, -450))
    let v = Volume(geometry: g, voxels: .int16(voxels))
    for name in ["ct.nii.gz", "ct.nii", "ct.nrrd"] {
        let p = dir.appendingPathComponent(name).path
        try VolumeWriter.write(v, to: p)
        files.append(p)
    }
}
var ok = true
for f in files {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    p.arguments = ["read", f]
    try p.run()
    p.waitUntilExit()
    ok = ok && p.terminationStatus == 0
}
for f in files { try? FileManager.default.removeItem(atPath: f) }
exit(ok ? 0 : 1)
