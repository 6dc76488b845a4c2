import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMExport
import VoxSAMIO
import VoxSAMCore

final class ContourTests: XCTestCase {
    // MARK: Helpers

    static func mask(_ rows: [String]) -> (mask: [UInt8], width: Int, height: Int) {
        let w = rows.first?.count ?? 0
        return (rows.flatMap { $0.map { $0 == "#" ? UInt8(1) : 0 } }, w, rows.count)
    }

    static func dice(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var inter = 0, sa = 0, sb = 0
        for n in a.indices {
            let x = a[n] != 0, y = b[n] != 0
            if x { sa += 1 }
            if y { sb += 1 }
            if x && y { inter += 1 }
        }
        return sa + sb == 0 ? 1 : 2 * Double(inter) / Double(sa + sb)
    }

    static func binary(_ m: [UInt8]) -> [UInt8] { m.map { $0 != 0 ? 1 : 0 } }

    static func distance(_ p: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        let ab = b - a, ap = p - a
        let l2 = (ab * ab).sum()
        let t = l2 == 0 ? 0 : max(0, min(1, (ap * ab).sum() / l2))
        let r = ap - t * ab
        return (r * r).sum().squareRoot()
    }

    /// Largest distance from points sampled along `from` (8 per edge) to the polygon `to`.
    static func directedHausdorff(_ from: [SIMD2<Double>], _ to: [SIMD2<Double>]) -> Double {
        var worst = 0.0
        for a in from.indices {
            let p = from[a], q = from[(a + 1) % from.count]
            for s in 0..<8 {
                let x = p + (Double(s) / 8) * (q - p)
                var best = Double.infinity
                for b in to.indices { best = min(best, distance(x, to[b], to[(b + 1) % to.count])) }
                worst = max(worst, best)
            }
        }
        return worst
    }

    /// Checks exact and default extraction of one mask; returns (Dice of the default, max deviation).
    @discardableResult
    static func check(_ mask: [UInt8], _ w: Int, _ h: Int, name: String, deviation: Bool = true,
                      file: StaticString = #filePath, line: UInt = #line) -> (Double, Double) {
        let truth = binary(mask)
        let exact = ContourExtraction.contours(mask: mask, width: w, height: h, simplification: .none)
        XCTAssertEqual(PolygonRasterizer.fill(exact, width: w, height: h), truth, "\(name): exact contours do not rasterise back", file: file, line: line)
        let area = exact.reduce(0) { $0 + $1.signedArea }
        XCTAssertEqual(area, Double(truth.reduce(0) { $0 + Int($1) }), accuracy: 1e-9, "\(name): exact area ≠ pixel count", file: file, line: line)
        for c in exact {
            XCTAssertEqual(c.isHole, c.signedArea < 0, file: file, line: line)
            for p in c.points {
                XCTAssertEqual(p.x - p.x.rounded(.down), 0.5, accuracy: 1e-12, "\(name): vertex off the pixel corners", file: file, line: line)
                XCTAssertEqual(p.y - p.y.rounded(.down), 0.5, accuracy: 1e-12, file: file, line: line)
            }
        }
        let simplified = ContourExtraction.contours(mask: mask, width: w, height: h)
        XCTAssertEqual(simplified.count, exact.count, "\(name): simplification changed the number of contours", file: file, line: line)
        let back = PolygonRasterizer.fill(simplified, width: w, height: h)
        let d = dice(back, truth)
        XCTAssertGreaterThanOrEqual(d, 0.98, "\(name): default simplification Dice", file: file, line: line)
        var dev = 0.0
        if deviation {
            for (e, s) in zip(exact, simplified) {
                XCTAssertEqual(e.isHole, s.isHole, file: file, line: line)
                dev = max(dev, directedHausdorff(s.points, e.points), directedHausdorff(e.points, s.points))
            }
            XCTAssertLessThanOrEqual(dev, 0.6 + 1e-9, "\(name): stated maximum deviation exceeded", file: file, line: line)
        }
        return (d, dev)
    }

