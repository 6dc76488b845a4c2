import Foundation
import VoxSAMCore

/// A series turned into an ordered stack on a grid, before any pixel is decoded.
struct DICOMVolumePlan: Sendable {
    var key: String
    /// The frame of each k-slice, in k order.
    var slices: [DICOMFrameRef]
    var geometry: Geometry
    var volumeCount: Int
    var volumeIndex: Int
    var warnings: [String]
}

/// Orders a series' frames along the slice normal and checks that they form a regular grid.
///
/// The normal is row × column of ImageOrientationPatient (0020,0037); frames are sorted by
/// their ImagePositionPatient (0020,0032) projected on it (ascending, so k runs along the normal,
/// as ITK does). Frames sharing a position form several volumes (time points, echoes, …) when
/// every position holds the same number; otherwise they are duplicates. The stack must be
/// uniform (no gaps, constant spacing) and not sheared (gantry tilt); `allowIrregular` reads such
/// stacks anyway with the mean spacing, or on a sheared grid for a tilt, and says so.
enum DICOMVolumePlanner {
    /// Positions closer than this along the normal (mm) are the same slice position.
    static let samePositionTolerance = 0.005

    static func plan(_ group: DICOMSeriesGroup, headers: [DICOMFileHeader], options: DICOMReadOptions,
                     sourcePath: String) throws -> DICOMVolumePlan {
        let refs = group.frames
        guard let first = refs.first else {
            throw VoxSAMError(.internal, "series \(group.key) has no images", path: sourcePath)
        }
        func attributes(_ r: DICOMFrameRef) -> DICOMFrameAttributes { headers[r.file].frames[r.frame] }
        func fail(_ code: VoxSAMError.Code, _ message: String) -> VoxSAMError {
            VoxSAMError(code, "series \(group.key): \(message)", path: sourcePath)
        }
        var warnings = group.warnings
        try checkPixelFormat(headers[first.file], fail: fail, warnings: &warnings)
        if let bad = refs.first(where: { attributes($0).rescaleSlope.map { $0 == 0 || !$0.isFinite } ?? false }) {
            warnings.append("\(DICOMTag.rescaleSlope) is \(attributes(bad).rescaleSlope!) in \(describe(bad, headers)), which is invalid; "
                + "the slope is ignored (treated as 1) where it is")
        }

        let header = headers[first.file]
        let rows = header.image.rows, columns = header.image.columns
        let firstAttributes = attributes(first)
        var pixelSpacing = SIMD2<Double>(1, 1)
        if let ps = firstAttributes.pixelSpacing {
            guard ps.x > 0, ps.y > 0, ps.x.isFinite, ps.y.isFinite else {
                throw fail(.geometry, "\(DICOMTag.pixelSpacing) of \(describe(first, headers)) is \(ps.x.isNaN || ps.y.isNaN ? "not two numbers" : format(ps.x) + "\\" + format(ps.y)): "
                    + "it must be two positive numbers (mm)")
            }
            pixelSpacing = ps
        } else {
            warnings.append("PixelSpacing (0028,0030) is absent (also in PixelMeasuresSequence (0028,9110)); using 1 mm")
        }

        let located = refs.filter { attributes($0).position != nil && attributes($0).orientation != nil }
        if located.isEmpty {
            return try planWithoutGeometry(group, headers: headers, options: options, pixelSpacing: pixelSpacing,
                                           rows: rows, columns: columns, warnings: warnings, fail: fail)
        }
        if located.count < refs.count {
            let missing = refs.first { attributes($0).position == nil || attributes($0).orientation == nil }!
            throw fail(.geometry, "\(refs.count - located.count) of \(refs.count) images lack \(DICOMTag.imagePositionPatient) or "
                + "\(DICOMTag.imageOrientationPatient) (e.g. \(describe(missing, headers))); cannot place them in the volume")
        }

        if let bad = refs.first(where: { !(attributes($0).position!.x.isFinite && attributes($0).position!.y.isFinite && attributes($0).position!.z.isFinite) }) {
            throw fail(.geometry, "\(DICOMTag.imagePositionPatient) of \(describe(bad, headers)) is not three finite numbers")
        }

        // Axes from the first image's orientation.
        let orientation = firstAttributes.orientation!
        let rowLength = length(orientation.row), columnLength = length(orientation.column)
        guard rowLength > 0.5, columnLength > 0.5, rowLength.isFinite, columnLength.isFinite else {
            throw fail(.geometry, "\(DICOMTag.imageOrientationPatient) of \(describe(first, headers)) is not made of unit vectors")
        }
        let row = orientation.row / rowLength, column = orientation.column / columnLength
        let dotRC = (row * column).sum()
        guard abs(dotRC) < 1e-3 else {
            throw fail(.geometry, "\(DICOMTag.imageOrientationPatient) row and column cosines of \(describe(first, headers)) "
                + "are not orthogonal (dot product \(format(dotRC)))")
        }
        let normal = normalize(cross(row, column))

        // Sort along the normal; frames at the same position in volume order.
        struct Entry { var ref: DICOMFrameRef; var position: SIMD3<Double>; var distance: Double }
        var entries = refs.map { r -> Entry in
            let p = attributes(r).position!
            return Entry(ref: r, position: p, distance: (p * normal).sum())
        }
        entries.sort { a, b in
            if abs(a.distance - b.distance) > samePositionTolerance { return a.distance < b.distance }
            return volumeOrder(a.ref, b.ref, headers)
        }
        var clusters: [[Entry]] = []
        for e in entries {
            if let last = clusters.last?.first, abs(e.distance - last.distance) <= samePositionTolerance {
                clusters[clusters.count - 1].append(e)
            } else {
                clusters.append([e])
            }
        }

        // Volumes or duplicates.
        let counts = Set(clusters.map(\.count))
        var volumeCount = 1, volumeIndex = 0
        var chosen: [Entry]
        if counts.count == 1 {
            volumeCount = counts.first!
            volumeIndex = options.volumeIndex ?? 0
            guard volumeIndex >= 0 && volumeIndex < volumeCount else {
                throw fail(.invalidArgument, "volume index \(volumeIndex) is out of range: the series holds \(volumeCount) "
                    + "volume\(volumeCount == 1 ? "" : "s") (0...\(volumeCount - 1))")
            }
            chosen = clusters.map { $0[volumeIndex] }
            if volumeCount > 1 {
                let differing = distinguishing(clusters[0].map(\.ref), headers)
                let how = differing.isEmpty ? "" : " (they differ in \(differing.joined(separator: ", ")))"
                if options.volumeIndex == nil {
                    warnings.append("the series holds \(volumeCount) volumes at each of its \(clusters.count) slice positions\(how); "
                        + "read volume 1 of \(volumeCount) — choose another with volumeIndex (--volume 0...\(volumeCount - 1))")
                } else {
                    warnings.append("read volume \(volumeIndex + 1) of the \(volumeCount) volumes at each slice position\(how)")
                }
            }
        } else {
            let crowded = clusters.filter { $0.count > 1 }
            let example = crowded[0]
            let detail = "\(crowded.count) of \(clusters.count) slice positions hold more than one image (e.g. "
                + example.prefix(3).map { describe($0.ref, headers) }.joined(separator: " and ")
                + " at \(format(example[0].distance)) mm along the slice normal; \(DICOMTag.imagePositionPatient))"
            guard options.allowIrregular else {
                throw fail(.geometry, "duplicate slice positions: \(detail). Pass allowIrregular (--allow-irregular) "
                    + "to keep the first image at each position")
            }
            if let v = options.volumeIndex, v != 0 {
                throw fail(.invalidArgument, "volume index \(v): the series does not hold separate volumes (duplicate positions are irregular)")
            }
            warnings.append("duplicate slice positions: \(detail); kept the first image at each position (allowIrregular)")
            chosen = clusters.map { $0[0] }
        }

        // Spacing along k: regular grid, gaps, shear.
        let n = chosen.count
        var kDirection = normal
        var kSpacing: Double
        let origin = chosen[0].position
        if n == 1 {
            let a = attributes(chosen[0].ref)
            kSpacing = [a.spacingBetweenSlices, a.sliceThickness].compactMap { $0 }.first { $0 > 0 } ?? 1
        } else {
            let step = (chosen[n - 1].position - origin) / Double(n - 1)
            let along = (step * normal).sum()
            let lateral = step - along * normal
            kSpacing = along
            let minPixel = min(pixelSpacing.x, pixelSpacing.y)
            let toleranceAlong = max(1e-3, 0.05 * along)
            let toleranceLateral = max(1e-3, 0.05 * minPixel)
            var worstAlong = 0.0, worstLateral = 0.0
            for (k, e) in chosen.enumerated() {
                let r = e.position - (origin + Double(k) * step)
                let rAlong = (r * normal).sum()
                worstAlong = max(worstAlong, abs(rAlong))
                worstLateral = max(worstLateral, length(r - rAlong * normal))
            }
            if worstAlong > toleranceAlong {
                let message = describeSpacing(chosen.map(\.distance), refs: chosen.map(\.ref), headers: headers)
                guard options.allowIrregular else {
                    throw fail(.geometry, "slice positions (\(DICOMTag.imagePositionPatient) along the normal of "
                        + "\(DICOMTag.imageOrientationPatient)) are not a regular grid: \(message). Pass allowIrregular "
                        + "(--allow-irregular) to read it anyway with the mean spacing \(format(along)) mm")
                }
                warnings.append("irregular slice spacing: \(message); read with the mean spacing \(format(along)) mm "
                    + "(allowIrregular) — positions of individual slices are off by up to \(format(worstAlong)) mm")
            }
            if worstLateral > toleranceLateral {
                guard options.allowIrregular else {
                    throw fail(.geometry, "slice positions (\(DICOMTag.imagePositionPatient)) do not lie on a line: they "
                        + "deviate up to \(format(worstLateral)) mm sideways from the line through the first and last slice. "
                        + "Pass allowIrregular (--allow-irregular) to read it anyway")
                }
                warnings.append("slice positions deviate up to \(format(worstLateral)) mm sideways from a line (allowIrregular)")
            }
            let drift = length(lateral) * Double(n - 1)
            if drift > toleranceLateral {
                let angle = atan2(length(lateral), along) * 180 / .pi
                var tilt = ""
                if let t = headers[chosen[0].ref.file].gantryDetectorTilt, t != 0 {
                    tilt = "; \(DICOMTag.gantryDetectorTilt) = \(format(t))°"
                }
                let what = "gantry tilt / sheared stack: successive \(DICOMTag.imagePositionPatient) move "
                    + "\(format(length(lateral))) mm sideways per slice (\(format(angle))° from the normal of "
                    + "\(DICOMTag.imageOrientationPatient)\(tilt))"
                guard options.allowIrregular else {
                    throw fail(.geometry, "\(what). Pass allowIrregular (--allow-irregular) to read it on a sheared grid "
                        + "(exact slice positions, k axis not perpendicular to the slices)")
                }
                warnings.append("\(what); read on a sheared grid whose k axis follows the slice positions (allowIrregular)")
                kDirection = step / length(step)
                kSpacing = length(step)
            }
        }

        let geometry = Geometry(size: SIMD3(columns, rows, n), spacing: SIMD3(pixelSpacing.y, pixelSpacing.x, kSpacing),
                                origin: origin, direction: Matrix3(columns: row, column, kDirection))
        return DICOMVolumePlan(key: group.key, slices: chosen.map(\.ref), geometry: geometry, volumeCount: volumeCount,
                               volumeIndex: volumeIndex, warnings: warnings)
    }

