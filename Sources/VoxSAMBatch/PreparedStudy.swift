import VoxSAMCore
import VoxSAMJob

/// A study after the reading stage: either ready for inference, or already settled.
public struct PreparedStudy: Sendable {
    public enum Outcome: Sendable {
        /// Read, windowed and prompted by the job: ready for the model.
        case ready(PreparedJob)
        /// No entry in the prompts file.
        case skipped(reason: String)
        /// `--resume`: the last `done` record matches and its outputs are intact.
        case upToDate(ManifestRecord)
        case failed(VoxSAMError)
    }

    public var study: Study
    public var prompts: StudyPrompts?
    public var outcome: Outcome
    public var key: String
    public var image: String?
    public var series: String?
    public var inputs: [ManifestRecord.FileHash]
    public var masks: [ManifestRecord.FileHash]
    public var prepareSeconds: Double
    public var startedAt: String
    /// Removes what preparing fetched (a listed study's series), once the study is recorded.
    public var release: @Sendable () -> Void = {}
}
