import Foundation
import VoxSAMCore
import VoxSAMIO

/// The `--confidence` report: per object and slice (JSON or CSV). Schema in the README.
public struct ConfidenceReport: Codable, Sendable {
    public struct Object: Codable, Sendable {
        public var name: String
        public var label: Int
        public var box: [Int]
        public var keySlice: Int
        public var sliceRange: [Int]
        public var slicesSegmented: Int
        public var voxels: Int
        public var volumeML: Double
        public var meanIoU: Float
        public var minIoU: Float
        public var meanStability: Float
        public var lowConfidenceSlices: [Int]
        /// Where a key box would most likely help, most likely first (`SuggestedSlices`).
        public var suggestedSlices: [Int]
        /// The key boxes the object was given (absent when none).
        public var keyBoxes: [KeyBox]?
        /// The colour the object was given `[r, g, b]` (absent: the catalogue's).
        public var color: [Int]?
        /// The 5th–95th percentile of the start slice's mask intensities `[lo, hi]` in the 8-bit
        /// slices (absent: that mask was empty); `intensity_outliers` are measured against it.
        public var intensityBand: [Int]?
        public var slices: [SliceRecord]

        enum CodingKeys: String, CodingKey {
            case name, label, box, keySlice = "key_slice", sliceRange = "slice_range", slicesSegmented = "slices_segmented"
            case voxels, volumeML = "volume_ml", meanIoU = "mean_iou", minIoU = "min_iou", meanStability = "mean_stability"
            case lowConfidenceSlices = "low_confidence_slices", suggestedSlices = "suggested_slices", keyBoxes = "key_boxes"
            case color, intensityBand = "intensity_band", slices
        }

        /// The object as an earlier run for `voxsam refine` (its prompt with the start slice it used).
        public var earlier: ObjectResult {
            ObjectResult(prompt: ObjectPrompt(name: name, label: label, box: VoxelBox(box), keySlice: keySlice,
                                              color: color.map { RGB(UInt8($0[0]), UInt8($0[1]), UInt8($0[2])) }, keyBoxes: keyBoxes ?? []),
                         slices: slices, voxels: voxels, volumeML: volumeML,
                         intensityBand: intensityBand.map { $0[0]...$0[1] })
        }
    }

    /// 2: what `voxsam refine` needs (model identity, image hash, series, protocol, label maps, colours,
    /// intensity bands).
    public var version = 2
    public var input: String
    /// The DICOM series read, when one was chosen (`--series`, the protocol).
    public var series: String?
    /// The protocol's name, when one was used.
    public var protocolName: String?
    /// What the embeddings depend on: checkpoint SHA-256, arithmetic, preprocessing.
    public var modelIdentity: String?
    /// SHA-256 of the windowed 8-bit volume (size, then voxels in stored order): a refinement checks
    /// it is given the same image.
    public var imageSHA256: String?
    /// The label maps written with this report (file names beside it, or absolute paths).
    public var labelMaps: [String]?
    public var model: String
    public var propagation: String
    public var axis: String
    /// The window the 8-bit slices were made with (window grammar, e.g. `400,40`, `p0.5,99.5`).
    public var window: String?
    public var lowConfidenceThreshold: Float
    public var encoderCalls: Int
    /// Slices whose embedding came from `--cache` (absent without a cache).
    public var cacheHits: Int?
    public var seconds: Double
    /// Threads the model was given, and the most that worked at once.
    public var threads: Int?
    public var threadsUsed: Int?
    /// The encoder arithmetic that ran (`fp32`, or `int8` with `--precision int8`).
    public var precision: String?
    public var objects: [Object]

    enum CodingKeys: String, CodingKey {
        case version, input, series, protocolName = "protocol", modelIdentity = "model_identity", imageSHA256 = "image_sha256"
        case labelMaps = "label_maps", model, propagation, axis, window, lowConfidenceThreshold = "low_confidence_threshold"
        case encoderCalls = "encoder_calls", cacheHits = "cache_hits", seconds, threads, threadsUsed = "threads_used", precision, objects
    }

