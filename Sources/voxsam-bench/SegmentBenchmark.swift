import Foundation
import VoxSAMCore
import VoxSAMIO
#if canImport(Glibc)
import Glibc
#endif

/// `voxsam-bench --segment CASE.npz`: the whole-case figure, taken from the path users run — the
/// `voxsam segment` executable next to this one, as a child process (model load, reading, the job,
/// writing the label map and the confidence report), `runs` times. Prints the median wall time and
/// the child's CPU time and peak RSS (`wait4`), the threads the job was given and used (from its
/// confidence report), the load average before and after, the CPU's vector flags and the OpenBLAS
/// core, beside the PyTorch reference on this hardware (which encodes every slice again per object).
///
/// With `correction` (`NAME:SLICE:x0,y0,x1,y1`), each run is a cold run with `--cache` into a fresh
/// folder followed by a second run adding that key box: the warm run's time, encoder calls and
/// cache hits are printed beside the cold run's (issue 13: warm ≤ 0.25 × cold); so is `voxsam refine`
/// of the cold run's result with that key box (whose label map must equal the warm run's).
func runSegmentBenchmark(casePath: String, runs: Int, threads: Int?, extra: [String], pytorchResult: String? = nil,
                         correction: String? = nil) throws -> [String: Any] {
    let voxsam = URL(fileURLWithPath: CommandLine.executablePathResolved).deletingLastPathComponent()
        .appendingPathComponent("voxsam").path
    guard FileManager.default.isExecutableFile(atPath: voxsam) else {
        throw VoxSAMError(.notFound, "no voxsam executable next to voxsam-bench (build it: swift build -c release --product voxsam)", path: voxsam)
    }
    let name = URL(fileURLWithPath: casePath).deletingPathExtension().lastPathComponent
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }

    let loadBefore = loadAverage()
    var walls: [Double] = [], cpus: [Double] = [], rss: [Double] = []
    var labelHashes = Set<String>()
    var report: [String: Any] = [:]
    var warmWalls: [Double] = [], warmReport: [String: Any] = [:]
    var refineWalls: [Double] = [], refineReport: [String: Any] = [:], refineEqual = true
    for run in 0..<runs {
        let out = scratch.appendingPathComponent("run\(run)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var args = ["segment", casePath, "-o", out.appendingPathComponent("seg.nii.gz").path,
                    "--confidence", out.appendingPathComponent("confidence.json").path, "--quiet"]
        if let t = threads { args += ["--threads", String(t)] }
        let cacheArgs = correction == nil ? [] : ["--cache", out.appendingPathComponent("cache").path]
        let child = try timedRun(voxsam, args + cacheArgs + extra)
        guard child.status == 0 else {
            throw VoxSAMError(.internal, "voxsam \(args.joined(separator: " ")) exited with \(child.status)")
        }
        walls.append(child.wall)
        cpus.append(child.cpu)
        rss.append(child.maxRSSMB)
        labelHashes.insert(try SHA256.hex(ofFile: out.appendingPathComponent("seg.nii.gz").path))
        let data = try Data(contentsOf: out.appendingPathComponent("confidence.json"))
        report = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        if let kb = correction {
            let refined = out.appendingPathComponent("refined").path
            let r = try timedRun(voxsam, ["refine", out.appendingPathComponent("confidence.json").path, "--key-box", kb,
                                          "-o", refined + ".nii.gz", "--confidence", refined + ".json", "--quiet"]
                                          + cacheArgs + (threads.map { ["--threads", String($0)] } ?? [])
                                          + (extra.firstIndex(of: "--model").map { Array(extra[$0...($0 + 1)]) } ?? []))
            guard r.status == 0 else { throw VoxSAMError(.internal, "voxsam refine with --key-box \(kb) exited with \(r.status)") }
            refineWalls.append(r.wall)
            refineReport = (try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: refined + ".json"))) as? [String: Any]) ?? [:]
            let warm = try timedRun(voxsam, args + cacheArgs + ["--key-box", kb] + extra)
            guard warm.status == 0 else { throw VoxSAMError(.internal, "the warm run with --key-box \(kb) exited with \(warm.status)") }
            warmWalls.append(warm.wall)
            let d = try Data(contentsOf: out.appendingPathComponent("confidence.json"))
            warmReport = (try JSONSerialization.jsonObject(with: d) as? [String: Any]) ?? [:]
            let same = try SHA256.hex(ofFile: refined + ".nii.gz") == SHA256.hex(ofFile: out.appendingPathComponent("seg.nii.gz").path)
            refineEqual = refineEqual && same
        }
        try? FileManager.default.removeItem(at: out)
    }
    let wall = median(walls)
    let volumeMB = caseVolumeMB(casePath)
    var result: [String: Any] = [
        "case": name,
        "command": "voxsam segment CASE.npz -o seg.nii.gz --confidence confidence.json" + (threads.map { " --threads \($0)" } ?? "")
            + (extra.isEmpty ? "" : " " + extra.joined(separator: " ")),
        "runs": runs,
        "wall_s": round2(wall),
        "wall_s_min": round2(walls.min() ?? 0),
        "wall_s_all": walls.map(round2),
        "cpu_s": round2(median(cpus)),
        "peak_rss_mb": (rss.max() ?? 0).rounded(),
        "objects": (report["objects"] as? [Any])?.count ?? 0,
        "encoder_calls": report["encoder_calls"] ?? 0,
        "threads": report["threads"] ?? NSNull(),
        "threads_used": report["threads_used"] ?? NSNull(),
        "label_map_sha256": labelHashes.count == 1 ? labelHashes.first! : "differs between runs: \(labelHashes.sorted())",
        "load_average_before": loadBefore,
        "load_average_after": loadAverage(),
    ]
    if let kb = correction {
        let warm = median(warmWalls)
        result["correction_key_box"] = kb
        result["warm_wall_s"] = round2(warm)
        result["warm_wall_s_all"] = warmWalls.map(round2)
        result["warm_vs_cold"] = ((warm / wall) * 1000).rounded() / 1000
        result["warm_encoder_calls"] = warmReport["encoder_calls"] ?? NSNull()
        result["warm_cache_hits"] = warmReport["cache_hits"] ?? NSNull()
        let refine = median(refineWalls)
        result["refine_wall_s"] = round2(refine)
        result["refine_wall_s_all"] = refineWalls.map(round2)
        result["refine_vs_cold"] = ((refine / wall) * 1000).rounded() / 1000
        result["refine_encoder_calls"] = refineReport["encoder_calls"] ?? NSNull()
        result["refine_cache_hits"] = refineReport["cache_hits"] ?? NSNull()
        result["refine_label_map_equals_warm_segment"] = refineEqual
    }
    if let v = volumeMB {
        // Issue 16: peak RSS ≤ 400 MB + 2 × the volume's bytes.
        result["volume_mb"] = round2(v)
        result["peak_rss_limit_mb"] = (400 + 2 * v).rounded()
    }
    // The official PyTorch procedure on the machine issue 16 quoted (an Intel Xeon, Emerald Rapids:
    // CT_TSdicom 124 s there, 143 s in ../shared/reference/outputs/run.json; the lower is used)...
    let reference: [String: (wall: Double, calls: Int)] = [
        "3DBox_CT_TSdicom": (124, 116), "3DBox_CT_TSsmall": (204, 160), "3DBox_MR_TSsmall": (120, 97),
        "3DBox_MR_brain1": (7.5, 7), "3DBox_MR_brain2": (3.2, 3),
    ]
    if let r = reference[name] {
        result["reference_wall_s"] = r.wall
        result["reference_encoder_calls"] = r.calls
        result["wall_vs_reference"] = ((wall / r.wall) * 1000).rounded() / 1000
    }
    // ...and, better, on this machine: the JSON lines scripts/pytorch-reference.sh printed here.
    if let file = pytorchResult {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw VoxSAMError(.notFound, "--pytorch: cannot be read", path: file)
        }
        let rows = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        guard let row = rows.first(where: { $0["case"] as? String == name }), let pw = row["wall_s"] as? Double, pw > 0 else {
            throw VoxSAMError(.invalidArgument, "--pytorch: no result for case \(name) (expected the JSON lines of scripts/pytorch-reference.sh)", path: file)
        }
        result["pytorch_same_machine_wall_s"] = pw
        result["pytorch_same_machine_identical_to_reference"] = row["identical_to_reference"] ?? NSNull()
        result["wall_vs_pytorch_same_machine"] = ((wall / pw) * 1000).rounded() / 1000
    }
    return result
}

