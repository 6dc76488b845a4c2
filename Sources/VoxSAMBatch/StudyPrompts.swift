import VoxSAMCore
import VoxSAMJob

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
