import CKernels
import VoxSAMCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Precision.CPUSupport {
    /// What this machine's CPU offers (CPUID, read once by the kernels).
    public static var current: Precision.CPUSupport {
        Precision.CPUSupport(int8VNNI: vk_q8_vnni_available() != 0, amxBF16: vk_cpu_has_amx_bf16() != 0)
    }
}

/// The int8 form of an nn.Linear weight for `vk_q8_gemm`: per-output-channel scales, the packed
/// panels and their column sums, made once at model load (gemm_int8.c describes the layout).
final class QuantizedWeight: @unchecked Sendable {
    let packed: UnsafeMutablePointer<Int8>
    let scale: FloatBuffer
    let colsum: UnsafeMutablePointer<Int32>
    let descriptor: vk_q8_weights
    /// Bytes of scratch `vk_q8_gemm` needs per concurrent call.
    let scratchBytes: Int

    /// w: [out][in] row-major.
    init(_ w: UnsafePointer<Float>, outFeatures n: Int, inFeatures k: Int) {
        let bytes = Int(vk_q8_packed_size(Int32(n), Int32(k)))
        var raw: UnsafeMutableRawPointer?
        precondition(posix_memalign(&raw, 64, max(bytes, 64)) == 0 && raw != nil, "out of memory packing an int8 weight")
        packed = raw!.bindMemory(to: Int8.self, capacity: bytes)
        scale = FloatBuffer(count: n)
        colsum = .allocate(capacity: n)
        vk_q8_pack_weights(w, Int32(k), Int32(n), Int32(k), packed, scale.p, colsum)
        descriptor = vk_q8_weights(w: packed, scale: scale.p, colsum: colsum, N: Int32(n), K: Int32(k),
                                   Kp: Int32((k + 3) / 4 * 4))
        scratchBytes = Int(vk_q8_scratch_size(Int32(k)))
    }

    deinit {
        free(packed)
        colsum.deallocate()
    }
}
