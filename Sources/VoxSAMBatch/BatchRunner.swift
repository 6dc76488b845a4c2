import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMJob
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
        /// Studies whose outputs are written but could not be sent (`--push`).
        public var pushFailed: [String] = []
        /// Studies whose outputs were sent.
        public var pushed: Int = 0
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
        let all = try config.studyList ?? Study.discover(in: config.studiesDirectory)
        let names = Set(all.map(\.name))
        for s in config.prompts.studies.keys.sorted() where !names.contains(s) {
            log("warning: the prompts file names study `\(s)`, which is not in \(config.studyList == nil ? config.studiesDirectory : "the study list")")
        }
        let studies = all.filter { config.shard.contains(study: $0.name) }
        let store = ManifestStore(outputDirectory: out)
        let lock = try BatchFolderLock(store: store, exclusive: config.shard == .whole)
        defer { withExtendedLifetime(lock) {} }
        let shardFile = try store.shardFile(config.shard)
        let previous = store.latest()
        let job = SegmentationJob(model: model, settings: config.settings.segmentation, protocol: config.segmentationProtocol,
                                  modelName: config.modelFileName)
        job.cache = try config.cacheDirectory.map { try EmbeddingCache(directory: $0) }
        var cacheWarnings = 0
        let preparer = StudyPreparer(config: config, previous: previous, reader: job.reader)
        var report = Report()
        report.studies = studies.count
        log("\(studies.count) of \(all.count) studies in shard \(config.shard)\(config.resume ? ", resuming" : "")")

        // Reading ahead: a reader thread prepares up to jobs − 1 studies while one is segmented.
        let next: () -> PreparedStudy
        // If this loop ends early (an error thrown), the reader stops and what it prepared is released
        // (a listed study's fetched series is patient data in a temporary folder).
        var abandon: () -> Void = {}
        if config.jobs > 1 && studies.count > 1 {
            let queue = BoundedQueue<PreparedStudy?>(capacity: config.jobs - 1)
            let stop = StopFlag()
            let thread = Thread {
                for s in studies where !stop.isSet { queue.put(preparer.prepare(s)) }
                queue.put(nil)
            }
            thread.name = "voxsam-batch-reader"
            thread.start()
            var taken = 0
            next = { taken += 1; return queue.take()! }
            abandon = {
                guard taken < studies.count else { return }
                stop.set()
                while let p = queue.take() { p.release() }
            }
        } else {
            var i = 0
            next = { defer { i += 1 }; return preparer.prepare(studies[i]) }
        }

        defer { abandon() }
        for n in 0..<studies.count {
            let waitStart = Date()
            let prepared = next()
            defer { prepared.release() }
            let wait = config.jobs > 1 ? Date().timeIntervalSince(waitStart) : 0
            let prefix = "[\(n + 1)/\(studies.count)] \(prepared.study.name)"
            switch prepared.outcome {
            case .upToDate(let last):
                report.upToDate += 1
                // A later run on this study may have been killed while staging (before its commit).
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                if let push = config.push, last.push?.status != "sent" || last.push?.destination != push.destination,
                   !Self.dicomFiles(last).isEmpty {
                    // Segmented before, not yet in this PACS: only the push is done (the same files again).
                    var r = last
                    r.shard = config.shard.description; r.host = ProcessInfo.processInfo.hostName; r.pid = getpid()
                    r.finishedAt = StudyPreparer.now()
                    send(&r, report: &report)
                    try store.append(r, to: shardFile)
                    log("\(prefix): up to date; \(r.status == .done ? "sent to \(push.destination)" : "sending FAILED again: \(r.error ?? "")")")
                } else {
                    log("\(prefix): up to date")
                }
            case .skipped(let reason):
                report.skipped += 1
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                let last = previous[prepared.study.name]
                if config.prune {
                    try StagedStudyFolder.removeOutputs(outputDirectory: out, study: prepared.study.name)
                } else if let last, last.status == .done || !last.outputs.isEmpty {
                    // Finished work is never deleted because a prompts file leaves a study out.
                    log("\(prefix): skipped (\(reason)); its previous outputs are kept (--prune removes them)")
                    continue
                }
                if let last, last.status == .skipped, last.key == prepared.key {
                    log("\(prefix): skipped (\(reason))")
                } else {
                    try store.append(record(prepared, status: .skipped, error: reason, wait: wait), to: shardFile)
                    log("\(prefix): skipped (\(reason))")
                }
            case .failed(let e):
                report.failed.append(prepared.study.name)
                StagedStudyFolder.removeLeftovers(outputDirectory: out, study: prepared.study.name)
                try store.append(failure(prepared, e, wait: wait, preparer: preparer), to: shardFile)
                log("\(prefix): FAILED: \(e)")
            case .ready(let ready):
                do {
                    var r = try segment(prepared, ready, job: job, wait: wait)
                    if config.push != nil, !Self.dicomFiles(r).isEmpty { send(&r, report: &report) }
                    try store.append(r, to: shardFile)
                    report.done += 1
                    if r.status == .pushFailed { log("\(prefix): outputs written; sending them FAILED: \(r.error ?? "")") }
                    let secs = (r.timings?.inferenceSeconds ?? 0) + (r.timings?.writeSeconds ?? 0)
                    log("\(prefix): done (\(r.objects.count) object\(r.objects.count == 1 ? "" : "s"), \(r.encoderCalls ?? 0) encoder calls, \(String(format: "%.1f", secs)) s)")
                    let warnings = job.cache?.warnings ?? []
                    for w in warnings.dropFirst(cacheWarnings) { log("\(prefix): warning: \(w)") }
                    cacheWarnings = warnings.count
                } catch let e as VoxSAMError {
                    report.failed.append(prepared.study.name)
                    try store.append(failure(prepared, e, wait: wait, preparer: preparer), to: shardFile)
                    log("\(prefix): FAILED: \(e)")
                }
            }
        }
        StagedStudyFolder.removeStagingRootIfEmpty(out)
        report.merged = try store.merge()
        return report
    }

    /// The DICOM outputs of a record (what `--push` sends), as stored.
    static func dicomFiles(_ r: ManifestRecord) -> [String] {
        r.outputs.map(\.path).filter { $0.lowercased().hasSuffix(".dcm") }
    }

    /// Sends the record's DICOM outputs (`config.push`) and records how it went: `done` with the push
    /// `sent`, or `push_failed` with the peer's answer (the outputs stay).
    private func send(_ r: inout ManifestRecord, report: inout Report) {
        guard let push = config.push else { return }
        let files = Self.dicomFiles(r)
        do {
            try push.send(files.map { (config.outputDirectory as NSString).appendingPathComponent($0) })
            r.status = .done
            r.error = nil
            r.push = .init(destination: push.destination, status: "sent", files: files, answer: nil, at: StudyPreparer.now())
            report.pushed += 1
        } catch {
            let answer = (error as? VoxSAMError)?.message ?? "\(error)"
            r.status = .pushFailed
            r.error = "sending to \(push.destination) failed: \(answer)"
            r.push = .init(destination: push.destination, status: "failed", files: files, answer: answer, at: StudyPreparer.now())
            report.pushFailed.append(r.study)
        }
    }

    /// A failed study's record. Its previous good outputs stay in place (unless `--prune`) and the
    /// record lists them, so the manifest shows both the failure and what is still there.
    private func failure(_ p: PreparedStudy, _ e: VoxSAMError, wait: Double, preparer: StudyPreparer) throws -> ManifestRecord {
        let e = p.naming(e)
        var r = record(p, status: .failed, error: e.description, wait: wait)
        if config.prune {
            try StagedStudyFolder.removeOutputs(outputDirectory: config.outputDirectory, study: p.study.name)
        } else if let last = preparer.previous[p.study.name], !last.outputs.isEmpty, preparer.outputsIntact(last) {
            r.outputs = last.outputs
            r.error = "\(e.description) (the previous outputs of \(last.finishedAt) are kept)"
        }
        return r
    }

    /// Inference and outputs of one study (through the job); returns its `done` record.
    private func segment(_ p: PreparedStudy, _ ready: PreparedJob, job: SegmentationJob<Model>, wait: Double) throws -> ManifestRecord {
        let out = config.outputDirectory
        StagedStudyFolder.removeLeftovers(outputDirectory: out, study: p.study.name)
        // What this study's image can give (a NIfTI study has no DICOM SEG/RTSTRUCT), decided before
        // any inference: a study none of whose outputs can be made fails at once.
        let (possible, skipped) = OutputPlan.study(config.settings.outputs, folder: "").available(for: ready)
        if possible.isEmpty {
            throw VoxSAMError(.invalidArgument, "none of the requested outputs can be made for this study: "
                + skipped.map { "\($0.format): \($0.reason)" }.joined(separator: "; "), path: ready.input.path)
        }
        for s in skipped { log("\(p.study.name): \(s.format) skipped (\(s.reason))") }
        let outputs = config.settings.outputs.filter { o in !skipped.contains { $0.file == o.fileName } }
        let inferenceStart = Date()
        let result = try job.segment(ready)
        let inferenceSeconds = Date().timeIntervalSince(inferenceStart)

        let writeStart = Date()
        let staged = try StagedStudyFolder.create(outputDirectory: out, study: p.study.name)
        let written: [ManifestRecord.FileHash]
        do {
            let files = try job.write(result, plan: OutputPlan.study(outputs, folder: staged.path)).files
            written = try files.map { try StudyPreparer.hash($0, as: "\(p.study.name)/\(($0 as NSString).lastPathComponent)") }
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
        // Recorded `done` only when what is in place re-reads to the bytes that were written.
        for f in written {
            let final = (out as NSString).appendingPathComponent(f.path)
            let again = try StudyPreparer.hash(final, as: f.path)
            guard again == f else {
                throw VoxSAMError(.writeFailed, "the output does not read back as written (size or SHA-256 differ)", path: final)
            }
        }
        let writeSeconds = Date().timeIntervalSince(writeStart)
        var r = record(p, status: .done, error: nil, wait: wait)
        r.outputs = written
        r.skippedOutputs = skipped.isEmpty ? nil : skipped
        r.encoderCalls = result.result.encoderCalls
        r.window = ready.window.text
        r.objects = result.report.objects.map { o in
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

/// A flag one thread sets and another reads.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
