import ArgumentParser
import Foundation
import VoxSAMBatch
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMJob
import VoxSAMPACS
import VoxSAMSegment

/// `voxsam batch`: many studies with one model load, a manifest, resume and shards.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Segment every study of a folder: one model load, per-study outputs, manifest.jsonl, --resume, --shard.",
        discussion: """
            Each subfolder of STUDIES_DIR (DICOM, or NIfTI/NRRD/.npz files) — or volume file directly in it — is \
            a study; its outputs go to OUT_DIR/<study>/ (labels.nii.gz, confidence.json, qa.png, … by --outputs or \
            the protocol). Every study gets a record in OUT_DIR/manifest.jsonl (inputs and outputs with SHA-256, \
            prompts, protocol and model hashes, status, timings, per-object volume and confidence) and rows in \
            OUT_DIR/summary.csv. A failing study is recorded and the batch goes on; the exit code is 5 when any \
            study failed. --shard I/N (or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with \
            --shard-count) runs one disjoint part; shards may share OUT_DIR.

            Prompts CSV: one row per object; a header names the columns (any order; only `study` is \
            required): study, series, image, name, label, box, box_mm, from_mask, mask_label, key_slice, \
            color. Boxes are "x0,y0,z0,x1,y1,z1" (quoted) or space-separated voxel indices; box_mm in LPS mm; \
            from_mask relative to the prompts file; a row with only a study uses a CVPR24 .npz's own boxes. \
            JSON: {"studies": [{"study": "case01", "objects": [{"name": "liver", "label": 1, "box": [...]}]}]}.

            Example:
              study,name,label,box
              case01,liver,1,"44,25,0,105,83,29"
              case01,spleen,2,"10,22,0,34,54,29"
            voxsam batch studies/ --prompts prompts.csv --output out/ --outputs nifti,confidence-json,qa-png --resume

            A study list instead of the folder names series on a PACS, fetched one by one when their turn comes \
            (into a private temporary folder, removed once the study is recorded; --resume fetches again to \
            compare the instances), e.g. with --push to send the results back:
              case01 dimse://PACS@pacs.example:104/1.2.840.113619.2.55.3.1
              case02 dicomweb://pacs.example:8042/dicom-web/studies/1.2.3/series/1.2.3.4
            voxsam batch list.txt --prompts prompts.csv --output out/ --outputs dicom-seg --push dimse://PACS@pacs.example:104
            """)

    @Argument(help: "The studies folder, or a study list: a text file with one `NAME ADDRESS` line per study, ADDRESS a series on a PACS (dicomweb://…/studies/S/series/U or dimse://AET@HOST:PORT/SERIES_UID).")
    var studies: String?

    @Option(name: .long, help: "Prompts file (.csv or .json): study → objects with box, box_mm or from_mask.")
    var prompts: String?

    @Option(name: .shortAndLong, help: "Output folder (created if missing; shared by shards).")
    var output: String?

    @Flag(name: .long, help: "Skip studies whose last `done` record matches the current inputs, prompts, protocol, model and settings and whose outputs are intact.")
    var resume = false

    @Option(name: .long, help: "Run shard I of N (0-based), e.g. 0/4. Default: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX, else all.")
    var shard: String?

    @Option(name: .long, help: "Number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes) or a SLURM array without SLURM_ARRAY_TASK_COUNT.")
    var shardCount: Int?

    @Option(name: .long, help: "Studies in flight: 1 reads and segments one after another; N > 1 reads up to N − 1 studies ahead while one is segmented (memory grows with N).")
    var jobs: Int = 2

    @Option(name: .long, help: "Outputs per study, comma-separated: nifti, nrrd, npz, confidence-json, confidence-csv, qa-png, seg-nrrd, dicom-seg, rtstruct (default: the protocol's, else nifti,confidence-json,qa-png).")
    var outputs: String?

    @Flag(name: .long, help: "Remove the outputs of studies the prompts file leaves out or that fail now (by default finished work is kept).")
    var prune = false


    @Option(name: .long, help: "Embedding cache folder shared by every study and shard (4 MiB per slice, never cleaned by VoxSAM): a rerun after prompts changed, e.g. key boxes added, runs only the decoder on the slices it has.")
    var cache: String?

    @Option(name: .long, help: "Send each study's DICOM SEG/RTSTRUCT to a PACS once written: dicomweb://HOST:PORT/PATH (STOW-RS) or dimse://AET@HOST:PORT (C-STORE). A failed send keeps the outputs and records the study push_failed with the peer's answer; --resume sends those again.")
    var push: String?

    @OptionGroup var pacs: PACSOptions

    @Option(name: .customLong("merge-manifests"), help: "Only merge the shard manifests of this output folder into manifest.jsonl and summary.csv (after all shards ran).")
    var mergeManifests: String?

    @OptionGroup var reading: ReadingOptions
    @OptionGroup var segmentation: SegmentationOptions
    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "No per-study lines on stderr.")
    var quiet = false

    func run() throws {
        if let dir = mergeManifests {
            guard studies == nil, prompts == nil else {
                throw VoxSAMError(.invalidArgument, "--merge-manifests OUT_DIR takes no studies folder or prompts")
            }
            guard FileManager.default.fileExists(atPath: ManifestStore(outputDirectory: dir).manifestsDirectory) else {
                throw VoxSAMError(.notFound, "no manifests/ folder here: is this the output folder of a batch?", path: dir)
            }
            let merged = try ManifestStore(outputDirectory: dir).merge()
            try finish(merged: merged, outputDirectory: dir, failedHere: [])
            return
        }
        guard let studies else { throw VoxSAMError(.invalidArgument, "give the studies folder (or --merge-manifests OUT_DIR)") }
        guard let promptsPath = prompts else { throw VoxSAMError(.invalidArgument, "give --prompts FILE (.csv or .json)") }
        guard let out = output else { throw VoxSAMError(.invalidArgument, "give --output OUT_DIR") }
        guard jobs >= 1 else { throw VoxSAMError(.invalidArgument, "--jobs must be at least 1") }

        let proto = try segmentation.loadProtocol()
        let promptsFile = try PromptsFile.load(path: promptsPath, allowAbsolutePaths: reading.allowAbsoluteDataFile)
        let shardSpec = try ShardSpec.resolve(option: shard, shardCount: shardCount, environment: ProcessInfo.processInfo.environment)
        var outputList = proto?.outputs ?? StudyOutput.defaults
        if let o = outputs { outputList = try o.split(separator: ",").map { try StudyOutput.parse(String($0)) } }
        let settings = BatchSettings(segmentation: try segmentation.settings(proto, precision: try modelOptions.requestedPrecision()),
                                     outputs: outputList)

        let destination = try push.map { text -> PACSAddress in
            let l = try PACSAddress.destination(text)
            guard outputList.contains(where: { $0 == .labelMap(.dicomSEG) || $0 == .labelMap(.rtstruct) }) else {
                throw VoxSAMError(.invalidArgument, "--push sends DICOM SEG or RTSTRUCT: add dicom-seg or rtstruct to --outputs")
            }
            return l
        }
        // A study list (a file rather than a folder): series on a PACS, fetched when their turn comes.
        var isFolder: ObjCBool = false
        let isList = FileManager.default.fileExists(atPath: studies, isDirectory: &isFolder) && !isFolder.boolValue
        let studyList = try isList ? Study.list(fromFile: studies) { _ = try PACSAddress($0).requiringSeries() } : nil
        // The credentials and AE title are checked now, before any work.
        let client: PACSClient? = try destination != nil || isList ? pacs.client() : nil
        let (model, modelPath) = try modelOptions.load(precision: settings.segmentation.precision)
        let modelHash = try ModelStore().sha256(ofFile: modelPath)
        var config = BatchConfiguration(studiesDirectory: isList ? URL(fileURLWithPath: studies).deletingLastPathComponent().path : studies, outputDirectory: out, prompts: promptsFile, segmentationProtocol: proto,
                                        settings: settings, shard: shardSpec, jobs: jobs, resume: resume, modelSHA256: modelHash,
                                        modelFileName: URL(fileURLWithPath: modelPath).lastPathComponent,
                                        readOptions: reading.readOptions)
        config.prune = prune
        config.cacheDirectory = cache
        if let destination, let client {
            config.push = (destination.peer, { files in try client.store(files: files, at: destination) })
        }
        if let studyList, let client {
            config.studyList = studyList
            config.fetch = { address in
                let f = try FetchedSeries(address, client: client)
                return (f.folder, { f.remove() })
            }
        }
        let runner = BatchRunner(config: config, model: LiteMedSAMSliceModel(model: model, checkpointSHA256: modelHash),
                                 log: quiet ? { _ in } : { Diagnostics.info("batch: \($0)") })
        let report = try runner.run()
        if !quiet {
            Diagnostics.info("batch: shard \(shardSpec): \(report.done) done, \(report.upToDate) up to date, \(report.skipped) skipped, \(report.failed.count) failed"
                             + (push == nil ? "" : "; \(report.pushed) sent, \(report.pushFailed.count) not sent"))
        }
        try finish(merged: report.merged, outputDirectory: out, failedHere: report.failed + report.pushFailed)
    }

    /// Prints where the manifest is; exit 5 when a study failed (in this shard, or any with --merge-manifests).
    private func finish(merged: [ManifestRecord], outputDirectory: String, failedHere: [String]) throws {
        let store = ManifestStore(outputDirectory: outputDirectory)
        let failed = mergeManifests != nil ? merged.filter { $0.status == .failed || $0.status == .pushFailed }.map(\.study) : failedHere
        if !quiet {
            let counts = Dictionary(grouping: merged, by: \.status).mapValues(\.count)
            Diagnostics.info("batch: \(store.mergedPath): \(merged.count) studies (\(counts[.done] ?? 0) done, \(counts[.skipped] ?? 0) skipped, \(counts[.failed] ?? 0) failed"
                             + (counts[.pushFailed].map { ", \($0) not sent (push_failed)" } ?? "") + "); \(store.summaryPath)")
        }
        if !failed.isEmpty {
            Diagnostics.warn("batch: \(failed.count) stud\(failed.count == 1 ? "y" : "ies") failed or not sent: \(failed.joined(separator: ", ")) (errors in \(store.mergedPath); --resume retries them)")
            throw ExitCode(5)
        }
    }
}
