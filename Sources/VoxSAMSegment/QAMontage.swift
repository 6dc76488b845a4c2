import Foundation
import VoxSAMCore
import VoxSAMIO

/// The `--qa` picture: the key slice, the first and last segmented slices, the slices flagged for
/// checking (low confidence) and evenly spaced ones, with coloured overlays, object names and
/// per-slice confidence. Tiles are shown in radiological orientation whatever the stored axis order:
/// patient right on the image's left (anterior on the left for sagittal slices), anterior or superior
/// at the top — a volume stored PLS looks like the same volume stored LPS. When the objects are small
/// against the slice (a lesion of 20 px in a 512 px slice) every tile shows the same region around
/// them, enlarged.
public enum QAMontage {
    /// How a slice's stored (row, column) grid is turned into the radiological view: transposed
    /// first (when the stored columns run along the screen's vertical), then mirrored.
    struct DisplayTransform: Equatable {
        var transpose: Bool
        var flipColumns: Bool
        var flipRows: Bool
    }

    static func displayTransform(_ g: Geometry, axis: SliceAxis) -> DisplayTransform {
        let col = g.direction[column: axis.columnAxis], row = g.direction[column: axis.rowAxis]
        let normal = SIMD3(col.y * row.z - col.z * row.y, col.z * row.x - col.x * row.z, col.x * row.y - col.y * row.x)
        let n = [abs(normal.x), abs(normal.y), abs(normal.z)]
        let plane = n.firstIndex(of: n.max()!)!
        // Screen right and screen down in LPS: axial x / y, coronal x / −z, sagittal y / −z.
        let right: SIMD3<Double>, down: SIMD3<Double>
        switch plane {
        case 2: (right, down) = (SIMD3(1, 0, 0), SIMD3(0, 1, 0))
        case 1: (right, down) = (SIMD3(1, 0, 0), SIMD3(0, 0, -1))
        default: (right, down) = (SIMD3(0, 1, 0), SIMD3(0, 0, -1))
        }
        func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
        let transpose = abs(dot(row, right)) + abs(dot(col, down)) > abs(dot(col, right)) + abs(dot(row, down))
        let (screenColumns, screenRows) = transpose ? (row, col) : (col, row)
        return DisplayTransform(transpose: transpose, flipColumns: dot(screenColumns, right) < 0, flipRows: dot(screenRows, down) < 0)
    }

    static func orient(_ img: RasterImage, _ t: DisplayTransform) -> RasterImage {
        var out = img
        if t.transpose {
            out = RasterImage(width: img.height, height: img.width, channels: img.channels)
            let ch = img.channels
            for y in 0..<img.height {
                for x in 0..<img.width {
                    for c in 0..<ch { out.pixels[(x * img.height + y) * ch + c] = img.pixels[(y * img.width + x) * ch + c] }
                }
            }
        }
        return flip(out, columns: t.flipColumns, rows: t.flipRows)
    }

    static func crop(_ img: RasterImage, x0: Int, y0: Int, width: Int, height: Int) -> RasterImage {
        var out = RasterImage(width: width, height: height, channels: img.channels)
        let ch = img.channels
        for y in 0..<height {
            let src = ((y0 + y) * img.width + x0) * ch
            out.pixels.replaceSubrange((y * width * ch)..<((y + 1) * width * ch), with: img.pixels[src..<(src + width * ch)])
        }
        return out
    }

    /// The region every tile shows (slice pixels, half-open): the whole slice, or — when the objects'
    /// boxes span less than a third of it — a square around them with a margin, at least 64 px.
    static func region(_ result: SegmentationResult, width w: Int, height h: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let boxes = result.objects.flatMap { $0.slices.map(\.boxPixels) }
        guard let first = boxes.first else { return (0, 0, w, h) }
        var (bx0, by0, bx1, by1) = (first[0], first[1], first[2], first[3])
        for b in boxes { bx0 = min(bx0, b[0]); by0 = min(by0, b[1]); bx1 = max(bx1, b[2]); by1 = max(by1, b[3]) }
        let extent = max(bx1 - bx0, by1 - by0)
        guard extent * 3 < Double(max(w, h)) else { return (0, 0, w, h) }
        let side = min(max(w, h), max(64, Int((2 * extent).rounded(.up))))
        let cx = (bx0 + bx1) / 2, cy = (by0 + by1) / 2
        let sw = min(side, w), sh = min(side, h)
        let x0 = max(0, min(w - sw, Int(cx) - sw / 2)), y0 = max(0, min(h - sh, Int(cy) - sh / 2))
        return (x0, y0, x0 + sw, y0 + sh)
    }

    /// The slices shown: the first object's key slice, the first and last segmented slices, each
    /// object's first suggested slice, slices flagged for checking (in order) and evenly spaced ones up
    /// to `maxTiles`.
    static func chosenSlices(_ result: SegmentationResult, maxTiles: Int) -> (slices: [Int], key: Int?) {
        let covered = Set(result.objects.flatMap { $0.slices.map(\.slice) }).sorted()
        guard let lo = covered.first, let hi = covered.last else { return ([], nil) }
        let key = result.objects.first?.slices.first?.slice
        var chosen: [Int] = []
        func add(_ z: Int) { if chosen.count < maxTiles && !chosen.contains(z) { chosen.append(z) } }
        if let key { add(key) }
        add(lo)
        add(hi)
        // Each object's most likely wrong slice (`SuggestedSlices`) first, then the other flagged ones.
        let suggested = result.objects.compactMap { SuggestedSlices.rank($0.slices).first }
        let flagged = Set(result.objects.flatMap { $0.slices.filter(\.lowConfidence).map(\.slice) }).sorted()
        let flaggedBudget = max(0, (maxTiles - chosen.count) / 2)
        var shown = 0
        for z in suggested + flagged where shown < flaggedBudget && !chosen.contains(z) {
            add(z)
            shown += 1
        }
        let n = min(maxTiles, covered.count)
        for t in 0..<n { add(covered[Int((Double(t) + 0.5) * Double(covered.count) / Double(n))]) }
        let rest = chosen.filter { $0 != key }.sorted()
        return ((key.map { [$0] } ?? []) + rest, key)
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
        let (chosen, keyFirst) = chosenSlices(result, maxTiles: maxTiles)
        guard !chosen.isEmpty else { return RasterImage(width: 1, height: 1, channels: 3) }
        let h = axis.height(size), w = axis.width(size)
        let view = region(result, width: w, height: h)
        let transform = displayTransform(image8.geometry, axis: axis)
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
            var title = "\(axis.name.uppercased())=\(z)\(z == keyFirst ? " KEY" : "")"
            if view != (0, 0, w, h) { title += " ZOOM" }
            var lines = [title]
            for o in result.objects {
                if let rec = o.slices.first(where: { $0.slice == z }) {
                    lines.append("\(o.prompt.name) IOU \(String(format: "%.2f", rec.iouPrediction))\(rec.lowConfidence ? " CHECK" : "")")
                }
            }
            if view != (0, 0, w, h) { tile = crop(tile, x0: view.x0, y0: view.y0, width: view.x1 - view.x0, height: view.y1 - view.y0) }
            tile = orient(tile, transform)
            // Small slices and zoomed regions are enlarged (nearest neighbour) so the overlay can be judged.
            let zoom = max(1, 256 / max(tile.width, tile.height))
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
