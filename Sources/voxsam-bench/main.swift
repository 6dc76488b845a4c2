// voxsam-bench — LiteMedSAM speed on this machine.
//
//   swift run -c release voxsam-bench [--model PATH] [--runs N] [--threads T] [--slice FILE.bin]
//   swift run -c release voxsam-bench --segment ../shared/reference/cases/imgs/3DBox_CT_TSdicom.npz [--runs N]
//       (times the `voxsam segment` process built beside it — the path users run —; median of N ≥ 5;
//       arguments after `--` go to `voxsam segment`; `--pytorch RESULT.json`: the ratio to the PyTorch
//       procedure timed on this machine by scripts/pytorch-reference.sh; `--correction NAME:SLICE:x0,y0,x1,y1`:
//       each run cold with --cache, then again with that key box from the warm cache)
//   swift run -c release voxsam-bench --decoder-runs 40 [--threads 1]   (decoder only: a fresh
//       embedding per call, then a second prompt on the same embedding; VOXSAM_PROFILE=cpu adds
//       per-stage CPU time of the calling thread, complete with --threads 1)
//
// Prints one JSON object: encoder and prompt-encoder+decoder wall time per slice (median of N
// runs after a warm-up), effective encoder GFLOP/s (37.47 GMAC = 74.94 GFLOP per slice), threads,
// OpenBLAS core name and peak RSS.
import Foundation
import VoxSAMCore
import VoxSAMModel
#if canImport(Glibc)
import Glibc
#endif

OpenBLASRuntime.ensureCoreTypeOrReexec()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(("voxsam-bench: " + message + "\n").data(using: .utf8)!)
    exit(2)
}

var modelPath: String?
var runs = 7
var threadsOption: Int?
var slicePath: String?
var segmentCase: String?
var decoderRuns = 0
var precision = Precision.fp32
var segmentExtra: [String] = []
var pytorchResult: String?
var correction: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--model": modelPath = args.popFirst()
    case "--runs": runs = Int(args.popFirst() ?? "") ?? runs
    case "--threads": threadsOption = Int(args.popFirst() ?? "") ?? 0
    case "--slice": slicePath = args.popFirst()
    case "--segment": segmentCase = args.popFirst()
    case "--pytorch": pytorchResult = args.popFirst()
    case "--correction": correction = args.popFirst()
    case "--": segmentExtra = Array(args); args = []
    case "--decoder-runs": decoderRuns = Int(args.popFirst() ?? "") ?? 0
    case "--precision": do { precision = try Precision.parse(args.popFirst() ?? "") } catch { fail("\(error)") }
    case "-h", "--help":
        print("usage: voxsam-bench [--model PATH] [--runs N] [--threads T] [--slice raw512x512float32.bin] [--decoder-runs N] [--precision fp32|int8|auto]\n       voxsam-bench --segment CASE.npz [--runs N] [--threads T] [--pytorch RESULT.json] [--correction NAME:SLICE:x0,y0,x1,y1] [-- SEGMENT-OPTIONS]")
        exit(0)
    default: fail("unknown argument \(a)")
    }
}
runs = max(runs, 5)

if let casePath = segmentCase {
    do {
        var out = try runSegmentBenchmark(casePath: casePath, runs: runs, threads: threadsOption,
                                          extra: (modelPath.map { ["--model", $0] } ?? []) + segmentExtra,
                                          pytorchResult: pytorchResult, correction: correction)
        out["openblas_core"] = OpenBLASRuntime.coreName()
        out["kernel_isa"] = OpenBLASRuntime.kernelISA()
        out["cpu"] = cpuModel()
        out["cpu_flags"] = cpuFlags()
        let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        exit(0)
    } catch { fail("\(error)") }
}
// The same thread count a `voxsam` command would use (`--threads`, else VOXSAM_THREADS, else every core).
let threads: Int
do { threads = try OpenBLASRuntime.threadCount(option: threadsOption) } catch { fail("\(error)") }

let home = NSHomeDirectory()
let candidates = [modelPath, ProcessInfo.processInfo.environment["VOXSAM_MODEL"],
                  ProcessInfo.processInfo.environment["VOXSAM_MODEL_DIR"].map { $0 + "/lite_medsam.pth" },
                  home + "/.cache/voxsam/models/lite_medsam.pth", "/tmp/model/lite_medsam.pth"].compactMap { $0 }
guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
    fail("no checkpoint found; pass --model PATH (tried \(candidates.joined(separator: ", ")))")
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}
func peakRSSMB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}
/// Process CPU time (user + system) in ms: with other load on the machine, CPU time per slice at
/// --threads 1 is a steadier speed measure than wall time.
func cpuMS() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3
}
func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// A 512 x 512 CT slice: the reference fixture if present, else a deterministic synthetic image.
let h = 512, w = 512
var slice = [UInt8](repeating: 0, count: h * w)
let defaultSlice = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/reference/golden/raw_slice_uint8.bin").path
if let data = FileManager.default.contents(atPath: slicePath ?? defaultSlice), data.count == h * w * 4 {
    data.withUnsafeBytes { b in
        let f = b.bindMemory(to: Float.self)
        for i in 0..<(h * w) { slice[i] = UInt8(max(0, min(255, f[i]))) }
    }
} else {
    var s: UInt32 = 2024
    for y in 0..<h {
        for x in 0..<w {
            s = s &* 1_664_525 &+ 1_013_904_223
            let r = Double((x - 256) * (x - 256) + (y - 256) * (y - 256)).squareRoot()
            slice[y * w + x] = UInt8(max(0, min(255, (r < 200 ? 120.0 : 10.0) + Double(s >> 28))))
        }
    }
}

