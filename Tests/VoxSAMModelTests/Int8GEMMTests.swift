import CKernels
import Foundation
import XCTest
@testable import VoxSAMModel

/// The int8 GEMM kernels (gemm_int8.c) against exact integer references and an fp64 GEMM, on seeded
/// random data (no model needed).
final class Int8GEMMTests: XCTestCase {
    struct RNG {
        var s: UInt64
        mutating func next() -> Float {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(s >> 40) / Double(1 << 24)) * 2 - 1
        }
        mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(min(255, Int((next() + 1) * 128))) } }
    }

    /// A packed weight with its storage (kept alive by the arrays).
    struct Packed {
        let n: Int, k: Int, kp: Int
        var q: [Int8]
        var scale: [Float]
        var colsum: [Int32]

        init(_ w: [Float], n: Int, k: Int) {
            self.n = n
            self.k = k
            kp = (k + 3) / 4 * 4
            q = [Int8](repeating: 99, count: Int(vk_q8_packed_size(Int32(n), Int32(k))))
            scale = [Float](repeating: 0, count: n)
            colsum = [Int32](repeating: 0, count: n)
            vk_q8_pack_weights(w, Int32(k), Int32(n), Int32(k), &q, &scale, &colsum)
        }

        /// The quantized weight q[o][i] read back from the panel layout.
        func weight(_ o: Int, _ i: Int) -> Int { Int(q[(o / 16) * 16 * kp + (i / 4) * 64 + (o % 16) * 4 + i % 4]) }

        func with<R>(_ body: (UnsafePointer<vk_q8_weights>) -> R) -> R {
            q.withUnsafeBufferPointer { qp in
                scale.withUnsafeBufferPointer { sp in
                    colsum.withUnsafeBufferPointer { cp in
                        var w = vk_q8_weights(w: qp.baseAddress!, scale: sp.baseAddress!, colsum: cp.baseAddress!,
                                              N: Int32(n), K: Int32(k), Kp: Int32(kp))
                        return withUnsafePointer(to: &w) { body($0) }
                    }
                }
            }
        }
    }

    /// (M, N, K): odd sizes for every tail (rows < 8, columns < 16 and between 16 and 32, K % 4 != 0),
    /// plus TinyViT-like ones.
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (3, 5, 2), (7, 17, 5), (8, 16, 4), (9, 33, 13), (37, 45, 23),
                                           (70, 100, 131), (65, 64, 64), (130, 96, 257), (11, 256, 2304)]

    static var paths: [Int32] {
        vk_q8_vnni_available() != 0 ? [Int32(VK_Q8_VNNI), Int32(VK_Q8_PORTABLE)] : [Int32(VK_Q8_PORTABLE)]
    }

    func testWeightPackingIsPerChannelSymmetric() {
        var r = RNG(s: 11)
        for (_, n, k) in Self.shapes {
            var w = r.array(n * k, scale: 0.3)
            if n > 2 { for i in 0..<k { w[2 * k + i] = 0 } }  // an all-zero channel
            let p = Packed(w, n: n, k: k)
            for o in 0..<n {
                let m = (0..<k).map { abs(w[o * k + $0]) }.max()!
                XCTAssertEqual(p.scale[o], m > 0 ? m / 127 : 1, "scale n=\(n) k=\(k) o=\(o)")
                var sum = 0
                for i in 0..<k {
                    let q = p.weight(o, i)
                    XCTAssertEqual(q, Int((w[o * k + i] * (1 / p.scale[o])).rounded(.toNearestOrEven)), "q[\(o)][\(i)]")
                    XCTAssertLessThanOrEqual(abs(q), 127)
                    sum += q
                }
                XCTAssertEqual(Int(p.colsum[o]), sum)
                for i in k..<p.kp { XCTAssertEqual(p.weight(o, i), 0, "K padding") }
            }
            for o in n..<((n + 15) / 16 * 16) { for i in 0..<p.kp { XCTAssertEqual(p.weight(o, i), 0, "N padding") } }
        }
    }

    func testQuantizeRowsRoundTrip() {
        var r = RNG(s: 12)
        for k in [1, 3, 16, 37, 160] {
            let m = 9
            var x = r.array(m * k, scale: 4)
            for i in 0..<k { x[i] = abs(x[i]) + 0.5 }          // row 0 all positive
            for i in 0..<k { x[k + i] = 0 }                    // row 1 all zero
            for i in 0..<k { x[2 * k + i] = 0.17 * x[2 * k + i] - 0.1 }  // row 2 GELU-like skew
            let kp = (k + 3) / 4 * 4
            for symmetric: Int32 in [0, 1] {
                var q = [UInt8](repeating: 7, count: m * kp), s = [Float](repeating: 0, count: m), z = [Int32](repeating: 0, count: m)
                vk_q8_quantize_rows(x, Int32(k), Int32(k), Int32(m), &q, Int32(kp), &s, &z, symmetric)
                for row in 0..<m {
                    if symmetric != 0 { XCTAssertEqual(z[row], 128) }
                    for i in 0..<k {
                        let back = s[row] * Float(Int(q[row * kp + i]) - Int(z[row]))
                        XCTAssertEqual(back, x[row * k + i], accuracy: s[row] * 0.5001, "sym \(symmetric) row \(row) k \(i)")
                        if x[row * k + i] == 0 { XCTAssertEqual(Int32(q[row * kp + i]), z[row], "0 is exact") }
                    }
                    for i in k..<kp { XCTAssertEqual(Int32(q[row * kp + i]), z[row], "K padding holds the zero point") }
                }
            }
        }
    }

    /// The int32 sums are exact on every path: compared with Int sums of the read-back weights.
    func testIntegerCoreIsExact() {
        var r = RNG(s: 13)
        for (m, n, k) in Self.shapes {
            let p = Packed(r.array(n * k), n: n, k: k)
            // Extreme bytes too: 0 and 255 against +-127 weights.
            var a = r.bytes(m * p.kp)
            if m > 1 { for i in 0..<p.kp { a[i] = 255; a[p.kp + i] = 0 } }
            var ref = [Int](repeating: 0, count: m * n)
            for i in 0..<m { for o in 0..<n { var s = 0; for t in 0..<p.kp { s += Int(a[i * p.kp + t]) * p.weight(o, t) }; ref[i * n + o] = s } }
            for path in Self.paths {
                var c = [Int32](repeating: -1, count: m * n)
                p.with { vk_q8_gemm_s32(a, Int32(p.kp), $0, &c, Int32(n), Int32(m), path) }
                let bad = zip(c, ref).filter { Int($0.0) != $0.1 }.count
                XCTAssertEqual(bad, 0, "path \(path) M=\(m) N=\(n) K=\(k): \(bad) wrong sums")
            }
        }
    }

    /// VNNI and portable paths give bit-identical floats (same integer sums, same dequantization
    /// rounding, same epilogue), with bias, residual and GELU, strided rows.
    func testVNNIAndPortablePathsAreBitIdentical() throws {
        guard vk_q8_vnni_available() != 0 else { throw XCTSkip("this CPU has no AVX-512 VNNI: only the portable path runs") }
        var r = RNG(s: 14)
        for (m, n, k) in Self.shapes {
            let p = Packed(r.array(n * k, scale: 0.2), n: n, k: k)
            let ldx = k + 3, ldy = n + 5
            let x = r.array(m * ldx, scale: 2), bias = r.array(n), res = r.array(m * ldy)
            var scratch = [UInt8](repeating: 0, count: Int(vk_q8_scratch_size(Int32(k))))
            for symmetric: Int32 in [0, 1] {
                var outs: [[Float]] = []
                for path in [Int32(VK_Q8_VNNI), Int32(VK_Q8_PORTABLE)] {
                    var y = [Float](repeating: .nan, count: m * ldy)
                    p.with { vk_q8_gemm(x, Int32(ldx), $0, &y, Int32(ldy), Int32(m), bias, res, Int32(ldy), Int32(VK_ACT_GELU), symmetric, &scratch, path) }
                    outs.append(y)
                }
                let differ = zip(outs[0], outs[1]).enumerated().filter { i, v in i % ldy < n && v.0.bitPattern != v.1.bitPattern }.count
                XCTAssertEqual(differ, 0, "M=\(m) N=\(n) K=\(k) symmetric=\(symmetric)")
                let untouched = outs[0].enumerated().filter { $0.offset % ldy >= n }.allSatisfy { $0.element.isNaN }
                XCTAssertTrue(untouched, "columns past N are not written")
            }
        }
    }

    /// Dequantized result vs an fp64 GEMM of the unquantized operands, per element within the bound of
    /// the two rounding errors: x = sx (qx - zx) + ex, |ex| <= sx / 2; w = sw qw + ew, |ew| <= sw / 2, so
    /// |y - ref| <= sum_k (|ex| |w| + |x| |ew| + |ex| |ew|) <= sum_k (sx/2 |w_k| + sw/2 |x_k| + sx sw / 4),
    /// plus fp32 rounding of the int32 -> float conversion and products (1e-6 relative to sum |x||w|).
    func testDequantizedResultWithinQuantizationBound() {
        var r = RNG(s: 15)
        for (m, n, k) in Self.shapes {
            let w = r.array(n * k, scale: 0.1)
            // GELU-like skewed activations for half of the rows.
            var x = r.array(m * k, scale: 3)
            for i in 0..<(m / 2 * k) { x[i] = max(x[i], -0.17) }
            let p = Packed(w, n: n, k: k)
            var scratch = [UInt8](repeating: 0, count: Int(vk_q8_scratch_size(Int32(k))))
            for symmetric: Int32 in [0, 1] {
                var y = [Float](repeating: 0, count: m * n)
                p.with { vk_q8_gemm(x, Int32(k), $0, &y, Int32(n), Int32(m), nil, nil, 0, Int32(VK_ACT_NONE), symmetric, &scratch, Int32(VK_Q8_AUTO)) }
                var q = [UInt8](repeating: 0, count: m * p.kp), sx = [Float](repeating: 0, count: m), zx = [Int32](repeating: 0, count: m)
                vk_q8_quantize_rows(x, Int32(k), Int32(k), Int32(m), &q, Int32(p.kp), &sx, &zx, symmetric)
                var worst = 0.0
                for i in 0..<m {
                    for o in 0..<n {
                        var ref = 0.0, bound = 0.0, mag = 0.0
                        for t in 0..<k {
                            let xv = Double(x[i * k + t]), wv = Double(w[o * k + t])
                            ref += xv * wv
                            mag += abs(xv * wv)
                            bound += Double(sx[i]) / 2 * abs(wv) + Double(p.scale[o]) / 2 * abs(xv) + Double(sx[i] * p.scale[o]) / 4
                        }
                        let err = abs(Double(y[i * n + o]) - ref)
                        worst = max(worst, err / (bound + 1e-6 * mag + 1e-30))
                        XCTAssertLessThanOrEqual(err, bound + 1e-6 * mag, "M=\(m) N=\(n) K=\(k) sym=\(symmetric) [\(i)][\(o)]")
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1)
            }
        }
    }

    /// Speed of vk_q8_gemm (one thread) against cblas_sgemm on the TinyViT encoder's GEMM shapes, in
    /// blocks of 512 rows as the encoder calls them. Prints only; runs with VOXSAM_BENCH_INT8=1.
    func testMicroBenchmarkTinyViTShapes() throws {
        guard ProcessInfo.processInfo.environment["VOXSAM_BENCH_INT8"] == "1" else {
            print("not run (a measurement, not a check): set VOXSAM_BENCH_INT8=1 to time the int8 GEMM against cblas_sgemm"); return
        }
        // (rows, in, out) of the encoder's Linear layers for a 256 x 256 slice (rows capped at 16384).
        let shapes: [(String, Int, Int, Int)] = [
            ("mbconv.conv1", 16384, 64, 256), ("mbconv.conv3", 16384, 256, 64), ("merge0.conv1", 16384, 64, 128),
            ("l1.qkv", 16384, 128, 384), ("l1.fc1", 16384, 128, 512), ("l1.fc2", 16384, 512, 128),
            ("l2.qkv", 4096, 160, 480), ("l2.fc1", 4096, 160, 640), ("l2.fc2", 4096, 640, 160),
            ("l3.qkv", 4096, 320, 960), ("l3.fc1", 4096, 320, 1280), ("l3.fc2", 4096, 1280, 320),
            ("neck0", 4096, 320, 256), ("neck2 (im2col)", 4096, 2304, 256),
        ]
        var r = RNG(s: 16)
        OpenBLASRuntime.keepBLASSingleThreaded()
        do {
            for (name, m, k, n) in shapes {
                let w = r.array(n * k, scale: 0.1), x = r.array(m * k)
                let p = Packed(w, n: n, k: k)
                var y = [Float](repeating: 0, count: m * n)
                var scratch = [UInt8](repeating: 0, count: Int(vk_q8_scratch_size(Int32(k))))
                func time(_ body: () -> Void) -> Double {
                    var best = Double.infinity
                    for _ in 0..<5 {
                        let t = DispatchTime.now().uptimeNanoseconds
                        body()
                        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) * 1e-9)
                    }
                    return best
                }
                let tq = time {
                    p.with { pw in
                        x.withUnsafeBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer { yp in
                                for r0 in stride(from: 0, to: m, by: 512) {
                                    vk_q8_gemm(xp.baseAddress! + r0 * k, Int32(k), pw, yp.baseAddress! + r0 * n, Int32(n),
                                               Int32(min(512, m - r0)), nil, nil, 0, 0, 0, &scratch, Int32(VK_Q8_AUTO))
                                }
                            }
                        }
                    }
                }
                let tf = time {
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            for r0 in stride(from: 0, to: m, by: 512) {
                                vk_gemm_xwt(xp.baseAddress! + r0 * k, Int32(k), w, Int32(k), yp.baseAddress! + r0 * n, Int32(n),
                                            Int32(min(512, m - r0)), Int32(n), Int32(k), 0)
                            }
                        }
                    }
                }
                let ops = 2.0 * Double(m * n * k)
                print(String(format: "int8 GEMM %-15@ M %5d K %4d N %4d: int8 %6.1f GOP/s, sgemm %6.1f GFLOP/s, x%.2f",
                             name as NSString, m, k, n, ops / tq * 1e-9, ops / tf * 1e-9, tf / tq))
            }
        }
    }
}
