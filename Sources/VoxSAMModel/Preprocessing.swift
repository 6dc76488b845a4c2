import CKernels
import Foundation

// Bit-faithful pre- and postprocessing of the LiteMedSAM reference (README 2.2, 2.3, 2.5).

/// OpenCV 4.x `cv2.resize(..., interpolation=INTER_AREA)` on single-channel uint8 images (a grey
/// image repeated to 3 channels resizes identically per channel). All four code paths.
public enum AreaResize {
    public static func resize(_ src: [UInt8], height: Int, width: Int, newHeight: Int, newWidth: Int) -> [UInt8] {
        precondition(src.count == height * width && newHeight > 0 && newWidth > 0)
        if newHeight == height && newWidth == width { return src }
        let invX = Double(newWidth) / Double(width), invY = Double(newHeight) / Double(height)
        let sx = 1 / invX, sy = 1 / invY
        if sx >= 1 && sy >= 1 {
            let kx = Int(sx.rounded(.down)), ky = Int(sy.rounded(.down))
            if abs(sx - Double(kx)) < Double.ulpOfOne && abs(sy - Double(ky)) < Double.ulpOfOne {
                return integerDownscale(src, width: width, newHeight: newHeight, newWidth: newWidth, kx: kx, ky: ky)
            }
            return fractionalDownscale(src, height: height, width: width, newHeight: newHeight, newWidth: newWidth,
                                       sx: sx, sy: sy)
        }
        return linearUpscale(src, height: height, width: width, newHeight: newHeight, newWidth: newWidth,
                             sx: sx, sy: sy, invX: invX, invY: invY)
    }

    /// Block means; 2 x 2 uses (a + b + c + d + 2) >> 2, other factors round(float(sum) * float(1/k^2)).
    static func integerDownscale(_ src: [UInt8], width: Int, newHeight: Int, newWidth: Int, kx: Int, ky: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: newHeight * newWidth)
        let scale = Float(1) / Float(kx * ky)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                var sum = 0
                for dy in 0..<ky { for dx in 0..<kx { sum += Int(src[(y * ky + dy) * width + x * kx + dx]) } }
                if kx == 2 && ky == 2 {
                    out[y * newWidth + x] = UInt8((sum + 2) >> 2)
                } else {
                    out[y * newWidth + x] = saturate(Float(sum) * scale)
                }
            }
        }
        return out
    }

    struct Tap { var index: Int; var weight: Float }

    /// Area taps of one axis (OpenCV computeResizeAreaTab).
    static func areaTaps(old: Int, new: Int, scale s: Double) -> [[Tap]] {
        (0..<new).map { d in
            let a = Double(d) * s, b = a + s
            let cell = min(s, Double(old) - a)
            var s1 = Int(a.rounded(.up))
            let s2 = min(Int(b.rounded(.down)), old - 1)
            s1 = min(s1, s2)
            var taps: [Tap] = []
            if Double(s1) - a > 1e-3 { taps.append(Tap(index: s1 - 1, weight: Float((Double(s1) - a) / cell))) }
            if s1 < s2 { for k in s1..<s2 { taps.append(Tap(index: k, weight: Float(1 / cell))) } }
            if b - Double(s2) > 1e-3 {
                taps.append(Tap(index: s2, weight: Float(min(min(b - Double(s2), 1), cell) / cell)))
            }
            return taps
        }
    }

    static func fractionalDownscale(_ src: [UInt8], height: Int, width: Int, newHeight: Int, newWidth: Int,
                                    sx: Double, sy: Double) -> [UInt8] {
        let xt = areaTaps(old: width, new: newWidth, scale: sx), yt = areaTaps(old: height, new: newHeight, scale: sy)
        var out = [UInt8](repeating: 0, count: newHeight * newWidth)
        var row = [Float](repeating: 0, count: newWidth)
        var acc = [Float](repeating: 0, count: newWidth)
        for y in 0..<newHeight {
            for i in 0..<newWidth { acc[i] = 0 }
            for ty in yt[y] {
                for x in 0..<newWidth {
                    var h: Float = 0
                    for tx in xt[x] { h = h + Float(src[ty.index * width + tx.index]) * tx.weight }
                    row[x] = h
                }
                for x in 0..<newWidth { acc[x] = acc[x] + ty.weight * row[x] }
            }
            for x in 0..<newWidth { out[y * newWidth + x] = saturate(acc[x]) }
        }
        return out
    }

    /// Per-axis fixed-point coefficients of the upscale path: (sx, c0, c1) per output index.
    static func upscaleTaps(old: Int, new: Int, scale: Double, inv: Double) -> [(Int, Int32, Int32)] {
        (0..<new).map { d in
            var sx = Int((Double(d) * scale).rounded(.down))
            var f = Float(Double(d + 1) - Double(sx + 1) * inv)
            f = f <= 0 ? 0 : f - f.rounded(.down)
            if sx >= old - 1 {
                f = 0
                sx = old - 1
            }
            let c0 = Int32(((1 - f) * 2048).rounded(.toNearestOrEven))
            let c1 = Int32((f * 2048).rounded(.toNearestOrEven))
            return (sx, c0, c1)
        }
    }

    static func linearUpscale(_ src: [UInt8], height: Int, width: Int, newHeight: Int, newWidth: Int,
                              sx: Double, sy: Double, invX: Double, invY: Double) -> [UInt8] {
        let xt = upscaleTaps(old: width, new: newWidth, scale: sx, inv: invX)
        let yt = upscaleTaps(old: height, new: newHeight, scale: sy, inv: invY)
        func hrow(_ y: Int) -> [Int32] {
            xt.map { (x, c0, c1) in
                c0 * Int32(src[y * width + x]) + c1 * Int32(src[y * width + min(x + 1, width - 1)])
            }
        }
        var out = [UInt8](repeating: 0, count: newHeight * newWidth)
        for y in 0..<newHeight {
            let (sy0, b0, b1) = yt[y]
            let r0 = hrow(sy0), r1 = hrow(min(sy0 + 1, height - 1))
            for x in 0..<newWidth {
                let v = ((((r0[x] >> 4) &* b0) >> 16) &+ (((r1[x] >> 4) &* b1) >> 16) &+ 2) >> 2
                out[y * newWidth + x] = UInt8(clamping: v)
            }
        }
        return out
    }

    @inline(__always) static func saturate(_ v: Float) -> UInt8 {
        let r = v.rounded(.toNearestOrEven)
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }
}

