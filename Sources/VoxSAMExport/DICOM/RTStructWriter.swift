import VoxSAMCore
import VoxSAMProtocol

/// Writes a label map as an RT Structure Set of its source series (through dcmrt): per label a ROI
/// (name, display colour, generation algorithm and description, category and identification codes) whose
/// CLOSED_PLANAR contours are the label's boundaries on each source slice, in LPS millimetres
/// (`ContourExtraction`: holes are separate contours, so readers that fill with the even-odd rule
/// get the holes back), each referencing its source image.
public enum RTStructWriter {
    public struct Result: Sendable {
        public var sopInstanceUID: String
        public var contourCount: Int
        public var emptyLabels: [Int]
    }

    public static func write(labelMap: Volume, source: DICOMSourceSeries, segments: [SegmentDescription],
                             series: DerivedSeriesInfo, algorithm: (Int) -> SegmentationAlgorithm,
                             simplification: ContourSimplification = .default,
                             to path: String) throws -> Result {
        let g = source.geometry
        let (slices, present) = try source.labelSlices(of: labelMap, described: segments, output: path)

        let builder = try RTStructBuilder(sourceFile: source.slices[0].file, series: series)
        var seen = Set<String>()
        for r in source.slices where seen.insert(r.sopInstanceUID).inserted {
            try builder.addSourceInstance(seriesUID: source.seriesInstanceUID, sopClassUID: r.sopClassUID, sopInstanceUID: r.sopInstanceUID)
        }
        var count = 0
        var empty: [Int] = []
        for s in segments.sorted(by: { $0.label < $1.label }) {
            // Every described structure becomes a ROI (an empty ROI is valid and tells the planner
            // the structure was looked for); its contours follow.
            let a = algorithm(s.label)
            let roi = try builder.addROI(s, interpretedType: interpretedType(s), algorithm: a.kind.dicomTerm, description: a.description)
            guard present.contains(s.label) else { empty.append(s.label); continue }
            for k in 0..<g.size.z {
                guard let mask = slices.mask(label: s.label, slice: k) else { continue }
                for c in ContourExtraction.contours(mask: mask, width: g.size.x, height: g.size.y, simplification: simplification) {
                    var points: [Double] = []
                    points.reserveCapacity(c.points.count * 3)
                    for p in c.worldPoints(geometry: g, slice: k) { points += [p.x, p.y, p.z] }
                    try builder.addContour(roi: roi, points: points, source: source.slices[k])
                    count += 1
                }
            }
        }
        var uid = ""
        try AtomicWrite.write(to: path) { tmp in uid = try builder.write(to: tmp) }
        return Result(sopInstanceUID: uid, contourCount: count, emptyLabels: empty)
    }

    /// RTROIInterpretedType from the segment's category: GTV for morphologically altered structures
    /// (tumours, lesions), ORGAN for everything else.
    static func interpretedType(_ s: SegmentDescription) -> String {
        switch s.category.value {
        case "49755003": return "GTV"  // Morphologically Altered Structure (tumour, lesion)
        default: return "ORGAN"
        }
    }
}