    // MARK: pieces

    /// Refuses colour and unsupported sample formats; warns about MONOCHROME1.
    private static func checkPixelFormat(_ h: DICOMFileHeader, fail: (VoxSAMError.Code, String) -> VoxSAMError,
                                         warnings: inout [String]) throws {
        let photometric = h.image.photometricInterpretation
        if h.image.samplesPerPixel != 1 || photometric.hasPrefix("RGB") || photometric.hasPrefix("YBR") || photometric == "PALETTE COLOR" {
            throw fail(.unsupportedData, "colour images are not supported: \(DICOMTag.samplesPerPixel) = \(h.image.samplesPerPixel), "
                + "\(DICOMTag.photometricInterpretation) = \(photometric.isEmpty ? "absent" : photometric) in "
                + "\((h.path as NSString).lastPathComponent); VoxSAM segments grayscale CT and MR images")
        }
        if ![8, 16, 32].contains(h.image.bitsAllocated) {
            throw fail(.unsupportedData, "\(DICOMTag.bitsAllocated) = \(h.image.bitsAllocated) is not supported (8, 16 or 32)")
        }
        if photometric == "MONOCHROME1" {
            warnings.append("\(DICOMTag.photometricInterpretation) is MONOCHROME1: higher values display darker; values are kept as stored")
        }
    }