    public init(result: SegmentationResult, input: String, model: String) {
        self.input = input
        self.model = model
        propagation = result.mode.rawValue
        axis = result.axis.name
        lowConfidenceThreshold = result.lowConfidenceThreshold
        encoderCalls = result.encoderCalls
        cacheHits = result.cacheHits
        seconds = (result.seconds * 1000).rounded() / 1000
        threads = result.threads?.configured
        threadsUsed = result.threads?.used
        precision = result.precision?.rawValue
        objects = result.objects.map { o in
            let ious = o.slices.map(\.iouPrediction)
            let range = result.axis.planeBox(o.prompt.box).slices
            let key = o.slices.first?.slice ?? range.lowerBound
            return Object(name: o.prompt.name, label: o.prompt.label, box: o.prompt.box.array, keySlice: key,
                          sliceRange: [range.lowerBound, range.upperBound], slicesSegmented: o.slices.count,
                          voxels: o.voxels, volumeML: o.volumeML,
                          meanIoU: ious.isEmpty ? 0 : ious.reduce(0, +) / Float(ious.count), minIoU: ious.min() ?? 0,
                          meanStability: o.slices.isEmpty ? 0 : o.slices.map(\.stabilityScore).reduce(0, +) / Float(o.slices.count),
                          lowConfidenceSlices: o.slices.filter(\.lowConfidence).map(\.slice).sorted(),
                          suggestedSlices: SuggestedSlices.rank(o.slices),
                          keyBoxes: o.prompt.keyBoxes.isEmpty ? nil : o.prompt.keyBoxes.sorted { $0.slice < $1.slice },
                          color: o.prompt.color.map { [Int($0.r), Int($0.g), Int($0.b)] },
                          intensityBand: o.intensityBand.map { [$0.lowerBound, $0.upperBound] },
                          slices: o.slices)
        }
    }

    /// SHA-256 of a windowed 8-bit volume: its size, then its voxels (`imageSHA256`).
    public static func imageHash(_ image8: Volume) -> String {
        var h = SHA256()
        let s = image8.size
        h.update(Array("\(s.x)x\(s.y)x\(s.z)\n".utf8))
        if case .uint8(let a) = image8.voxels { a.withUnsafeBytes { h.update($0) } }
        return h.hexDigest()
    }

    /// Reads a JSON report (`voxsam refine`); one error naming the file.
    public static func read(path: String) throws -> ConfidenceReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoxSAMError(.notFound, "the confidence report cannot be read; check the path", path: path)
        }
        do {
            return try JSONDecoder().decode(ConfidenceReport.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw VoxSAMError(.invalidArgument, "not a VoxSAM confidence report (JSON): `\(key.stringValue)` is missing at \(codingPath(context.codingPath))", path: path)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw VoxSAMError(.invalidArgument, "not a VoxSAM confidence report (JSON): wrong value at \(codingPath(context.codingPath))", path: path)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw VoxSAMError(.invalidArgument, "not a VoxSAM confidence report: not valid JSON", path: path)
        } catch let DecodingError.dataCorrupted(context) {
            throw VoxSAMError(.invalidArgument, "not a VoxSAM confidence report (JSON): \(context.debugDescription) at \(codingPath(context.codingPath))", path: path)
        } catch {
            throw VoxSAMError(.invalidArgument, "not a VoxSAM confidence report (JSON): \(error.localizedDescription)", path: path)
        }
    }

    private static func codingPath(_ p: [any CodingKey]) -> String {
        p.isEmpty ? "the top" : p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Writes JSON (`.json`) or one CSV row per object and slice (`.csv`), atomically.
    public func write(to path: String) throws {
        if path.lowercased().hasSuffix(".csv") {
            var s = "object,label,slice,box_source,box_x0,box_y0,box_x1,box_y1,iou_pred,stability_score,mask_area_px,mask_area_mm2,mean_probability,low_confidence,object_volume_ml,flags,intensity_outliers\n"
            for o in objects {
                for r in o.slices {
                    let b = r.boxPixels.map { String(format: "%.2f", $0) }.joined(separator: ",")
                    s += "\(csv(o.name)),\(o.label),\(r.slice),\(r.boxSource.rawValue),\(b),\(String(format: "%.5f", r.iouPrediction)),\(String(format: "%.5f", r.stabilityScore)),\(r.maskAreaPixels),\(String(format: "%.3f", r.maskAreaMM2)),\(String(format: "%.5f", r.meanProbability)),\(r.lowConfidence ? 1 : 0),\(String(format: "%.3f", o.volumeML)),\(r.flags.map(\.rawValue).joined(separator: ";")),\(r.intensityOutliers.map { String(format: "%.4f", $0) } ?? "")\n"
                }
            }
            try AtomicWrite.write(Data(s.utf8), to: path)
        } else {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicWrite.write(try e.encode(self), to: path)
        }
    }

    private func csv(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
