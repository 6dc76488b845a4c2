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
    /// The private folder a listed study's series was fetched into (messages name the address instead).
    public var fetchedFolder: String?

    /// `e` with the private folder replaced by the study's address.
    public func naming(_ e: VoxSAMError) -> VoxSAMError {
        fetchedFolder.map { e.renaming($0, to: study.path) } ?? e
    }
}