private func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

/// The image's bytes in a CVPR24 .npz (`imgs`).
private func caseVolumeMB(_ path: String) -> Double? {
    guard let volume = try? VolumeReader.read(path: path) else { return nil }
    return Double(volume.voxels.count * volume.voxels.type.byteCount) / 1_048_576
}

struct ChildRun {
    var status: Int32
    var wall: Double
    var cpu: Double
    var maxRSSMB: Double
}

/// Runs `path args` and waits for it with `wait4`, so that its own CPU time and peak RSS are measured.
func timedRun(_ path: String, _ args: [String]) throws -> ChildRun {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var fileActions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fileActions)
    defer { posix_spawn_file_actions_destroy(&fileActions) }
    let t0 = monotonicSeconds()
    let rc = posix_spawn(&pid, path, &fileActions, nil, argv, environ)
    guard rc == 0 else { throw VoxSAMError(.internal, "cannot start \(path): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let wall = monotonicSeconds() - t0
    let exited = (status & 0x7f) == 0
    let code: Int32 = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return ChildRun(status: code, wall: wall, cpu: cpu, maxRSSMB: Double(usage.ru_maxrss) / 1024)
}

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? ""
}

/// The CPU's vector and matrix flags that decide which kernels can run (from /proc/cpuinfo).
func cpuFlags() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return "" }
    let wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16",
                  "amx_bf16", "amx_int8", "amx_tile"]
    let have = Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
    return wanted.filter(have.contains).joined(separator: " ")
}

func cpuModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return "" }
    return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
}

extension CommandLine {
    /// This executable's path (`/proc/self/exe`), so the benchmark finds the `voxsam` built beside it.
    static var executablePathResolved: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
    }
}
