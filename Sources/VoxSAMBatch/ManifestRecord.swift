import Foundation
import VoxSAMJob

/// One line of `manifest.jsonl`: what happened to one study. Keys are snake_case and only ever added.
public struct ManifestRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Segmented; outputs written.
        case done
        /// An error stopped this study (see `error`); the batch went on.
        case failed
        /// Nothing to do: the prompts file has no entry for this study.
        case skipped
        /// Segmented, outputs written and kept, but sending them to the PACS failed (see `push`);
        /// `--resume` sends them again (the same files: nothing is duplicated in the PACS).
        case pushFailed = "push_failed"
    }

    /// Sending a study's DICOM outputs to a PACS (`batch --push`).
    public struct PushRecord: Codable, Sendable, Equatable {
        /// The peer (no credentials).
        public var destination: String
        /// `sent` or `failed`.
        public var status: String
        /// The outputs sent (paths as in `outputs`).
        public var files: [String]
        /// What the peer answered when it failed.
        public var answer: String?
        public var at: String

        public init(destination: String, status: String, files: [String], answer: String?, at: String) {
            self.destination = destination; self.status = status; self.files = files; self.answer = answer; self.at = at
        }
    }

    /// A file and its content hash. Paths are relative to the studies folder (inputs), the output
    /// folder (outputs) or as given (masks, protocol, model).
    public struct FileHash: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int
    }

    /// Per object: the confidence summary.
    public struct ObjectSummary: Codable, Sendable, Equatable {
        public var name: String
        public var label: Int
        public var box: [Int]
        public var voxels: Int
        public var volumeML: Double
        public var meanIoU: Double
        public var minIoU: Double
        public var lowConfidenceSlices: [Int]

        enum CodingKeys: String, CodingKey {
            case name, label, box, voxels, volumeML = "volume_ml", meanIoU = "mean_iou", minIoU = "min_iou"
            case lowConfidenceSlices = "low_confidence_slices"
        }
    }

    public struct Timings: Codable, Sendable, Equatable {
        /// Hashing inputs, reading and windowing the image, building prompts.
        public var prepareSeconds: Double
        /// Waiting for the prepared study (0 when reading kept ahead of inference).
        public var waitSeconds: Double
        public var inferenceSeconds: Double
        public var writeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case prepareSeconds = "prepare_s", waitSeconds = "wait_s", inferenceSeconds = "inference_s", writeSeconds = "write_s"
        }
    }

    public var version = 1
    public var study: String
    public var status: Status
    public var error: String?
    /// Hash of everything the outputs depend on: inputs, the study's prompts, masks, protocol,
    /// model and settings. `--resume` skips a study whose last `done` record has the same key and
    /// whose outputs are still there unchanged.
    public var key: String
    public var image: String?
    public var series: String?
    public var inputs: [FileHash]
    /// The study's entry in the prompts file (canonical JSON), and the objects it became.
    public var prompts: StudyPrompts?
    public var masks: [FileHash]
    public var protocolName: String?
    public var protocolSHA256: String?
    public var modelSHA256: String
    public var settings: BatchSettings
    public var outputs: [FileHash]
    /// Requested outputs this study's image cannot give (DICOM SEG/RTSTRUCT of a NIfTI study), with why.
    public var skippedOutputs: [OutputPlan.Skipped]?
    public var objects: [ObjectSummary]
    public var encoderCalls: Int?
    /// The window the study's 8-bit slices were made with (window grammar), when segmented.
    public var window: String?
    public var timings: Timings?
    public var shard: String
    public var host: String
    public var pid: Int32
    public var startedAt: String
    public var finishedAt: String
    /// The push of the DICOM outputs (absent without `--push`).
    public var push: PushRecord?

    enum CodingKeys: String, CodingKey {
        case version, study, status, error, key, image, series, inputs, prompts, masks
        case protocolName = "protocol", protocolSHA256 = "protocol_sha256", modelSHA256 = "model_sha256", settings, outputs, skippedOutputs = "skipped_outputs", objects
        case encoderCalls = "encoder_calls", window, timings, shard, host, pid, startedAt = "started_at", finishedAt = "finished_at", push
    }

    /// Whether the outputs were segmented and kept (`done`, or `push_failed`).
    public var hasResult: Bool { status == .done || status == .pushFailed }

    /// Fields that differ between two runs with identical results (times, process, shard).
    public static let runDependentKeys: Set<String> = ["timings", "shard", "host", "pid", "started_at", "finished_at", "push"]
}
