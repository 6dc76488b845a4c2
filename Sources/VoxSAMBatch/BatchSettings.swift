import VoxSAMCore
import VoxSAMJob

/// Settings that change a study's outputs (part of the resume key and of every manifest record):
/// the job's settings, as `voxsam segment` resolves them, and the outputs written per study.
public struct BatchSettings: Codable, Sendable, Equatable {
    public var segmentation: JobSettings
    public var outputs: [StudyOutput]
    /// Bumped when VoxSAM changes what it writes for the same inputs (2: label sidecars, window in reports).
    public var format = 2

    public init(segmentation: JobSettings, outputs: [StudyOutput]) {
        self.segmentation = segmentation; self.outputs = outputs
    }
}
