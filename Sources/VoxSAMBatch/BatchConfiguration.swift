import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol

/// Everything a batch run needs besides the model.
public struct BatchConfiguration: Sendable {
    public var studiesDirectory: String
    public var outputDirectory: String
    public var prompts: PromptsFile
    public var segmentationProtocol: SegmentationProtocol?
    public var settings: BatchSettings
    public var shard: ShardSpec
    /// Studies read ahead of inference (1 = one after another; N > 1 keeps up to N − 1 prepared).
    public var jobs: Int
    /// Skip studies whose last `done` record matches the current inputs and settings.
    public var resume: Bool
    /// Remove the outputs of studies that are skipped (not in the prompts file) or fail; by default
    /// finished work is never deleted.
    public var prune = false
    /// Embedding cache folder (`--cache`): shared by shards and reruns, e.g. after prompts changed.
    public var cacheDirectory: String?
    /// Where each study's DICOM outputs (SEG, RTSTRUCT) are sent once written (`--push`): the peer
    /// as records name it, and the sender (which throws the peer's answer when it fails).
    public var push: (destination: String, send: @Sendable ([String]) throws -> Void)?
    /// The studies of a study list (series on a PACS) instead of the studies folder's.
    public var studyList: [Study]?
    /// Fetches a listed study's series (its address) into a new private folder; returns the folder
    /// and how to remove it (once the study is recorded).
    public var fetch: (@Sendable (String) throws -> (folder: String, remove: @Sendable () -> Void))?
    public var modelSHA256: String
    public var modelFileName: String
    public var readOptions: VolumeReadOptions

    public init(studiesDirectory: String, outputDirectory: String, prompts: PromptsFile, segmentationProtocol: SegmentationProtocol?,
                settings: BatchSettings, shard: ShardSpec, jobs: Int, resume: Bool, modelSHA256: String, modelFileName: String,
                readOptions: VolumeReadOptions = VolumeReadOptions()) {
        self.studiesDirectory = studiesDirectory; self.outputDirectory = outputDirectory; self.prompts = prompts
        self.segmentationProtocol = segmentationProtocol; self.settings = settings; self.shard = shard; self.jobs = jobs
        self.resume = resume; self.modelSHA256 = modelSHA256; self.modelFileName = modelFileName; self.readOptions = readOptions
    }
}