    /// Frames without ImagePositionPatient/ImageOrientationPatient: stacked in InstanceNumber/frame
    /// order on an identity grid, with a warning.
    private static func planWithoutGeometry(_ group: DICOMSeriesGroup, headers: [DICOMFileHeader], options: DICOMReadOptions,
                                            pixelSpacing: SIMD2<Double>, rows: Int, columns: Int, warnings: [String],
                                            fail: (VoxSAMError.Code, String) -> VoxSAMError) throws -> DICOMVolumePlan {
        if let v = options.volumeIndex, v != 0 {
            throw fail(.invalidArgument, "volume index \(v) is out of range: without slice positions the series is read as one volume")
        }
        let a = headers[group.frames[0].file].frames[group.frames[0].frame]
        var source = "1 mm (no \(DICOMTag.spacingBetweenSlices) or \(DICOMTag.sliceThickness))"
        var kSpacing = 1.0
        if let s = a.spacingBetweenSlices, s > 0 {
            kSpacing = s
            source = "\(format(s)) mm from \(DICOMTag.spacingBetweenSlices)"
        } else if let s = a.sliceThickness, s > 0 {
            kSpacing = s
            source = "\(format(s)) mm from \(DICOMTag.sliceThickness)"
        }
        var w = warnings
        w.append("no \(DICOMTag.imagePositionPatient) / \(DICOMTag.imageOrientationPatient) (nor \(DICOMTag.planePositionSequence) / "
            + "\(DICOMTag.planeOrientationSequence)): \(group.frames.count) image\(group.frames.count == 1 ? "" : "s") stacked in "
            + "InstanceNumber and frame order with slice spacing \(source); origin and axes are not patient coordinates")
        let geometry = Geometry(size: SIMD3(columns, rows, group.frames.count), spacing: SIMD3(pixelSpacing.y, pixelSpacing.x, kSpacing))
        return DICOMVolumePlan(key: group.key, slices: group.frames, geometry: geometry, volumeCount: 1, volumeIndex: 0, warnings: w)
    }

