import CKernels
import Foundation
import XCTest
@testable import VoxSAMModel

/// The mask decoder's own kernels (few-row GEMM, folded cross attention, fused epilogues) against
/// naive double-precision versions, and the per-embedding reuse of the decoder's prompt-independent
/// inputs.
final class DecoderKernelTests: XCTestCase {
    typealias RNG = KernelTests.RNG

    func assertClose(_ a: [Float], _ b: [Double], tol: Double, _ what: String, file: StaticString = #filePath,
                     line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst = 0.0
        for (x, y) in zip(a, b) { worst = max(worst, abs(Double(x) - y) / max(1, abs(y))) }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): worst error \(worst)", file: file, line: line)
    }

    func gelu(_ v: Double) -> Double { 0.5 * v * (1 + erf(v / 2.0.squareRoot())) }

    func testFewRowsGEMM() {
        var r = RNG(s: 11)
        for (m, n, k) in [(1, 4, 256), (7, 256, 256), (7, 48, 37), (9, 2048, 40), (16, 33, 128)] {
            let ldx = k + 3, ldw = n + 5, ldy = n + 2
            let x = r.array(m * ldx), wt = r.array(k * ldw), y0 = r.array(m * ldy)
            for beta: Float in [0, 1] {
                var y = y0
                vk_gemm_few_rows(x, Int32(ldx), wt, Int32(ldw), &y, Int32(ldy), Int32(m), Int32(n), Int32(k), beta)
                var got = [Float](), ref = [Double]()
                for i in 0..<m {
                    for j in 0..<n {
                        var s = beta == 0 ? 0.0 : Double(y0[i * ldy + j])
                        for t in 0..<k { s += Double(x[i * ldx + t]) * Double(wt[t * ldw + j]) }
                        got.append(y[i * ldy + j])
                        ref.append(s)
                    }
                    // Padding columns of y are untouched.
                    for j in n..<ldy { XCTAssertEqual(y[i * ldy + j], y0[i * ldy + j]) }
                }
                assertClose(got, ref, tol: 2e-5, "few-rows GEMM \(m)x\(n)x\(k) beta \(beta)")
            }
        }
    }

    func testFoldAndUnfoldHeads() {
        var r = RNG(s: 12)
        let nt = 7, heads = 8, hd = 16, c = 40, lda = heads * hd + 3
        let a = r.array(nt * lda), w = r.array(heads * hd * c), b = r.array(heads * hd)
        var out = [Float](repeating: 0, count: heads * nt * c)
        vk_fold_heads(a, Int32(lda), w, Int32(c), Int32(nt), Int32(heads), Int32(hd), 0.25, &out)
        var ref = [Double](repeating: 0, count: heads * nt * c)
        for h in 0..<heads { for j in 0..<nt { for cc in 0..<c {
            ref[(h * nt + j) * c + cc] = (0..<hd).map { Double(a[j * lda + h * hd + $0]) * 0.25 * Double(w[(h * hd + $0) * c + cc]) }.reduce(0, +)
        } } }
        assertClose(out, ref, tol: 1e-5, "fold heads")
        var cb = [Float](repeating: 0, count: heads * nt)
        vk_fold_heads_bias(a, Int32(lda), b, Int32(nt), Int32(heads), Int32(hd), 0.25, &cb)
        let cref = (0..<(heads * nt)).map { g -> Double in
            let h = g / nt, j = g % nt
            return (0..<hd).map { Double(a[j * lda + h * hd + $0]) * 0.25 * Double(b[h * hd + $0]) }.reduce(0, +)
        }
        assertClose(cb, cref, tol: 1e-5, "fold heads bias")
        // unfold: o[j][h*hd + t] = sum_c u[h*nt + j][c] w[h*hd + t][c] + bias
        let u = r.array(heads * nt * c), ldo = heads * hd + 1
        var o = [Float](repeating: 0, count: nt * ldo)
        vk_unfold_heads(u, w, b, Int32(c), Int32(nt), Int32(heads), Int32(hd), &o, Int32(ldo))
        var got = [Float](), oref = [Double]()
        for j in 0..<nt { for h in 0..<heads { for t in 0..<hd {
            got.append(o[j * ldo + h * hd + t])
            oref.append((0..<c).map { Double(u[(h * nt + j) * c + $0]) * Double(w[(h * hd + t) * c + $0]) }.reduce(0, +) + Double(b[h * hd + t]))
        } } }
        assertClose(got, oref, tol: 1e-5, "unfold heads")
    }

    func testHeadSoftmaxColumns() {
        var r = RNG(s: 13)
        let heads = 3, nt = 5, n = 300, ld = 301
        let s0 = r.array(heads * nt * ld, scale: 6), add = r.array(heads * nt, scale: 2)
        var s = s0
        // Two column ranges, as two threads would split them.
        vk_head_softmax_cols(&s, ld, add, Int32(heads), Int32(nt), 0, 123)
        vk_head_softmax_cols(&s, ld, add, Int32(heads), Int32(nt), 123, n)
        var got = [Float](), ref = [Double]()
        for h in 0..<heads { for i in 0..<n {
            let v = (0..<nt).map { Double(s0[(h * nt + $0) * ld + i]) + Double(add[h * nt + $0]) }
            let m = v.max()!, e = v.map { exp($0 - m) }, z = e.reduce(0, +)
            for j in 0..<nt { got.append(s[(h * nt + j) * ld + i]); ref.append(e[j] / z) }
        } }
        assertClose(got, ref, tol: 1e-6, "head softmax")
        for h in 0..<(heads * nt) { XCTAssertEqual(s[h * ld + n], s0[h * ld + n], "column past the range untouched") }
    }

    func testResidualLayerNormWithPE() {
        var r = RNG(s: 14)
        let rows = 9, c = 64
        let y = r.array(rows * c, scale: 3), bias = r.array(c), g = r.array(c), b = r.array(c), pe = r.array(rows * c)
        let res0 = r.array(rows * c, scale: 2)
        var res = res0, outPE = [Float](repeating: 0, count: rows * c)
        // In place: the output overwrites the residual.
        res.withUnsafeMutableBufferPointer { rp in
            vk_bias_residual_layernorm_rows(y, bias, rp.baseAddress!, g, b, Int32(c), 1e-5, rp.baseAddress!, pe, &outPE, 0, rows)
        }
        var ref = [Double](), refPE = [Double]()
        for i in 0..<rows {
            let v = (0..<c).map { Double((y[i * c + $0] + bias[$0]) + res0[i * c + $0]) }
            let m = v.reduce(0, +) / Double(c), va = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(c)
            for k in 0..<c {
                let o = (v[k] - m) / (va + 1e-5).squareRoot() * Double(g[k]) + Double(b[k])
                ref.append(o)
                refPE.append(o + Double(pe[i * c + k]))
            }
        }
        assertClose(res, ref, tol: 2e-5, "residual layernorm")
        assertClose(outPE, refPE, tol: 2e-5, "residual layernorm + pe")
        var o1 = [Float](repeating: 0, count: rows * c), o2 = o1
        vk_bias_pe_rows(y, bias, pe, &o1, &o2, Int32(c), 0, rows)
        for i in 0..<(rows * c) {
            XCTAssertEqual(o1[i], y[i] + bias[i % c])
            XCTAssertEqual(o2[i], (y[i] + bias[i % c]) + pe[i])
        }
    }

    func testConvTransposeFusedEpilogues() {
        var r = RNG(s: 15)
        let h = 3, w = 4, co = 32
        let gt = r.array(h * w * 4 * co, scale: 2), bias = r.array(co), gamma = r.array(co), beta = r.array(co)
        func pre(_ y: Int, _ x: Int, _ t: Int, _ c: Int) -> Double { Double(gt[((y * w + x) * 4 + t) * co + c] + bias[c]) }
        // LN2d + GELU
        var out = [Float](repeating: 0, count: 4 * h * w * co)
        vk_convT2x2_ln_gelu(gt, Int32(h), Int32(w), Int32(co), bias, gamma, beta, 1e-6, &out, 0, Int32(h))
        var ref = [Double](repeating: 0, count: out.count)
        for y in 0..<h { for x in 0..<w { for t in 0..<4 {
            let v = (0..<co).map { pre(y, x, t, $0) }
            let m = v.reduce(0, +) / Double(co), va = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(co)
            let p = (2 * y + t / 2) * 2 * w + 2 * x + t % 2
            for c in 0..<co { ref[p * co + c] = gelu((v[c] - m) / (va + 1e-6).squareRoot() * Double(gamma[c]) + Double(beta[c])) }
        } } }
        assertClose(out, ref, tol: 2e-5, "convT + LN2d + GELU")
        // GELU + mask product, two masks, in two row bands.
        let nm = 2, hyper = r.array(nm * co)
        var masks = [Float](repeating: 0, count: nm * 4 * h * w)
        vk_convT2x2_gelu_dot(gt, Int32(h), Int32(w), Int32(co), bias, hyper, Int32(nm), &masks, 0, 1)
        vk_convT2x2_gelu_dot(gt, Int32(h), Int32(w), Int32(co), bias, hyper, Int32(nm), &masks, 1, Int32(h))
        var mref = [Double](repeating: 0, count: masks.count)
        for m in 0..<nm { for y in 0..<h { for x in 0..<w { for t in 0..<4 {
            let p = (2 * y + t / 2) * 2 * w + 2 * x + t % 2
            mref[m * 4 * h * w + p] = (0..<co).map { Double(hyper[m * co + $0]) * gelu(pre(y, x, t, $0)) }.reduce(0, +)
        } } } }
        assertClose(masks, mref, tol: 2e-5, "convT + GELU + mask product")
    }

    /// Objects decoded one after another on one embedding reuse its prompt-independent decoder inputs;
    /// the results must not depend on what was decoded before.
    func testDecoderReuseAcrossPromptsAndEmbeddings() throws {
        let model = try Fixtures.model()
        var r = RNG(s: 16)
        func embedding() -> ImageEmbedding {
            ImageEmbedding(nchw: r.array(256 * 64 * 64, scale: 0.5), channels: 256, size: 64, newHeight: 256, newWidth: 256,
                           height: 256, width: 256)
        }
        let e1 = embedding(), e2 = embedding()
        let a = SIMD4<Float>(40, 50, 160, 170), b = SIMD4<Float>(100, 20, 230, 120)
        let a1 = model.decode(e1, box256: a)
        let b1 = model.decode(e1, box256: b)
        let a2 = model.decode(e2, box256: a)
        let b1again = model.decode(e1, box256: b)
        let a1again = model.decode(e1, box256: a)
        XCTAssertEqual(a1.logits, a1again.logits)
        XCTAssertEqual(a1.iou, a1again.iou)
        XCTAssertEqual(b1.logits, b1again.logits)
        XCTAssertNotEqual(a1.logits, a2.logits)
        // A copy of e1 is a different object: prepared afresh, same result.
        let copy = ImageEmbedding(nchw: e1.nchw, channels: 256, size: 64, newHeight: 256, newWidth: 256, height: 256,
                                  width: 256)
        XCTAssertEqual(model.decode(copy, box256: b).logits, b1.logits)
        model.releaseWorkspaces()
        XCTAssertEqual(model.decode(e1, box256: a).logits, a1.logits)
    }
}
