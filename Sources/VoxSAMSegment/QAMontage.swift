import Foundation
import VoxSAMCore
import VoxSAMIO

/// The `--qa` picture: the key slice and evenly spaced slices with coloured overlays, object names
/// and per-slice confidence. Tiles are shown in radiological orientation whatever the stored order:
/// patient right on the image's left (anterior on the left for sagittal slices), anterior or
/// superior at the top.
public enum QAMontage {
    /// Whether to mirror columns / rows of a slice for display.
    static func displayFlips(_ g: Geometry, axis: SliceAxis) -> (columns: Bool, rows: Bool) {
        func dominant(_ v: SIMD3<Double>) -> (Int, Double) {
            let a = [abs(v.x), abs(v.y), abs(v.z)]
            let i = a.firstIndex(of: a.max()!)!
            return (i, v[i])
        }
        let (_, c) = dominant(g.direction[column: axis.columnAxis])
        let (ri, r) = dominant(g.direction[column: axis.rowAxis])
        return (c < 0, ri == 2 ? r > 0 : r < 0)
    }

    static func enlarge(_ img: RasterImage, by f: Int) -> RasterImage {
        var out = RasterImage(width: img.width * f, height: img.height * f, channels: img.channels)
        let ch = img.channels
        for y in 0..<out.height {
            for x in 0..<out.width {
                for c in 0..<ch { out.pixels[(y * out.width + x) * ch + c] = img.pixels[((y / f) * img.width + x / f) * ch + c] }
            }
        }
        return out
    }

    static func flip(_ img: RasterImage, columns: Bool, rows: Bool) -> RasterImage {
        guard columns || rows else { return img }
        var out = img
        let ch = img.channels
        for y in 0..<img.height {
            for x in 0..<img.width {
                let sx = columns ? img.width - 1 - x : x, sy = rows ? img.height - 1 - y : y
                for c in 0..<ch { out.pixels[(y * img.width + x) * ch + c] = img.pixels[(sy * img.width + sx) * ch + c] }
            }
        }
        return out
    }

    public static func render(image8: Volume, result: SegmentationResult, maxTiles: Int = 9) -> RasterImage {
        let axis = result.axis
        let size = image8.size
        guard case .uint8(let pixels) = image8.voxels else { return RasterImage(width: 1, height: 1, channels: 3) }
        let labelValues = result.labelMap.voxels.labelValues
        // Slices that carry any object: the first object's key slice, then evenly spaced ones.
        let covered = Set(result.objects.flatMap { $0.slices.map(\.slice) }).sorted()
        guard !covered.isEmpty else { return RasterImage(width: 1, height: 1, channels: 3) }
        var chosen: [Int] = []
        if let key = result.objects.first?.slices.first?.slice { chosen.append(key) }
        let n = min(maxTiles, covered.count)
        for t in 0..<n {
            let z = covered[Int((Double(t) + 0.5) * Double(covered.count) / Double(n))]
            if !chosen.contains(z) { chosen.append(z) }
            if chosen.count >= maxTiles { break }
        }
        let keyFirst = chosen.first
        chosen = [keyFirst!] + chosen.dropFirst().sorted()
        let h = axis.height(size), w = axis.width(size)
        var colors: [Int: RGB] = [:]
        for o in result.objects { colors[o.prompt.label] = o.prompt.color ?? RGB.forLabel(o.prompt.label) }
        var tiles: [RasterImage] = [], captions: [String] = []
        for z in chosen {
            let grey = RasterImage(width: w, height: h, channels: 1, pixels: axis.slice(pixels, z, size: size))
            var labels = [Int](repeating: 0, count: h * w)
            for r in 0..<h { for c in 0..<w { labels[r * w + c] = labelValues[axis.voxelIndex(z, r, c, size: size)] } }
            var tile = SliceRenderer.overlay(grey, labels: labels, colors: colors)
            // Draw each object's box outline on its slices.
            for o in result.objects {
                guard let rec = o.slices.first(where: { $0.slice == z }) else { continue }
                drawBox(&tile, rec.boxPixels, colors[o.prompt.label]!)
            }
            var lines = ["\(axis.name.uppercased())=\(z)\(z == keyFirst ? " KEY" : "")"]
            for o in result.objects {
                if let rec = o.slices.first(where: { $0.slice == z }) {
                    lines.append("\(o.prompt.name) IOU \(String(format: "%.2f", rec.iouPrediction))\(rec.lowConfidence ? " LOW" : "")")
                }
            }
            let flips = displayFlips(image8.geometry, axis: axis)
            tile = flip(tile, columns: flips.columns, rows: flips.rows)
            // Small slices are enlarged (nearest neighbour) so the overlay can be judged.
            let zoom = max(1, 256 / max(w, h))
            if zoom > 1 { tile = enlarge(tile, by: zoom) }
            tiles.append(tile)
            captions.append(lines.joined(separator: "\n"))
        }
        return SliceRenderer.montage(tiles, captions: captions)
    }

    static func drawBox(_ img: inout RasterImage, _ b: [Double], _ c: RGB) {
        let x0 = max(0, min(img.width - 1, Int(b[0]))), x1 = max(0, min(img.width - 1, Int(b[2])))
        let y0 = max(0, min(img.height - 1, Int(b[1]))), y1 = max(0, min(img.height - 1, Int(b[3])))
        func set(_ x: Int, _ y: Int) {
            let o = (y * img.width + x) * 3
            img.pixels[o] = c.r; img.pixels[o + 1] = c.g; img.pixels[o + 2] = c.b
        }
        for x in stride(from: x0, through: x1, by: 2) { set(x, y0); set(x, y1) }
        for y in stride(from: y0, through: y1, by: 2) { set(x0, y); set(x1, y) }
    }
}
