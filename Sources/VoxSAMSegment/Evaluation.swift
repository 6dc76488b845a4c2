import Foundation
import VoxSAMCore

/// Dice (DSC) and normalised surface Dice (NSD) per label, as the reference computes them
/// (../shared/reference/README.md §5): surface points are voxel corners whose 8 voxels are mixed,
/// weighted by the marching-squares area vector of their cell; distances in mm with anisotropic
/// spacing (exact Euclidean distance transform on the corner grid).
public enum Evaluation {
    public struct LabelScore: Codable, Sendable {
        public var label: Int
        public var dsc: Double
        public var nsd: Double
        /// 95th-percentile symmetric surface distance in mm (the larger of the two directed 95th
        /// percentiles over surface points, as medpy/MONAI compute it); nil when either mask is empty.
        public var hd95MM: Double?
        public var gtVoxels: Int
        public var segVoxels: Int
        /// A requested label that neither map contains: listed, but not part of the means.
        public var absentFromBoth: Bool

        enum CodingKeys: String, CodingKey {
            case label, dsc, nsd, hd95MM = "hd95_mm", gtVoxels = "gt_voxels", segVoxels = "seg_voxels", absentFromBoth = "absent_from_both"
        }
    }

    public struct Report: Codable, Sendable {
        public var dsc: Double
        public var nsd: Double
        /// Mean HD95 over the labels where it is defined (both masks non-empty); nil if none.
        public var hd95MM: Double?
        public var toleranceMM: Double
        /// Labels that entered the means.
        public var labelsInMean: [Int]
        public var perLabel: [LabelScore]

        enum CodingKeys: String, CodingKey {
            case dsc, nsd, hd95MM = "hd95_mm", toleranceMM = "tolerance_mm", labelsInMean = "labels_in_mean", perLabel = "per_label"
        }
    }

    /// Scores `labels`, by default every label present in either map (0 excluded); labels absent from
    /// both maps are listed but never enter the means. Both volumes must share the grid (the caller
    /// aligns a map in another axis order first: `LabelMapAlignment`); spacing from `gt`.
    /// `checkGeometry: false` compares sizes only (for files that carry no geometry, e.g. an .npz without `spacing`).
    public static func evaluate(prediction: Volume, groundTruth: Volume, toleranceMM: Double = 2, labels: [Int]? = nil,
                                checkGeometry: Bool = true) throws -> Report {
        guard prediction.size == groundTruth.size else {
            throw VoxSAMError(.geometry, "prediction (\(prediction.size.x)x\(prediction.size.y)x\(prediction.size.z)) and ground truth (\(groundTruth.size.x)x\(groundTruth.size.y)x\(groundTruth.size.z)) are not on the same grid; resample one onto the other first", path: prediction.metadata.sourcePath)
        }
        if checkGeometry && !prediction.geometry.isSameGrid(as: groundTruth.geometry, tolerance: 1e-2) {
            throw VoxSAMError(.geometry, "prediction and ground truth have the same size but different geometry (origin/spacing/direction differ by \(String(format: "%.3g", prediction.geometry.maxAffineDifference(to: groundTruth.geometry))) mm)", path: prediction.metadata.sourcePath)
        }
        let p = prediction.voxels.labelValues, g = groundTruth.voxels.labelValues
        let present = Set(p).union(g).subtracting([0])
        let wanted = labels ?? present.sorted()
        let size = groundTruth.size
        let sp = groundTruth.geometry.spacing
        var scores: [LabelScore] = []
        for l in wanted {
            let gm = g.map { $0 == l }, pm = p.map { $0 == l }
            let gc = gm.reduce(0) { $0 + ($1 ? 1 : 0) }, pc = pm.reduce(0) { $0 + ($1 ? 1 : 0) }
            var inter = 0
            for n in 0..<gm.count where gm[n] && pm[n] { inter += 1 }
            let dsc = gc + pc == 0 ? 1 : 2 * Double(inter) / Double(gc + pc)
            var nsd = 0.0
            var hd95: Double?
            if gc == 0 && pc == 0 { nsd = 1 } else if gc > 0 && pc > 0 {
                (nsd, hd95) = surfaceMetrics(gm, pm, size: size, spacing: sp, tolerance: toleranceMM)
            }
            scores.append(LabelScore(label: l, dsc: dsc, nsd: nsd, hd95MM: hd95, gtVoxels: gc, segVoxels: pc,
                                     absentFromBoth: gc == 0 && pc == 0))
        }
        let counted = scores.filter { !$0.absentFromBoth }
        let n = Double(max(counted.count, 1))
        let hds = counted.compactMap(\.hd95MM)
        return Report(dsc: counted.map(\.dsc).reduce(0, +) / n, nsd: counted.map(\.nsd).reduce(0, +) / n,
                      hd95MM: hds.isEmpty ? nil : hds.reduce(0, +) / Double(hds.count), toleranceMM: toleranceMM,
                      labelsInMean: counted.map(\.label), perLabel: scores)
    }

