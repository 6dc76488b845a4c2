import VoxSAMCore
import VoxSAMSegment

/// One object of a study in a prompts file: a voxel box, a box in millimetres, or the box(es) of
/// labels in an existing mask.
public struct ObjectSpec: Sendable, Equatable, Codable {
    public var name: String?
    public var label: Int?
    /// `[x0, y0, z0, x1, y1, z1]` voxel indices, inclusive.
    public var box: [Int]?
    /// Two opposite corners in LPS millimetres.
    public var boxMM: [Double]?
    /// A label map on the image's grid (absolute, or relative to the prompts file's folder).
    public var fromMask: String?
    /// With `fromMask`: only this label of the mask (default: one object per label found).
    public var maskLabel: Int?
    public var keySlice: Int?
    public var color: [Int]?

    public init(name: String? = nil, label: Int? = nil, box: [Int]? = nil, boxMM: [Double]? = nil, fromMask: String? = nil,
                maskLabel: Int? = nil, keySlice: Int? = nil, color: [Int]? = nil) {
        self.name = name; self.label = label; self.box = box; self.boxMM = boxMM; self.fromMask = fromMask
        self.maskLabel = maskLabel; self.keySlice = keySlice; self.color = color
    }

    enum CodingKeys: String, CodingKey {
        case name, label, box, boxMM = "box_mm", fromMask = "from_mask", maskLabel = "mask_label", keySlice = "key_slice", color
    }
}

/// What the prompts file says about one study.
public struct StudyPrompts: Sendable, Equatable, Codable {
    public var study: String
    /// DICOM: SeriesInstanceUID or series key (as `voxsam info` lists) when the study holds several series.
    public var series: String?
    /// The image inside the study folder when it holds several (relative path).
    public var image: String?
    /// Empty: a CVPR24 `.npz` image's own `boxes` are used.
    public var objects: [ObjectSpec]
    /// Where it was given, e.g. `prompts.csv:4` (for messages; not hashed).
    public var origin: String = ""

    public init(study: String, series: String? = nil, image: String? = nil, objects: [ObjectSpec], origin: String) {
        self.study = study; self.series = series; self.image = image; self.objects = objects; self.origin = origin
    }

    enum CodingKeys: String, CodingKey { case study, series, image, objects }
}