    /// A random blob mask: a union of ellipses minus some smaller ones (holes, rings), plus isolated and
    /// diagonal pixels, some shapes cut by the image border.
    static func randomMask(_ rng: inout SeededRandom, width w: Int, height h: Int) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: w * h)
        func ellipse(_ value: UInt8, cx: Double, cy: Double, rx: Double, ry: Double, angle: Double) {
            let c = cos(angle), s = sin(angle)
            for j in 0..<h { for i in 0..<w {
                let x = Double(i) - cx, y = Double(j) - cy
                let u = (c * x + s * y) / rx, v = (-s * x + c * y) / ry
                if u * u + v * v <= 1 { m[j * w + i] = value }
            } }
        }
        for _ in 0..<rng.next(in: 1...4) {
            ellipse(1, cx: rng.unit() * Double(w), cy: rng.unit() * Double(h), rx: 2 + rng.unit() * Double(w) / 3,
                    ry: 2 + rng.unit() * Double(h) / 3, angle: rng.unit() * 3.2)
        }
        for _ in 0..<rng.next(in: 0...4) {
            ellipse(0, cx: rng.unit() * Double(w), cy: rng.unit() * Double(h), rx: 1 + rng.unit() * Double(w) / 8,
                    ry: 1 + rng.unit() * Double(h) / 8, angle: rng.unit() * 3.2)
        }
        for _ in 0..<rng.next(in: 0...12) { m[rng.next(in: 0...(w * h - 1))] ^= 1 }  // speckles and pinholes
        if w > 2 && h > 2 {  // a diagonal pair
            let i = rng.next(in: 0...(w - 2)), j = rng.next(in: 0...(h - 2))
            m[j * w + i] = 1; m[(j + 1) * w + i + 1] = 1; m[j * w + i + 1] = 0; m[(j + 1) * w + i] = 0
        }
        return m
    }

    // MARK: Hand-made cases

    func testSinglePixel() {
        let (m, w, h) = Self.mask(["...", ".#.", "..."])
        let exact = ContourExtraction.contours(mask: m, width: w, height: h, simplification: .none)
        XCTAssertEqual(exact.count, 1)
        XCTAssertEqual(exact[0].points, [SIMD2(0.5, 0.5), SIMD2(1.5, 0.5), SIMD2(1.5, 1.5), SIMD2(0.5, 1.5)])
        XCTAssertFalse(exact[0].isHole)
        XCTAssertEqual(exact[0].signedArea, 1, accuracy: 1e-12)
        let smooth = ContourExtraction.contours(mask: m, width: w, height: h)
        XCTAssertEqual(smooth[0].points.count, 4)  // the diamond through the edge midpoints
        XCTAssertEqual(smooth[0].signedArea, 0.5, accuracy: 1e-12)
        Self.check(m, w, h, name: "single pixel")
        // A single pixel in each corner of the image.
        let (c, cw, ch) = Self.mask(["#...#", ".....", "#...#"])
        XCTAssertEqual(ContourExtraction.contours(mask: c, width: cw, height: ch, simplification: .none).count, 4)
        Self.check(c, cw, ch, name: "corner pixels")
        // A 1×1 image.
        Self.check([1], 1, 1, name: "1x1")
        XCTAssertTrue(ContourExtraction.contours(mask: [0], width: 1, height: 1).isEmpty)
        XCTAssertTrue(ContourExtraction.contours(mask: [], width: 0, height: 0).isEmpty)
    }

    func testRingGivesOuterContourAndHole() {
        let (m, w, h) = Self.mask([".....", ".###.", ".#.#.", ".###.", "....."])
        let exact = ContourExtraction.contours(mask: m, width: w, height: h, simplification: .none)
        XCTAssertEqual(exact.count, 2)
        XCTAssertEqual(exact.filter(\.isHole).count, 1)
        XCTAssertEqual(exact.first { !$0.isHole }!.signedArea, 9, accuracy: 1e-12)
        XCTAssertEqual(exact.first { $0.isHole }!.signedArea, -1, accuracy: 1e-12)
        Self.check(m, w, h, name: "ring")
    }

    func testDiagonalPixelsAreSeparateObjectsAndDiagonalHolesAreNotHoles() {
        // 4-connected foreground: a diagonal pair is two contours meeting at one corner.
        let (d, dw, dh) = Self.mask(["#.", ".#"])
        let two = ContourExtraction.contours(mask: d, width: dw, height: dh, simplification: .none)
        XCTAssertEqual(two.count, 2)
        XCTAssertTrue(two.allSatisfy { !$0.isHole && abs($0.signedArea - 1) < 1e-12 })
        Self.check(d, dw, dh, name: "diagonal pair")
        let (a, aw, ah) = Self.mask([".#", "#."])
        XCTAssertEqual(ContourExtraction.contours(mask: a, width: aw, height: ah, simplification: .none).count, 2)
        Self.check(a, aw, ah, name: "anti-diagonal pair")
        // 8-connected background: the centre gap touches the outside through a corner → no hole;
        // the single outer contour passes through the saddle corner.
        let (r, rw, rh) = Self.mask(["##.", "#.#", "###"])
        let ring = ContourExtraction.contours(mask: r, width: rw, height: rh, simplification: .none)
        XCTAssertEqual(ring.filter(\.isHole).count, 0)
        XCTAssertEqual(ring.count, 1)
        XCTAssertEqual(ring[0].signedArea, 7, accuracy: 1e-12)
        Self.check(r, rw, rh, name: "open ring")
        // Checkerboard: every pixel is its own object.
        var cb = [UInt8](repeating: 0, count: 36)
        for j in 0..<6 { for i in 0..<6 where (i + j) % 2 == 0 { cb[j * 6 + i] = 1 } }
        XCTAssertEqual(ContourExtraction.contours(mask: cb, width: 6, height: 6, simplification: .none).count, 18)
        Self.check(cb, 6, 6, name: "checkerboard")
    }

    func testBorderTouchingObjectsAreClosedAlongTheBorder() {
        let full = [UInt8](repeating: 1, count: 7 * 5)
        let c = ContourExtraction.contours(mask: full, width: 7, height: 5, simplification: .none)
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c[0].points, [SIMD2(-0.5, -0.5), SIMD2(6.5, -0.5), SIMD2(6.5, 4.5), SIMD2(-0.5, 4.5)])
        Self.check(full, 7, 5, name: "full image")
        let (m, w, h) = Self.mask(["##..#", "#...#", "....#", "##.##"])
        Self.check(m, w, h, name: "border shapes")
        // Frame with a hole: the hole is the interior.
        let (f, fw, fh) = Self.mask(["####", "#..#", "####"])
        let frame = ContourExtraction.contours(mask: f, width: fw, height: fh, simplification: .none)
        XCTAssertEqual(frame.map(\.isHole).sorted { !$0 && $1 }, [false, true])
        Self.check(f, fw, fh, name: "frame")
    }

    func testNestedIslandInsideHole() {
        let (m, w, h) = Self.mask(["#######", "#.....#", "#.###.#", "#.#.#.#", "#.###.#", "#.....#", "#######"])
        let c = ContourExtraction.contours(mask: m, width: w, height: h, simplification: .none)
        XCTAssertEqual(c.count, 4)
        XCTAssertEqual(c.filter(\.isHole).count, 2)
        Self.check(m, w, h, name: "nested")
    }

    func testWorldPointsUseTheVolumeGeometry() {
        let g = Geometry(size: SIMD3(4, 4, 3), spacing: SIMD3(2, 3, 5), origin: SIMD3(10, 20, 30),
                         direction: Matrix3(rows: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]))
        let c = Contour(points: [SIMD2(-0.5, -0.5), SIMD2(1.5, 0.5)], isHole: false)
        let w = c.worldPoints(geometry: g, slice: 2)
        XCTAssertEqual(w[0].x, 11, accuracy: 1e-12); XCTAssertEqual(w[0].y, 21.5, accuracy: 1e-12); XCTAssertEqual(w[0].z, 40, accuracy: 1e-12)
        XCTAssertEqual(w[1].x, 7, accuracy: 1e-12); XCTAssertEqual(w[1].y, 18.5, accuracy: 1e-12)
    }

    func testLabelMapSliceContours() throws {
        var v = [UInt16](repeating: 0, count: 5 * 4 * 2)
        v[1 * 20 + 1 * 5 + 1] = 300; v[1 * 20 + 1 * 5 + 2] = 300; v[1 * 20 + 2 * 5 + 3] = 7
        let vol = Volume(geometry: Geometry(size: SIMD3(5, 4, 2)), voxels: .uint16(v))
        let c = try ContourExtraction.contours(labelMap: vol, label: 300, slice: 1, simplification: .none)
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c[0].signedArea, 2, accuracy: 1e-12)
        XCTAssertTrue(try ContourExtraction.contours(labelMap: vol, label: 300, slice: 0).isEmpty)
        TestData.assertError(.invalidArgument, mentioning: "slice 2") { _ = try ContourExtraction.contours(labelMap: vol, label: 1, slice: 2) }
    }

    // MARK: Random and real masks

    func testSeededRandomBlobsRoundTrip() {
        var rng = SeededRandom(seed: 20261122)
        var worstDice = 1.0, worstDev = 0.0, inexact = 0
        for n in 0..<120 {
            let w = rng.next(in: 1...48), h = rng.next(in: 1...48)
            let m = Self.randomMask(&rng, width: w, height: h)
            let (d, dev) = Self.check(m, w, h, name: "random \(n) (\(w)x\(h))")
            worstDice = min(worstDice, d); worstDev = max(worstDev, dev)
            if d < 1 { inexact += 1 }
        }
        print("random blobs: worst default Dice \(worstDice), worst deviation \(worstDev) px, \(inexact)/120 not exact")
    }

    /// Proper crossing of two segments (touching at end points does not count).
    static func segmentsCross(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD2<Double>, _ d: SIMD2<Double>) -> Bool {
        func orient(_ p: SIMD2<Double>, _ q: SIMD2<Double>, _ r: SIMD2<Double>) -> Double {
            (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
        }
        let o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b)
        return o1 * o2 < -1e-12 && o3 * o4 < -1e-12
    }

    /// With the default simplification, contours stay simple and never cross each other (the midpoint
    /// polygons of distinct boundaries are ≥ √2/2 px apart and each moves by < 0.25 px).
    func testDefaultContoursNeitherSelfIntersectNorCross() {
        var rng = SeededRandom(seed: 77)
        for n in 0..<40 {
            let w = rng.next(in: 4...40), h = rng.next(in: 4...40)
            let m = Self.randomMask(&rng, width: w, height: h)
            let contours = ContourExtraction.contours(mask: m, width: w, height: h)
            var segs: [(SIMD2<Double>, SIMD2<Double>)] = []
            for c in contours { for a in c.points.indices { segs.append((c.points[a], c.points[(a + 1) % c.points.count])) } }
            var crossings = 0
            for x in segs.indices { for y in (x + 1)..<segs.count where Self.segmentsCross(segs[x].0, segs[x].1, segs[y].0, segs[y].1) { crossings += 1 } }
            XCTAssertEqual(crossings, 0, "random \(n) (\(w)x\(h))")
        }
    }

    func testRealReferenceMasksRoundTrip() throws {
        var cases: [(String, Volume)] = []
        for name in ["3DBox_CT_TSsmall", "3DBox_MR_brain2"] {
            let path = TestData.sampleData.appendingPathComponent("reference/\(name)/reference_segs.npz").path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            cases.append((name, try NPZVolume.read(path: path)))
        }
        if let p = try? TestData.sharedData("A/TotalSegmentator/tests/reference_files/example_seg.nii.gz") {
            cases.append(("example_seg", try NIfTIReader.read(path: p)))
        }
        if cases.isEmpty { throw XCTSkip("no reference masks found") }
        for (name, vol) in cases {
            let s = vol.size
            let labels = vol.voxels.labelValues
            var exactSlices = 0, total = 0
            var worst = 1.0
            for label in Set(labels).subtracting([0]).sorted() {
                var truth = [UInt8](repeating: 0, count: labels.count)
                var back = truth
                for k in 0..<s.z {
                    let base = k * s.x * s.y
                    let m = (0..<(s.x * s.y)).map { labels[base + $0] == label ? UInt8(1) : 0 }
                    if !m.contains(1) { continue }
                    total += 1
                    let exact = ContourExtraction.contours(mask: m, width: s.x, height: s.y, simplification: .none)
                    XCTAssertEqual(PolygonRasterizer.fill(exact, width: s.x, height: s.y), m, "\(name) label \(label) slice \(k)")
                    let filled = PolygonRasterizer.fill(ContourExtraction.contours(mask: m, width: s.x, height: s.y), width: s.x, height: s.y)
                    if filled == m { exactSlices += 1 }
                    for q in 0..<m.count { truth[base + q] = m[q]; back[base + q] = filled[q] }
                }
                let d = Self.dice(back, truth)
                worst = min(worst, d)
                XCTAssertGreaterThanOrEqual(d, 0.98, "\(name) label \(label): default simplification Dice")
            }
            print("\(name): \(total) object slices, default simplification exact on \(exactSlices), worst per-object Dice \(worst)")
        }
    }

    /// A liver-size blob on a 512×512 slice: timing of the default extraction.
    func testLiverSizeSliceSpeed() {
        let w = 512, h = 512
        var m = [UInt8](repeating: 0, count: w * h)
        var rng = SeededRandom(seed: 5)
        let bumps = (0..<12).map { _ in (rng.unit() * 6.3, 4 + rng.unit() * 10) }
        for j in 0..<h { for i in 0..<w {
            let x = Double(i) - 260, y = Double(j) - 240
            let a = atan2(y, x)
            var r = 150.0
            for (phase, amp) in bumps { r += amp * sin(3 * a + phase) / 3 }
            if (x * x / 1.3 + y * y * 1.2).squareRoot() < r { m[j * w + i] = 1 }
        } }
        m[240 * w + 260] = 0  // a pinhole
        var best = Double.infinity
        var c: [Contour] = []
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            c = ContourExtraction.contours(mask: m, width: w, height: h)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let exactVertices = ContourExtraction.contours(mask: m, width: w, height: h, simplification: .none).reduce(0) { $0 + $1.points.count }
        print("512x512 liver-size slice (\(m.reduce(0) { $0 + Int($1) }) px): \(String(format: "%.2f", best)) ms, \(c.count) contours, \(c.reduce(0) { $0 + $1.points.count }) vertices (exact: \(exactVertices))")
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(PolygonRasterizer.fill(c, width: w, height: h), m)
        #if DEBUG
        XCTAssertLessThan(best, 500)
        #else
        XCTAssertLessThan(best, 10)
        #endif
    }
}
