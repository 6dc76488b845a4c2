import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMSegment

/// Runs a batch: discovers the studies of this shard, reads them ahead on a reader thread
/// (`jobs`), segments them one after another with the one model, writes each study's outputs
/// atomically into `OUT/<study>/` and appends a record per study to this shard's manifest.
/// A failing study is recorded and the batch goes on.
public final class BatchRunner<Model: SliceSegmentationModel> {
    public let config: BatchConfiguration
    public let model: Model
    /// One line per study and event (the CLI prints them to stderr).
    public var log: (String) -> Void

    public init(config: BatchConfiguration, model: Model, log: @escaping (String) -> Void = { _ in }) {
        self.config = config
        self.model = model
        self.log = log
    }

    /// What happened, per status.
    public struct Report: Sendable {
        public var studies: Int = 0
        public var done: Int = 0
        public var upToDate: Int = 0
        public var skipped: Int = 0
        public var failed: [String] = []
        /// The merged manifest (all shards so far), sorted by study.
        public var merged: [ManifestRecord] = []
    }

    public func run() throws -> Report {
        let out = config.outputDirectory
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                throw VoxSAMError(.writeFailed, "cannot create the output folder: \(error.localizedDescription)", path: out)
            }
        } else if !isDir.boolValue {
            throw VoxSAMError(.writeFailed, "the output path exists and is not a folder", path: out)
        }
        let all = try Study.discover(in: config.studiesDirectory)
        let names = Set(all.map(\.name))
        for s in config.prompts.studies.keys.sorted() where !names.contains(s) {
            log("warning: the prompts file names study `\(s)`, which is not in \(config.studiesDirectory)")
        }
        let studies = all.filter { config.shard.contains(study: $0.name) }
        let store = ManifestStore(outputDirectory: out)
        let shardFile = try store.shardFile(config.shard)
        let previous = store.latest()
        let preparer = StudyPreparer(config: config, previous: previous)
        var report = Report()
        report.studies = studies.count
        log("\(studies.count) of \(all.count) studies in shard \(config.shard)\(config.resume ? ", resuming" : "")")

        // Reading ahead: a reader thread prepares up to jobs − 1 studies while one is segmented.
        let next: () -> PreparedStudy
        if config.jobs > 1 && studies.count > 1 {
            let queue = BoundedQueue<PreparedStudy>(capacity: config.jobs - 1)
            let thread = Thread {
                for s in studies { queue.put(preparer.prepare(s)) }
            }
            thread.name = "voxsam-batch-reader"
            thread.start()
            next = { queue.take() }
        } else {
            var i = 0
            next = { defer { i += 1 }; return preparer.prepare(studies[i]) }
        }

        for n in 0..<studies.count {
            let waitStart = Date()
            let prepared = next()
            let wait = config.jobs > 1 ? Date().timeIntervalSince(waitStart) : 0
            let prefix = "[\(n + 1)/\(studies.count)] \(prepared.study.name)"
            switch prepared.outcome {
            case .upToDate:
                report.upToDate += 1
                // A later run on this study may have been killed while staging (before its commit).
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                log("\(prefix): up to date")
            case .skipped(let reason):
                report.skipped += 1
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                try StagedStudyFolder.removeOutputs(outputDirectory: out, study: prepared.study.name)
                if let last = previous[prepared.study.name], last.status == .skipped, last.key == prepared.key {
                    log("\(prefix): skipped (\(reason))")
                } else {
                    try store.append(record(prepared, status: .skipped, error: reason, wait: wait), to: shardFile)
                    log("\(prefix): skipped (\(reason))")
                }
            case .failed(let e):
                report.failed.append(prepared.study.name)
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                try StagedStudyFolder.removeOutputs(outputDirectory: out, study: prepared.study.name)
                try store.append(record(prepared, status: .failed, error: e.description, wait: wait), to: shardFile)
                log("\(prefix): FAILED: \(e)")
            case .ready(let image8, let source, let objects):
                do {
                    let r = try segment(prepared, image8: image8, source: source, objects: objects, wait: wait)
                    try store.append(r, to: shardFile)
                    report.done += 1
                    let secs = (r.timings?.inferenceSeconds ?? 0) + (r.timings?.writeSeconds ?? 0)
                    log("\(prefix): done (\(r.objects.count) object\(r.objects.count == 1 ? "" : "s"), \(r.encoderCalls ?? 0) encoder calls, \(String(format: "%.1f", secs)) s)")
                } catch let e as VoxSAMError {
                    report.failed.append(prepared.study.name)
                    try StagedStudyFolder.removeOutputs(outputDirectory: out, study: prepared.study.name)
                    try store.append(record(prepared, status: .failed, error: e.description, wait: wait), to: shardFile)
                    log("\(prefix): FAILED: \(e)")
                }
            }
        }
        StagedStudyFolder.removeStagingRootIfEmpty(out)
        report.merged = try store.merge()
        return report
    }

    /// Inference and outputs of one study; returns its `done` record.
    private func segment(_ p: PreparedStudy, image8: Volume, source: VolumeMetadata, objects: [ObjectPrompt],
                         wait: Double) throws -> ManifestRecord {
        let out = config.outputDirectory
        StagedStudyFolder.removeLeftovers(outputDirectory: out, study: p.study.name)
        var settings = Propagator<Model>.Settings()
        settings.mode = PropagationMode(rawValue: config.settings.propagation) ?? .reference
        settings.axis = SliceAxis.parse(config.settings.axis) ?? SliceAxis(2)
        settings.lowConfidenceIoU = config.settings.lowConfidence
        let inferenceStart = Date()
        var result = try Propagator(model: model, settings: settings).run(image8: image8, prompts: objects)
        let inferenceSeconds = Date().timeIntervalSince(inferenceStart)
        result.labelMap.metadata = source
        result.labelMap.metadata.warnings = []

        let writeStart = Date()
        let staged = try StagedStudyFolder.create(outputDirectory: out, study: p.study.name)
        var report = ConfidenceReport(result: result, input: p.image ?? p.study.name, model: config.modelFileName)
        // Timings live in the manifest: the study's files are byte-identical whenever the results are.
        report.seconds = 0
        var written: [String] = []
        do {
            for o in config.settings.outputs {
                let path = staged.file(o.fileName)
                switch o {
                case .nifti, .nrrd, .npz: try VolumeWriter.write(result.labelMap, to: path)
                case .confidenceJSON, .confidenceCSV: try report.write(to: path)
                case .qaPNG: try PNGIO.write(QAMontage.render(image8: image8, result: result), to: path)
                case .segNRRD, .dicomSEG, .rtstruct:
                    let catalog = SegmentCatalog(protocol: config.segmentationProtocol)
                    let segments = try catalog.describe(objects.map { (label: $0.label, name: Optional($0.name), color: $0.color) })
                    // The exporter needs the image's grid and DICOM references, not its voxels.
                    let grid = Volume(geometry: image8.geometry, voxels: image8.voxels, metadata: source)
                    let imagePath = (config.studiesDirectory as NSString).appendingPathComponent(p.image ?? p.study.name)
                    try ExportHook.write(o, labelMap: result.labelMap, study: p.study.name, source: grid, sourcePath: imagePath,
                                         segments: segments, to: path)
                }
                written.append(o.fileName)
            }
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
        let outputs = try written.map { f in
            try StudyPreparer.hash((out as NSString).appendingPathComponent("\(p.study.name)/\(f)"), as: "\(p.study.name)/\(f)")
        }
        let writeSeconds = Date().timeIntervalSince(writeStart)
        var r = record(p, status: .done, error: nil, wait: wait)
        r.outputs = outputs
        r.encoderCalls = result.encoderCalls
        r.objects = report.objects.map { o in
            ManifestRecord.ObjectSummary(name: o.name, label: o.label, box: o.box, voxels: o.voxels,
                                         volumeML: (o.volumeML * 1000).rounded() / 1000,
                                         meanIoU: (Double(o.meanIoU) * 10000).rounded() / 10000,
                                         minIoU: (Double(o.minIoU) * 10000).rounded() / 10000,
                                         lowConfidenceSlices: o.lowConfidenceSlices)
        }
        r.timings = ManifestRecord.Timings(prepareSeconds: rounded(p.prepareSeconds), waitSeconds: rounded(wait),
                                           inferenceSeconds: rounded(inferenceSeconds), writeSeconds: rounded(writeSeconds))
        return r
    }

    private func rounded(_ s: Double) -> Double { (s * 1000).rounded() / 1000 }

    private func record(_ p: PreparedStudy, status: ManifestRecord.Status, error: String?, wait: Double) -> ManifestRecord {
        ManifestRecord(study: p.study.name, status: status, error: error, key: p.key, image: p.image, series: p.series,
                       inputs: p.inputs, prompts: p.prompts, masks: p.masks, protocolName: config.segmentationProtocol?.name,
                       protocolSHA256: config.segmentationProtocol?.sha256, modelSHA256: config.modelSHA256,
                       settings: config.settings, outputs: [], objects: [], encoderCalls: nil,
                       timings: ManifestRecord.Timings(prepareSeconds: rounded(p.prepareSeconds), waitSeconds: rounded(wait),
                                                       inferenceSeconds: 0, writeSeconds: 0),
                       shard: config.shard.description, host: ProcessInfo.processInfo.hostName, pid: getpid(),
                       startedAt: p.startedAt, finishedAt: StudyPreparer.now())
    }
}