let rssBefore = peakRSSMB()
let tLoad = now()
let model: LiteMedSAM
do { model = try LiteMedSAM(checkpointPath: path, threads: threads, precision: precision) } catch { fail("\(error)") }
let loadMS = now() - tLoad

let pre = Preprocessor()
let box = pre.box256(fromOriginal: SIMD4(107, 196, 269, 374), height: h, width: w)

// Warm-up (allocates the workspaces, wakes the BLAS threads).
var tp = now()
let input = pre(slice, height: h, width: w)
let preprocessMS = now() - tp
var emb = model.encode(input)
var pred = model.decode(emb, box256: box)
tp = now()
let mask = Postprocessor.mask(pred, embedding: emb)
let postprocessMS = now() - tp

if decoderRuns > 0 {
    // Decoder only: N calls on fresh copies of one embedding (first object on a slice) and N on one
    // embedding (further objects on the same slice), interleaved so that load changes hit both alike.
    let nchw = emb.nchw
    var fresh: [Double] = [], again: [Double] = [], freshCPU: [Double] = []
    for _ in 0..<decoderRuns {
        let e = ImageEmbedding(nchw: nchw, channels: emb.channels, size: emb.size, newHeight: emb.newHeight,
                               newWidth: emb.newWidth, height: emb.height, width: emb.width)
        let c0 = cpuMS(), t0 = now()
        _ = model.decode(e, box256: box)
        let c1 = cpuMS(), t1 = now()
        _ = model.decode(e, box256: box)
        let t2 = now()
        fresh.append(t1 - t0)
        freshCPU.append(c1 - c0)
        again.append(t2 - t1)
    }
    flushProfilingTotals()
    let r: [String: Any] = [
        "decoder_ms": (median(fresh) * 100).rounded() / 100,
        "decoder_ms_min": ((fresh.min() ?? 0) * 100).rounded() / 100,
        "decoder_cpu_ms": (median(freshCPU) * 10).rounded() / 10,
        "decoder_same_embedding_ms": (median(again) * 100).rounded() / 100,
        "decoder_same_embedding_ms_min": ((again.min() ?? 0) * 100).rounded() / 100,
        "runs": decoderRuns, "threads": model.threads, "openblas_core": OpenBLASRuntime.coreName(),
        "load_average": loadAverage(), "cpu_flags": cpuFlags(),
    ]
    let json = try! JSONSerialization.data(withJSONObject: r, options: [.prettyPrinted, .sortedKeys])
    print(String(data: json, encoding: .utf8)!)
    exit(0)
}

var enc: [Double] = [], dec: [Double] = [], encCPU: [Double] = [], decCPU: [Double] = []
for _ in 0..<runs {
    let c0 = cpuMS(), t0 = now()
    emb = model.encode(input)
    let c1 = cpuMS(), t1 = now()
    pred = model.decode(emb, box256: box)
    let c2 = cpuMS(), t2 = now()
    enc.append(t1 - t0)
    dec.append(t2 - t1)
    encCPU.append(c1 - c0)
    decCPU.append(c2 - c1)
}
let encMS = median(enc), decMS = median(dec)
let gflop = 74.94
let result: [String: Any] = [
    "model": path,
    "load_ms": (loadMS * 10).rounded() / 10,
    "runs": runs,
    "threads": model.threads,
    "precision": model.precision.rawValue,
    "openblas_core": OpenBLASRuntime.coreName(),
    "openblas_coretype_env": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "",
    "kernel_isa": OpenBLASRuntime.kernelISA(),
    "encoder_ms": (encMS * 10).rounded() / 10,
    "encoder_ms_min": ((enc.min() ?? 0) * 10).rounded() / 10,
    "encoder_ms_all": enc.map { ($0 * 10).rounded() / 10 },
    "encoder_gflops": (gflop / (encMS / 1000) * 10).rounded() / 10,
    "encoder_vs_pytorch_1167ms": ((encMS / 1167) * 1000).rounded() / 1000,
    "encoder_cpu_ms": (median(encCPU) * 10).rounded() / 10,
    "decoder_cpu_ms": (median(decCPU) * 10).rounded() / 10,
    "load_average": loadAverage(), "cpu_flags": cpuFlags(),
    "decoder_ms": (decMS * 100).rounded() / 100,
    "decoder_ms_min": ((dec.min() ?? 0) * 100).rounded() / 100,
    "decoder_vs_pytorch_62ms": ((decMS / 62) * 1000).rounded() / 1000,
    "preprocess_ms": (preprocessMS * 100).rounded() / 100,
    "postprocess_ms": (postprocessMS * 100).rounded() / 100,
    "mask_foreground_px": mask.filter { $0 > 0 }.count,
    "iou_pred": Double(pred.iou[0]),
    "peak_rss_mb_before_model": (rssBefore * 10).rounded() / 10,
    "peak_rss_mb": (peakRSSMB() * 10).rounded() / 10,
]
let json = try! JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
print(String(data: json, encoding: .utf8)!)
