import VoxSAMCore
import VoxSAMProtocol

/// Writes a label map as a BINARY DICOM Segmentation of its source series (through dcmseg): one
/// segment per label (label, CIELab colour, category/type codes, the algorithm type — with name and
/// version unless MANUAL), one frame per non-empty (segment, slice) referencing the source instance, per-frame
/// plane position, shared plane orientation and pixel measures, dimension index (segment, position),
/// patient/study/frame of reference from the source, new series and instance UIDs.
public enum DICOMSegWriter {
    public struct Result: Sendable {
        public var sopInstanceUID: String
        public var seriesInstanceUID: String
        public var frameCount: Int
        /// SegmentNumber of each written label (numbers run 1…N over the non-empty labels, so they
        /// differ from label values when labels are not 1…N).
        public var segmentNumbers: [Int: Int]
        /// Labels of the description list with no voxel (not written: a segment needs a frame).
        public var emptyLabels: [Int]
    }

    /// `labelMap` must be on `source`'s grid (see `DICOMSourceSeries.align`); `segments` must
    /// describe every label present.
    public static func write(labelMap: Volume, source: DICOMSourceSeries, segments: [SegmentDescription],
                             series: DerivedSeriesInfo, algorithm: (Int) -> SegmentationAlgorithm,
                             to path: String) throws -> Result {
        let g = source.geometry
        let (slices, present) = try source.labelSlices(of: labelMap, described: segments, output: path)
        guard !present.isEmpty else {
            throw VoxSAMError(.invalidArgument, "the label map is empty (no voxel above 0): a DICOM SEG needs at least one segmented frame", path: path)
        }

        let builder = try DICOMSegBuilder(sourceFile: source.slices[0].file, rows: g.size.y, columns: g.size.x, series: series)
        let d = g.direction
        try builder.setGeometry(orientation: [d[0, 0], d[1, 0], d[2, 0], d[0, 1], d[1, 1], d[2, 1]],
                                pixelSpacing: [g.spacing.y, g.spacing.x], sliceThickness: source.sliceThickness ?? g.spacing.z,
                                spacingBetweenSlices: g.spacing.z)
        var seen = Set<String>()
        for r in source.slices where seen.insert(r.sopInstanceUID).inserted {
            try builder.addSourceInstance(seriesUID: source.seriesInstanceUID, sopClassUID: r.sopClassUID, sopInstanceUID: r.sopInstanceUID)
        }
        var frames = 0
        var empty: [Int] = []
        var numbers: [Int: Int] = [:]
        for s in segments.sorted(by: { $0.label < $1.label }) {
            guard present.contains(s.label) else { empty.append(s.label); continue }
            let number = try builder.addSegment(s, cielab: CIELab.dicom(s.color), algorithm: algorithm(s.label))
            numbers[s.label] = Int(number)
            for k in 0..<g.size.z {
                guard let mask = slices.mask(label: s.label, slice: k) else { continue }
                try builder.addFrame(segment: number, sliceIndex: k + 1,
                                     position: g.worldPoint(index: SIMD3(0, 0, Double(k))),
                                     source: source.slices[k], pixels: mask)
                frames += 1
            }
        }
        var uids = (instance: "", series: "")
        try AtomicWrite.write(to: path) { tmp in uids = try builder.write(to: tmp) }
        return Result(sopInstanceUID: uids.instance, seriesInstanceUID: uids.series, frameCount: frames, segmentNumbers: numbers, emptyLabels: empty)
    }
}
