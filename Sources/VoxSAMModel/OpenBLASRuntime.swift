import Foundation
import CKernels
import COpenBLAS
import VoxSAMCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide OpenBLAS settings.
///
/// OpenBLAS 0.3.21 picks its kernels when the library is loaded and does not recognise recent AMD
/// CPUs: without `OPENBLAS_CORETYPE` it silently runs the generic Prescott kernels (~5x slower).
/// The variable is read only at load time, and the library is loaded before `main` runs, so the only
/// reliable fix from inside the program is to set it and re-execute the process once.
public enum OpenBLASRuntime {
    /// Environment marker that prevents a second re-exec.
    public static let reexecMarker = "VOXSAM_OPENBLAS_REEXEC"

    /// The core type this CPU should use ("SkylakeX", "Haswell") or nil.
    public static var recommendedCoreType: String? {
        guard let p = vk_recommended_openblas_coretype() else { return nil }
        return String(cString: p)
    }

    /// If `OPENBLAS_CORETYPE` is unset and this CPU needs it: set it and `execv("/proc/self/exe")`
    /// with the same arguments (once; guarded by `VOXSAM_OPENBLAS_REEXEC`). Returns normally when
    /// nothing needs doing or when the re-exec is impossible (then OpenBLAS runs with what it chose).
    public static func ensureCoreTypeOrReexec() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = recommendedCoreType else { return }
        guard getenv(reexecMarker) == nil else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(reexecMarker, "1", 1)
        #if os(Linux)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", cargs)
        // execv only returns on failure: continue with the kernels OpenBLAS picked.
        for p in cargs { free(p) }
        #endif
    }

    /// OpenBLAS's name for the kernels in use, e.g. "SkylakeX" (or "Prescott" when misdetected).
    public static func coreName() -> String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The ISA of VoxSAM's own kernels ("avx512f", "avx2", "default").
    public static func kernelISA() -> String { String(cString: vk_kernel_isa()) }

    /// The thread count for a run, decided once at start-up by every command that runs the model and
    /// passed to it (`LiteMedSAM(…, threads:)`): `option` (`--threads`), else `VOXSAM_THREADS`, else
    /// every core this process may use.
    public static func threadCount(option: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        var n = ProcessInfo.processInfo.activeProcessorCount
        if let e = environment["VOXSAM_THREADS"], !e.isEmpty {
            guard let v = Int(e), v >= 1 else { throw VoxSAMError(.invalidArgument, "VOXSAM_THREADS=\(e) is not a thread count (1 or more)") }
            n = v
        }
        if let o = option {
            guard o >= 1 else { throw VoxSAMError(.invalidArgument, "--threads \(o) is not a thread count (1 or more)") }
            n = o
        }
        return max(1, n)
    }

    /// OpenBLAS's own thread pool is kept at one thread: the model splits every GEMM into row blocks
    /// over its own workers (concurrent single-threaded OpenBLAS calls are safe, and row blocks give
    /// the same bits as one call). OpenBLAS's workers would spin for ~0.1 s after every call and then
    /// compete with the model's workers for the cores. Called when a model is made; idempotent.
    static func keepBLASSingleThreaded() {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }
}