    /// Order of frames that share a position: by TemporalPositionIndex, DimensionIndexValues,
    /// EchoNumbers, AcquisitionNumber, echo time, b-value, trigger time, then InstanceNumber,
    /// file and frame.
    static func volumeOrder(_ a: DICOMFrameRef, _ b: DICOMFrameRef, _ headers: [DICOMFileHeader]) -> Bool {
        let fa = headers[a.file].frames[a.frame], fb = headers[b.file].frames[b.frame]
        func cmp<T: Comparable>(_ x: T?, _ y: T?) -> Bool? {
            switch (x, y) {
            case let (x?, y?): x == y ? nil : x < y
            case (nil, .some): true
            case (.some, nil): false
            case (nil, nil): nil
            }
        }
        if let r = cmp(fa.temporalPositionIndex, fb.temporalPositionIndex) { return r }
        // Enhanced objects order their frames by DimensionIndexValues (0020,9157).
        if fa.dimensionIndexValues.count == fb.dimensionIndexValues.count, fa.dimensionIndexValues != fb.dimensionIndexValues {
            return fa.dimensionIndexValues.lexicographicallyPrecedes(fb.dimensionIndexValues)
        }
        if let r = cmp(fa.echoNumber, fb.echoNumber) { return r }
        if let r = cmp(fa.acquisitionNumber, fb.acquisitionNumber) { return r }
        if let r = cmp(fa.echoTime, fb.echoTime) { return r }
        if let r = cmp(fa.bValue, fb.bValue) { return r }
        if let r = cmp(fa.triggerTime, fb.triggerTime) { return r }
        if let r = cmp(headers[a.file].instanceNumber, headers[b.file].instanceNumber) { return r }
        if headers[a.file].path != headers[b.file].path { return headers[a.file].path < headers[b.file].path }
        return a.frame < b.frame
    }

