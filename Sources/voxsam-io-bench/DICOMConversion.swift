import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `voxsam-io-bench dicom`: `voxsam convert SERIES out.nii` (the `voxsam` built beside this
/// executable) against `dcm2niix` on the same 61-slice 512 × 512 uncompressed CT series, each a child
/// process timed with `wait4` (wall time, peak RSS), alternating, median of `runs`. The series is
/// written once by `scripts/write-ct-series.py` (pydicom). Target (issue 16): both ratios ≤ 2.
func dicomConversionBenchmark(runs: Int) -> Int32 {
    let fm = FileManager.default
    let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let voxsam = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("voxsam").path
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = fm.temporaryDirectory.appendingPathComponent("voxsam-io-bench-dicom")
    let series = dir.appendingPathComponent("series")
    func say(_ s: String) { FileHandle.standardError.write(Data(("voxsam-io-bench: " + s + "\n").utf8)) }
    guard fm.isExecutableFile(atPath: voxsam) else { say("no voxsam beside this executable (swift build -c release --product voxsam)"); return 2 }
    guard let dcm2niix = which("dcm2niix") else { say("dcm2niix is not installed (scripts/setup-interop.sh)"); return 2 }
    if (try? fm.contentsOfDirectory(atPath: series.path).count) != 61 {
        try? fm.removeItem(at: series)
        let r = spawnTimed("/usr/bin/env", ["python3", repo.appendingPathComponent("scripts/write-ct-series.py").path, series.path,
                                            "--slices", "61", "--size", "512"])
        guard r.status == 0 else { say("scripts/write-ct-series.py failed (pydicom: scripts/setup-interop.sh)"); return 2 }
    }
    var ours: [ChildTiming] = [], theirs: [ChildTiming] = []
    let outDir = dir.appendingPathComponent("out")
    for _ in 0..<runs {
        try? fm.removeItem(at: outDir)
        try? fm.createDirectory(at: outDir, withIntermediateDirectories: true)
        let a = spawnTimed(voxsam, ["convert", series.path, outDir.appendingPathComponent("voxsam.nii").path, "--quiet"])
        let b = spawnTimed(dcm2niix, ["-z", "n", "-b", "n", "-f", "dcm2niix", "-o", outDir.path, series.path])
        guard a.status == 0, b.status == 0 else { say("a conversion failed (voxsam \(a.status), dcm2niix \(b.status))"); return 1 }
        ours.append(a)
        theirs.append(b)
    }
    func med(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
    let (w1, w2) = (med(ours.map(\.wall)), med(theirs.map(\.wall)))
    let (r1, r2) = (med(ours.map(\.maxRSSMB)), med(theirs.map(\.maxRSSMB)))
    let out: [String: Any] = [
        "series": "61 x 512 x 512 int16, uncompressed (scripts/write-ct-series.py)", "runs": runs,
        "voxsam_convert_s": (w1 * 1000).rounded() / 1000, "dcm2niix_s": (w2 * 1000).rounded() / 1000,
        "voxsam_peak_rss_mb": r1.rounded(), "dcm2niix_peak_rss_mb": r2.rounded(),
        "time_ratio": (w1 / w2 * 100).rounded() / 100, "rss_ratio": (r1 / r2 * 100).rounded() / 100,
        "target": "both ratios <= 2", "ok": w1 <= 2 * w2 && r1 <= 2 * r2,
        "load_average": (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "",
    ]
    let data = try! JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    return 0
}

struct ChildTiming {
    var status: Int32
    var wall: Double
    var maxRSSMB: Double
}

/// Runs a child with its output discarded; wall time and the child's own peak RSS (`wait4`).
func spawnTimed(_ path: String, _ args: [String]) -> ChildTiming {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var t0 = timespec(), t1 = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t0)
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return ChildTiming(status: 127, wall: 0, maxRSSMB: 0) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    clock_gettime(CLOCK_MONOTONIC, &t1)
    let wall = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ChildTiming(status: code, wall: wall, maxRSSMB: Double(usage.ru_maxrss) / 1024)
}

func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}
