import CKernels
import Foundation
import XCTest
@testable import VoxSAMModel

/// The C kernels against naive Swift implementations on seeded random inputs (no model needed).
final class KernelTests: XCTestCase {
    struct RNG {
        var s: UInt64
        mutating func next() -> Float {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(s >> 40) / Double(1 << 24)) * 2 - 1
        }
        mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
    }

    func assertClose(_ a: [Float], _ b: [Float], tol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(1, abs(y))) }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): worst error \(worst)", file: file, line: line)
    }

    func testGELUMatchesErfForm() {
        var r = RNG(s: 1)
        var x = r.array(10_000, scale: 8) + [0, -0, 1e-8, -1e-8, 30, -30, 100, -100]
        let xs = x
        let ref = x.map { v -> Float in let d = Double(v); return Float(0.5 * d * (1 + erf(d / 2.0.squareRoot()))) }
        x.withUnsafeMutableBufferPointer { vk_gelu($0.baseAddress!, 0, $0.count) }
        // A&S 7.1.26 erf: |error| < 1.5e-7, so |GELU error| < 0.5 |x| 1.5e-7 (+ float rounding).
        for (a, (b, v)) in zip(x, zip(ref, xs)) { XCTAssertEqual(a, b, accuracy: 1e-7 * abs(v) + 1e-7 + 1e-6 * abs(b)) }
        for v: Float in [-5, -1, -0.3, 0, 0.2, 1, 3, 10] {
            XCTAssertEqual(Double(vk_erf_ref(v)), erf(Double(v)), accuracy: 2e-7)
            XCTAssertEqual(Double(vk_exp_ref(v)), exp(Double(v)), accuracy: 3e-7 * exp(Double(v)))
        }
    }

    func testLayerNormAndSoftmax() {
        var r = RNG(s: 2)
        for c in [7, 64, 160, 320] {
            let rows = 13
            let x = r.array(rows * c, scale: 3), g = r.array(c), b = r.array(c)
            var y = [Float](repeating: 0, count: rows * c)
            vk_layernorm_rows(x, &y, g, b, Int32(c), 1e-5, 0, rows)
            var ref = y
            for i in 0..<rows {
                let row = x[(i * c)..<((i + 1) * c)].map(Double.init)
                let m = row.reduce(0, +) / Double(c)
                let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(c)
                for j in 0..<c { ref[i * c + j] = Float((row[j] - m) / (v + 1e-5).squareRoot() * Double(g[j]) + Double(b[j])) }
            }
            assertClose(y, ref, tol: 5e-6, "layernorm C=\(c)")
            var s = x
            vk_softmax_rows(&s, Int32(c), Int32(c), 0, rows)
            var sref = x
            for i in 0..<rows {
                let row = x[(i * c)..<((i + 1) * c)].map(Double.init)
                let m = row.max()!
                let e = row.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for j in 0..<c { sref[i * c + j] = Float(e[j] / z) }
            }
            assertClose(s, sref, tol: 1e-6, "softmax n=\(c)")
        }
    }

    func testBiasActEpilogue() {
        var r = RNG(s: 3)
        let rows = 5, n = 37
        let y0 = r.array(rows * n, scale: 4), bias = r.array(n), res = r.array(rows * n)
        for act: Int32 in [0, 1, 2] {
            var y = y0
            vk_bias_act(&y, Int32(n), bias, res, Int32(n), Int32(n), 0, rows, act)
            var ref = y0
            for i in 0..<(rows * n) {
                let v = Double((y0[i] + bias[i % n]) + res[i])
                ref[i] = Float(act == 1 ? 0.5 * v * (1 + erf(v / 2.0.squareRoot())) : act == 2 ? max(0, v) : v)
            }
            assertClose(y, ref, tol: 2e-6, "bias_act \(act)")
        }
    }

    func naiveDepthwise(_ x: [Float], h: Int, w: Int, c: Int, wt: [Float], bias: [Float], stride: Int) -> [Float] {
        let ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1
        var out = [Float](repeating: 0, count: ho * wo * c)
        for y in 0..<ho { for xo in 0..<wo { for ch in 0..<c {
            var s = Double(bias[ch])
            for ky in 0..<3 { for kx in 0..<3 {
                let yi = y * stride + ky - 1, xi = xo * stride + kx - 1
                if yi >= 0 && yi < h && xi >= 0 && xi < w { s += Double(x[(yi * w + xi) * c + ch]) * Double(wt[(ky * 3 + kx) * c + ch]) }
            } }
            out[(y * wo + xo) * c + ch] = Float(s)
        } } }
        return out
    }

    func testDepthwiseConvStride1And2AndBands() {
        var r = RNG(s: 4)
        let h = 11, w = 9, c = 48
        let x = r.array(h * w * c), wt = r.array(9 * c), b = r.array(c)
        for stride in [1, 2] {
            let ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1
            var y = [Float](repeating: 0, count: ho * wo * c)
            vk_dwconv3x3(x, Int32(h), Int32(w), Int32(c), wt, b, &y, Int32(stride), 0, 0, Int32(ho))
            let ref = naiveDepthwise(x, h: h, w: w, c: c, wt: wt, bias: b, stride: stride)
            assertClose(y, ref, tol: 1e-5, "dwconv stride \(stride)")
            // Band form: output rows 2..<4 from an input band holding rows 2*stride-1 ..< 4*stride+1.
            let i0 = 2 * stride - 1, i1 = min(h, 3 * stride + 2)
            let band = Array(x[(i0 * w * c)..<(i1 * w * c)])
            var yb = [Float](repeating: 0, count: 2 * wo * c)
            vk_dwconv3x3_band(band, Int32(i0), Int32(h), Int32(w), Int32(c), wt, b, &yb, 2, Int32(stride), 0, 2, 4)
            XCTAssertEqual(yb, Array(y[(2 * wo * c)..<(4 * wo * c)]), "band stride \(stride)")
        }
    }

    func testIm2colGemmIsConv3x3() {
        var r = RNG(s: 5)
        let h = 6, w = 5, c = 16, co = 8
        let x = r.array(h * w * c), wt = r.array(co * 9 * c)  // [co][ky][kx][c]
        var col = [Float](repeating: 0, count: h * w * 9 * c)
        vk_im2col3x3(x, Int32(h), Int32(w), Int32(c), &col, 0, Int32(h))
        var y = [Float](repeating: 0, count: h * w * co)
        vk_gemm_xwt(col, Int32(9 * c), wt, Int32(9 * c), &y, Int32(co), Int32(h * w), Int32(co), Int32(9 * c), 0)
        var ref = y
        for py in 0..<h { for px in 0..<w { for o in 0..<co {
            var s = 0.0
            for ky in 0..<3 { for kx in 0..<3 {
                let yi = py + ky - 1, xi = px + kx - 1
                guard yi >= 0 && yi < h && xi >= 0 && xi < w else { continue }
                for ch in 0..<c { s += Double(x[(yi * w + xi) * c + ch]) * Double(wt[((o * 3 + ky) * 3 + kx) * c + ch]) }
            } }
            ref[(py * w + px) * co + o] = Float(s)
        } } }
        assertClose(y, ref, tol: 1e-5, "im2col conv")
    }

    /// Window attention with padding (10 x 12 grid, window 7 -> 2 x 2 windows) against a naive version.
    func testWindowAttentionWithPadding() {
        var r = RNG(s: 7)
        let h = 10, w = 12, heads = 3, hd = 32, ws = 7, n = ws * ws, np = (n + 15) / 16 * 16
        let c = heads * hd
        let qkv = r.array(h * w * 3 * c), pad = r.array(3 * c)
        var ab = [Float](repeating: 0, count: heads * n * np)
        for hh in 0..<heads { for i in 0..<n { for j in 0..<n { ab[(hh * n + i) * np + j] = r.next() } } }
        let scale: Float = 0.17677669
        var out = [Float](repeating: .nan, count: h * w * c)
        var scratch = [Float](repeating: 0, count: vk_window_attention_scratch(Int32(ws), Int32(hd), Int32(heads)))
        let nwin = 4
        vk_window_attention(qkv, pad, ab, &out, Int32(h), Int32(w), Int32(heads), Int32(hd), Int32(ws), scale, 0,
                            Int32(nwin), &scratch)
        var ref = [Float](repeating: 0, count: h * w * c)
        for win in 0..<nwin {
            let wy = win / 2, wx = win % 2
            func token(_ i: Int) -> Int? { let y = wy * ws + i / ws, x = wx * ws + i % ws; return y < h && x < w ? y * w + x : nil }
            func vec(_ i: Int, _ hh: Int, _ part: Int) -> ArraySlice<Float> {
                let base = hh * 3 * hd + part * hd
                if let t = token(i) { return qkv[(t * 3 * c + base)..<(t * 3 * c + base + hd)] }
                return pad[base..<(base + hd)]
            }
            for hh in 0..<heads { for i in 0..<n {
                guard let t = token(i) else { continue }
                let q = vec(i, hh, 0)
                var logits = (0..<n).map { j -> Double in
                    Double(zip(q, vec(j, hh, 1)).map { Double($0) * Double($1) }.reduce(0, +)) * Double(scale)
                        + Double(ab[(hh * n + i) * np + j])
                }
                let m = logits.max()!
                logits = logits.map { exp($0 - m) }
                let z = logits.reduce(0, +)
                for d in 0..<hd {
                    var s = 0.0
                    for j in 0..<n { s += logits[j] / z * Double(vec(j, hh, 2)[vec(j, hh, 2).startIndex + d]) }
                    ref[t * c + hh * hd + d] = Float(s)
                }
            } }
        }
        assertClose(out, ref, tol: 2e-5, "window attention")
    }

    func testDecoderAttentionHead() {
        var r = RNG(s: 8)
        let nq = 5, nk = 33, hd = 16, ld = 48
        let q = r.array(nq * ld), k = r.array(nk * ld), v = r.array(nk * ld)
        var out = [Float](repeating: 0, count: nq * ld)
        var scratch = [Float](repeating: 0, count: nk)
        vk_attention_head(q, Int32(ld), k, Int32(ld), v, Int32(ld), &out, Int32(ld), Int32(nk), Int32(hd), 0, Int32(nq), &scratch)
        for i in 0..<nq {
            var s = (0..<nk).map { j in (0..<hd).map { Double(q[i * ld + $0]) * Double(k[j * ld + $0]) }.reduce(0, +) / 4 }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for d in 0..<hd {
                let ref = (0..<nk).map { s[$0] / z * Double(v[$0 * ld + d]) }.reduce(0, +)
                XCTAssertEqual(Double(out[i * ld + d]), ref, accuracy: 1e-5)
            }
        }
    }

    /// README 2.5, transcribed directly; the kernel must agree bit for bit in both regimes.
    func naiveBilinear(_ src: [Float], inH: Int, inW: Int, ld: Int, outH: Int, outW: Int) -> [Float] {
        let small = outH + outW <= 128
        func axis(_ inn: Int, _ out: Int, _ d: Int) -> (Int, Int, Float, Float) {
            if small && inn == out { return (d, d, 1, 0) }
            let scale = Float(inn) / Float(out)
            var s: Float = small ? (Float(d) + 0.5).addingProduct(0, 0) * 0 + scale * 0 : 0
            if small { s = (-0.5 as Float).addingProduct(scale, Float(d) + 0.5) } else { s = scale * (Float(d) + 0.5) - 0.5 }
            s = max(s, 0)
            let i0 = min(Int(s.rounded(.down)), inn - 1)
            let i1 = i0 < inn - 1 ? i0 + 1 : i0
            let l1 = min(max(s - Float(i0), 0), 1)
            return (i0, i1, 1 - l1, l1)
        }
        var out = [Float](repeating: 0, count: outH * outW)
        for y in 0..<outH {
            let (y0, y1, h0, h1) = axis(inH, outH, y)
            for x in 0..<outW {
                let (x0, x1, w0, w1) = axis(inW, outW, x)
                let v00 = src[y0 * ld + x0], v01 = src[y0 * ld + x1], v10 = src[y1 * ld + x0], v11 = src[y1 * ld + x1]
                if small {
                    let w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1
                    out[y * outW + x] = ((v01 * w01).addingProduct(v00, w00).addingProduct(v10, w10)).addingProduct(v11, w11)
                } else {
                    let a = (w1 * v01).addingProduct(w0, v00), b = (w1 * v11).addingProduct(w0, v10)
                    out[y * outW + x] = (h1 * b).addingProduct(h0, a)
                }
            }
        }
        return out
    }

    func testBilinearBothKernelsBitExact() {
        var r = RNG(s: 9)
        let src = r.array(256 * 256, scale: 20)
        for (inH, inW, outH, outW) in [(256, 256, 512, 512), (199, 256, 91, 117), (60, 60, 60, 60), (50, 64, 30, 40),
                                       (64, 40, 64, 55), (10, 12, 300, 7)] {
            var out = [Float](repeating: 0, count: outH * outW)
            vk_bilinear_resize(src, Int32(inH), Int32(inW), 256, &out, Int32(outH), Int32(outW), 0, Int32(outH))
            let ref = naiveBilinear(src, inH: inH, inW: inW, ld: 256, outH: outH, outW: outW)
            XCTAssertEqual(out.map(\.bitPattern), ref.map(\.bitPattern), "\(inH)x\(inW) -> \(outH)x\(outW)")
        }
        // Threshold: sigmoid(x) > 0.5 in float  <=>  x > 1.5 * 2^-24.
        let t = Postprocessor.logitThreshold
        XCTAssertEqual(t, 8.940697e-08)
        var u = [UInt8](repeating: 9, count: 3)
        vk_threshold_u8([t, t.nextUp, -1], &u, t, 1, 0, 3)
        XCTAssertEqual(u, [0, 1, 0])
    }

    func testAreaResizePaths() {
        // Same size: unchanged.
        let img = (0..<(6 * 5)).map { UInt8($0 * 7 % 256) }
        XCTAssertEqual(AreaResize.resize(img, height: 6, width: 5, newHeight: 6, newWidth: 5), img)
        // 2 x 2 blocks round half up.
        let b: [UInt8] = [1, 2, 0, 0, 3, 4, 0, 1]  // 2 x 4 -> 1 x 2
        XCTAssertEqual(AreaResize.resize(b, height: 2, width: 4, newHeight: 1, newWidth: 2), [3, 0])  // (10+2)>>2, (1+2)>>2
        // 3 x 3 blocks: round half even of sum / 9.
        var c = [UInt8](repeating: 0, count: 9)
        c[0] = 40  // mean 4.44 -> 4
        XCTAssertEqual(AreaResize.resize(c, height: 3, width: 3, newHeight: 1, newWidth: 1), [4])
        // Constant images stay constant on every path (fractional down, upscale).
        let k = [UInt8](repeating: 77, count: 13 * 17)
        for (nh, nw) in [(10, 13), (5, 7), (26, 34), (20, 29)] {
            XCTAssertEqual(Set(AreaResize.resize(k, height: 13, width: 17, newHeight: nh, newWidth: nw)), [77], "\(nh)x\(nw)")
        }
        // Fractional downscale 3 -> 2 of a ramp: weights (1, 0.5) / 1.5 and (0.5, 1) / 1.5.
        let ramp: [UInt8] = [0, 30, 90]
        XCTAssertEqual(AreaResize.resize(ramp, height: 1, width: 3, newHeight: 1, newWidth: 2), [10, 70])
        // Integer upscale x2: nearest copies only.
        XCTAssertEqual(AreaResize.resize([0, 100], height: 1, width: 2, newHeight: 1, newWidth: 4), [0, 0, 100, 100])
        // Fractional upscale 2 -> 3: the middle pixel is the one blend (c0 = c1 = 1024).
        XCTAssertEqual(AreaResize.resize([0, 100], height: 1, width: 2, newHeight: 1, newWidth: 3), [0, 50, 100])
    }

    func testOpenBLASCoreIsNotPrescottWhenConfigured() {
        let env = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let name = OpenBLASRuntime.coreName()
        print("OpenBLAS core \(name), env \(env ?? "unset"), recommended \(OpenBLASRuntime.recommendedCoreType ?? "none"), kernels \(OpenBLASRuntime.kernelISA())")
        if env != nil { XCTAssertNotEqual(name.lowercased(), "prescott") }
    }
}