/// uint8 slice H x W -> encoder input (1, 3, 256, 256) per README 2.2.
public struct Preprocessor: Sendable {
    public let targetSize: Int

    public init(targetSize: Int = 256) { self.targetSize = targetSize }

    /// Longest side to `targetSize`: newW = int(W * scale + 0.5), newH = int(H * scale + 0.5).
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let scale = Double(targetSize) / Double(max(height, width))
        return (Int(Double(height) * scale + 0.5), Int(Double(width) * scale + 0.5))
    }

    /// INTER_AREA resize of a uint8 plane (image or label mask) to the resized size.
    public func resize(_ plane: [UInt8], height: Int, width: Int) -> [UInt8] {
        let (nh, nw) = resizedSize(height: height, width: width)
        return AreaResize.resize(plane, height: height, width: width, newHeight: nh, newWidth: nw)
    }

    public func callAsFunction(_ slice: [UInt8], height: Int, width: Int) -> PreprocessedImage {
        let (nh, nw) = resizedSize(height: height, width: width)
        let r = AreaResize.resize(slice, height: height, width: width, newHeight: nh, newWidth: nw)
        let lo = r.min() ?? 0, hi = r.max() ?? 0
        let s = targetSize, plane = s * s
        var t = [Float](repeating: 0, count: 3 * plane)
        if hi > lo {
            let range = Double(hi - lo)
            // One correctly rounded division per value, via a 256-entry table.
            let table = (0...255).map { v in v < Int(lo) ? Float(0) : Float(Double(v - Int(lo)) / range) }
            for y in 0..<nh {
                for x in 0..<nw {
                    let v = table[Int(r[y * nw + x])]
                    t[y * s + x] = v
                    t[plane + y * s + x] = v
                    t[2 * plane + y * s + x] = v
                }
            }
        }
        return PreprocessedImage(tensor: t, size: s, newHeight: nh, newWidth: nw, height: height, width: width)
    }

    /// Key-slice box (README 2.3): int(v * (256 / max(H, W))) for x0, y0, x1, y1.
    public func box256(fromOriginal box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float> {
        let f = Double(targetSize) / Double(max(height, width))
        return SIMD4((0..<4).map { Float(Int(Double(box[$0]) * f)) })
    }

    /// Box from the neighbouring slice's mask (README 2.3): the mask holds the label value L; it is
    /// resized like the image, and the bounding box of its non-zero pixels enlarged by 3 px
    /// ([max(0, xmin-3), max(0, ymin-3), min(S, xmax+3), min(S, ymax+3)]). nil if it vanishes.
    public func box256(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>? {
        let (nh, nw) = resizedSize(height: height, width: width)
        let r = AreaResize.resize(mask, height: height, width: width, newHeight: nh, newWidth: nw)
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<nh {
            for x in 0..<nw where r[y * nw + x] > 0 {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        guard x1 >= 0 else { return nil }
        let s = targetSize
        return SIMD4(Float(max(0, x0 - 3)), Float(max(0, y0 - 3)), Float(min(s, x1 + 3)), Float(min(s, y1 + 3)))
    }
}
/// Decoder logits -> mask at the original resolution (README 2.5).
public enum Postprocessor {
    /// sigmoid(x) > 0.5 in float is exactly x > 1.5 * 2^-24.
    public static let logitThreshold: Float = 1.5 * 0x1p-24

    /// Crops the (size x size) logits to newHeight x newWidth and resizes them bilinearly
    /// (align_corners = false, PyTorch CPU arithmetic) to height x width, on `threads` workers.
    public static func resizeLogits(_ logits: ArraySlice<Float>, size: Int, newHeight: Int, newWidth: Int,
                                    height: Int, width: Int, threads: Int = 1) -> [Float] {
        precondition(logits.count == size * size)
        var out = [Float](repeating: 0, count: height * width)
        logits.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                Parallel(threads: threads).chunks(height, cost: width * 8) { lo, hi in
                    vk_bilinear_resize(s, Int32(newHeight), Int32(newWidth), Int32(size), d, Int32(height),
                                       Int32(width), Int32(lo), Int32(hi))
                }
            }
        }
        return out
    }

    /// Binary mask (value where the probability > 0.5, else 0) at height x width.
    public static func mask(logits: ArraySlice<Float>, size: Int, newHeight: Int, newWidth: Int, height: Int,
                            width: Int, value: UInt8 = 1) -> [UInt8] {
        let up = resizeLogits(logits, size: size, newHeight: newHeight, newWidth: newWidth, height: height, width: width)
        var out = [UInt8](repeating: 0, count: height * width)
        up.withUnsafeBufferPointer { u in
            out.withUnsafeMutableBufferPointer { o in
                vk_threshold_u8(u.baseAddress!, o.baseAddress!, logitThreshold, value, 0, height * width)
            }
        }
        return out
    }

    /// Probability map sigmoid(logits) at height x width.
    public static func probabilities(logits: ArraySlice<Float>, size: Int, newHeight: Int, newWidth: Int,
                                     height: Int, width: Int) -> [Float] {
        var up = resizeLogits(logits, size: size, newHeight: newHeight, newWidth: newWidth, height: height, width: width)
        up.withUnsafeMutableBufferPointer { u in vk_sigmoid(u.baseAddress!, u.baseAddress!, 0, height * width) }
        return up
    }

    /// Mask of prediction `index` for the slice an embedding came from.
    public static func mask(_ p: MaskPrediction, index: Int = 0, embedding e: ImageEmbedding, value: UInt8 = 1) -> [UInt8] {
        mask(logits: p.plane(index), size: p.size, newHeight: e.newHeight, newWidth: e.newWidth, height: e.height,
             width: e.width, value: value)
    }
}