    /// Names of the attributes that vary among frames at one position.
    static func distinguishing(_ refs: [DICOMFrameRef], _ headers: [DICOMFileHeader]) -> [String] {
        let f = refs.map { headers[$0.file].frames[$0.frame] }
        var names: [String] = []
        func check<T: Hashable>(_ values: [T?], _ name: String) { if Set(values).count > 1 { names.append(name) } }
        check(f.map(\.temporalPositionIndex), "TemporalPositionIndex (0020,9128)")
        check(f.map(\.acquisitionNumber), "AcquisitionNumber (0020,0012) / FrameAcquisitionNumber (0020,9156)")
        check(f.map(\.echoNumber), DICOMTag.echoNumbers.description)
        check(f.map(\.echoTime), "EchoTime (0018,0081) / EffectiveEchoTime (0018,9082)")
        check(f.map(\.bValue), DICOMTag.diffusionBValue.description)
        check(f.map(\.triggerTime), DICOMTag.triggerTime.description)
        check(f.map { Optional($0.frameType) }, "ImageType (0008,0008) / FrameType (0008,9007)")
        check(refs.map { headers[$0.file].seriesNumber }, DICOMTag.seriesNumber.description)
        return names
    }

    /// "spacing varies from a to b mm (median m); gap of g mm between slice k (file) and k+1 (file): about r missing slices".
    private static func describeSpacing(_ distances: [Double], refs: [DICOMFrameRef], headers: [DICOMFileHeader]) -> String {
        let gaps = zip(distances.dropFirst(), distances).map { $0 - $1 }
        let sorted = gaps.sorted()
        let median = sorted[sorted.count / 2]
        var text = "spacing varies from \(format(sorted.first!)) to \(format(sorted.last!)) mm (median \(format(median)) mm)"
        let big = gaps.enumerated().filter { $0.element > 1.5 * median }.sorted { $0.element > $1.element }
        if let g = big.first {
            let missing = Int((g.element / median).rounded()) - 1
            text += "; \(big.count) gap\(big.count == 1 ? "" : "s"), the largest \(format(g.element)) mm between slice \(g.offset) "
                + "(\(describe(refs[g.offset], headers))) and \(g.offset + 1) (\(describe(refs[g.offset + 1], headers))): "
                + "about \(max(missing, 1)) missing slice\(missing > 1 ? "s" : "")"
        }
        return text
    }

    static func describe(_ r: DICOMFrameRef, _ headers: [DICOMFileHeader]) -> String {
        let h = headers[r.file]
        let name = (h.path as NSString).lastPathComponent
        return h.image.frameCount > 1 ? "\(name) frame \(r.frame + 1)" : name
    }

    static func format(_ v: Double) -> String {
        let s = String(format: "%.4f", v)
        var t = Substring(s)
        while t.contains("."), t.last == "0" { t.removeLast() }
        if t.last == "." { t.removeLast() }
        return t == "-0" ? "0" : String(t)
    }

    private static func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
    private static func normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / length(v) }
    private static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
}