    /// The `q` quantile (0…1) of `values` with linear interpolation between order statistics (numpy's default).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let s = values.sorted()
        guard s.count > 1 else { return s.first ?? 0 }
        let x = q * Double(s.count - 1), i = Int(x.rounded(.down)), f = x - Double(i)
        return i + 1 < s.count ? s[i] + f * (s[i + 1] - s[i]) : s[i]
    }

    /// Surface points (corner indices) with their area weights.
    static func surface(_ m: [Bool], size: SIMD3<Int>, spacing: SIMD3<Double>) -> (points: [Int], weights: [Double]) {
        let (X, Y, Z) = (size.x, size.y, size.z)
        let cx = X + 1, cy = Y + 1
        func at(_ i: Int, _ j: Int, _ k: Int) -> Bool {
            i >= 0 && j >= 0 && k >= 0 && i < X && j < Y && k < Z && m[(k * Y + j) * X + i]
        }
        // Marching-squares area of a 2×2 face (corners a b / c d in cyclic order a, b, d, c).
        func faceArea(_ a: Bool, _ b: Bool, _ c: Bool, _ d: Bool) -> Double {
            let n = (a ? 1 : 0) + (b ? 1 : 0) + (c ? 1 : 0) + (d ? 1 : 0)
            switch n {
            case 0: return 0
            case 1: return 1.0 / 8
            case 3: return 7.0 / 8
            case 4: return 1
            default: return (a && d) || (b && c) ? 1.0 / 4 : 1.0 / 2
            }
        }
        var points: [Int] = [], weights: [Double] = []
        for k in 0...Z {
            for j in 0...Y {
                for i in 0...X {
                    // v[dz][dy][dx] = voxel (i-1+dx, j-1+dy, k-1+dz)
                    var v = [Bool](repeating: false, count: 8)
                    var count = 0
                    for dz in 0..<2 { for dy in 0..<2 { for dx in 0..<2 {
                        let b = at(i - 1 + dx, j - 1 + dy, k - 1 + dz)
                        v[dz * 4 + dy * 2 + dx] = b
                        if b { count += 1 }
                    } } }
                    guard count > 0 && count < 8 else { continue }
                    func V(_ dz: Int, _ dy: Int, _ dx: Int) -> Bool { v[dz * 4 + dy * 2 + dx] }
                    let az = faceArea(V(1, 0, 0), V(1, 0, 1), V(1, 1, 0), V(1, 1, 1)) - faceArea(V(0, 0, 0), V(0, 0, 1), V(0, 1, 0), V(0, 1, 1))
                    let ay = faceArea(V(0, 1, 0), V(0, 1, 1), V(1, 1, 0), V(1, 1, 1)) - faceArea(V(0, 0, 0), V(0, 0, 1), V(1, 0, 0), V(1, 0, 1))
                    let ax = faceArea(V(0, 0, 1), V(0, 1, 1), V(1, 0, 1), V(1, 1, 1)) - faceArea(V(0, 0, 0), V(0, 1, 0), V(1, 0, 0), V(1, 1, 0))
                    let cz = az * spacing.y * spacing.x, cyy = ay * spacing.z * spacing.x, cxx = ax * spacing.z * spacing.y
                    points.append((k * cy + j) * cx + i)
                    weights.append((cz * cz + cyy * cyy + cxx * cxx).squareRoot())
                }
            }
        }
        return (points, weights)
    }

    static func normalizedSurfaceDice(_ g: [Bool], _ s: [Bool], size: SIMD3<Int>, spacing: SIMD3<Double>, tolerance: Double) -> Double {
        surfaceMetrics(g, s, size: size, spacing: spacing, tolerance: tolerance).nsd
    }

    /// NSD and HD95 from one pair of surfaces and distance transforms (both masks non-empty).
    static func surfaceMetrics(_ g: [Bool], _ s: [Bool], size: SIMD3<Int>, spacing: SIMD3<Double>,
                               tolerance: Double) -> (nsd: Double, hd95: Double?) {
        let sg = surface(g, size: size, spacing: spacing), ss = surface(s, size: size, spacing: spacing)
        let grid = SIMD3(size.x + 1, size.y + 1, size.z + 1)
        let dg = squaredDistance(to: sg.points, grid: grid, spacing: spacing)
        let ds = squaredDistance(to: ss.points, grid: grid, spacing: spacing)
        let t2 = tolerance * tolerance
        var num = 0.0, den = 0.0
        for (p, w) in zip(sg.points, sg.weights) { den += w; if ds[p] <= t2 { num += w } }
        for (p, w) in zip(ss.points, ss.weights) { den += w; if dg[p] <= t2 { num += w } }
        let hd95: Double? = sg.points.isEmpty || ss.points.isEmpty ? nil
            : max(quantile(sg.points.map { ds[$0].squareRoot() }, 0.95), quantile(ss.points.map { dg[$0].squareRoot() }, 0.95))
        return (den > 0 ? num / den : 1, hd95)
    }

    /// Exact squared Euclidean distance (mm²) from every grid point to the nearest of `points`
    /// (Felzenszwalb–Huttenlocher, separable, anisotropic).
    static func squaredDistance(to points: [Int], grid: SIMD3<Int>, spacing: SIMD3<Double>) -> [Double] {
        let n = grid.x * grid.y * grid.z
        var f = [Double](repeating: .infinity, count: n)
        for p in points { f[p] = 0 }
        let strides = [1, grid.x, grid.x * grid.y]
        for axis in 0..<3 {
            let len = grid[axis], st = strides[axis], s2 = spacing[axis] * spacing[axis]
            var line = [Double](repeating: 0, count: len), out = [Double](repeating: 0, count: len)
            var v = [Int](repeating: 0, count: len), z = [Double](repeating: 0, count: len + 1)
            let others = (0..<3).filter { $0 != axis }
            for b in 0..<grid[others[1]] {
                for a in 0..<grid[others[0]] {
                    let base = a * strides[others[0]] + b * strides[others[1]]
                    for q in 0..<len { line[q] = f[base + q * st] }
                    // Lower envelope of parabolas y = s2·(x − p)² + line[p] over the finite samples.
                    var kk = -1
                    for q in 0..<len where line[q].isFinite {
                        if kk < 0 {
                            kk = 0; v[0] = q; z[0] = -.infinity; z[1] = .infinity
                            continue
                        }
                        let fq = line[q] + s2 * Double(q * q)
                        var x = 0.0
                        while true {
                            let p = v[kk]
                            x = (fq - (line[p] + s2 * Double(p * p))) / (2 * s2 * Double(q - p))
                            if x <= z[kk] && kk > 0 { kk -= 1 } else { break }
                        }
                        if x <= z[kk] {
                            // Replaces the only parabola left (kk == 0).
                            v[0] = q; z[0] = -.infinity; z[1] = .infinity
                            continue
                        }
                        kk += 1
                        v[kk] = q
                        z[kk] = x
                        z[kk + 1] = .infinity
                    }
                    if kk < 0 { continue }  // no finite value on this line
                    var j = 0
                    for q in 0..<len {
                        while z[j + 1] < Double(q) { j += 1 }
                        let d = Double(q - v[j])
                        out[q] = s2 * d * d + line[v[j]]
                    }
                    for q in 0..<len { f[base + q * st] = out[q] }
                }
            }
        }
        return f
    }
}
