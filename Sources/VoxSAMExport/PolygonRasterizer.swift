/// Fills closed planar contours back into a mask the way RT planning systems and rt-utils read them:
/// a pixel is inside when its centre (i, j) is inside by the even-odd rule over all contours together
/// (so holes, given as separate contours, cut themselves out). Coordinates are pixel indices as in
/// `Contour`. A centre exactly on an edge counts as inside on the edge's left/lower side (half-open
/// scanline rule), which never matters for `ContourExtraction` output (centres are ≥ 0.35 px away).
public enum PolygonRasterizer {
    /// Mask (row-major, index `j * width + i`, 1 inside, 0 outside).
    public static func fill(_ contours: [Contour], width: Int, height: Int) -> [UInt8] {
        fill(contours.map(\.points), width: width, height: height)
    }

    /// Mask of polygons given as vertex lists (implicitly closed).
    public static func fill(_ polygons: [[SIMD2<Double>]], width: Int, height: Int) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: max(0, width * height))
        guard width > 0, height > 0 else { return mask }
        // Edges bucketed by the first row whose centre they cross.
        struct Edge { var yMin: Double; var yMax: Double; var x0: Double; var slope: Double }
        var buckets = [[Edge]](repeating: [], count: height)
        for poly in polygons where poly.count >= 3 {
            var p = poly[poly.count - 1]
            for q in poly {
                defer { p = q }
                if p.y == q.y { continue }
                let (a, b) = p.y < q.y ? (p, q) : (q, p)
                // Rows j with a.y <= j < b.y (half-open: a vertex is counted once).
                let first = Int((a.y).rounded(.up))
                if first >= height || Double(first) >= b.y { continue }
                let e = Edge(yMin: a.y, yMax: b.y, x0: a.x, slope: (b.x - a.x) / (b.y - a.y))
                buckets[max(first, 0)].append(e)
            }
        }
        var active: [Edge] = []
        var xs: [Double] = []
        mask.withUnsafeMutableBufferPointer { m in
            for j in 0..<height {
                let y = Double(j)
                active.removeAll { $0.yMax <= y }
                active.append(contentsOf: buckets[j].filter { $0.yMax > y })
                if active.isEmpty { continue }
                xs.removeAll(keepingCapacity: true)
                for e in active where e.yMin <= y { xs.append(e.x0 + (y - e.yMin) * e.slope) }
                xs.sort()
                var n = 0
                while n + 1 < xs.count {
                    // Centres i with xs[n] <= i < xs[n+1].
                    let lo = max(0, Int(xs[n].rounded(.up)))
                    let hi = min(width - 1, Int((xs[n + 1]).rounded(.up)) - 1)
                    if lo <= hi {
                        let row = j * width
                        for i in lo...hi { m[row + i] ^= 1 }
                    }
                    n += 2
                }
            }
        }
        // Even-odd: each pair toggles; overlapping spans from several polygons cancel correctly.
        return mask
    }
}
