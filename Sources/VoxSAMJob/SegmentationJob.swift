import Foundation
import VoxSAMCore
import VoxSAMExport
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMSegment

/// One volume to segment: where it is, how to read it, and the objects as the user gave them.
public struct JobInput: Sendable {
    public var path: String
    public var readOptions: VolumeReadOptions
    public var objects: [ObjectSpec]
    /// Where the objects were given, for messages (`--box`, `prompts.csv:4`).
    public var origin: String
    /// The input as the confidence report records it (default: `path`).
    public var displayName: String
    /// Base folder for relative `from_mask` paths (nil: the working folder).
    public var maskBaseDirectory: String?
    /// Key boxes given by object name (`--key-box NAME:k:x0,y0,x1,y1`), attached once the objects are known.
    public var keyBoxes: [NamedKeyBox]
    /// Objects already on this image (`voxsam refine`: an earlier run's), listed before `objects`;
    /// an object of `objects` with the same name replaces one.
    public var earlierObjects: [ObjectPrompt] = []
    /// The volume of `path`, already read with `readOptions` (`voxsam serve` sessions keep it):
    /// `prepare` then reads nothing.
    public var volume: Volume?

    public init(path: String, readOptions: VolumeReadOptions = VolumeReadOptions(), objects: [ObjectSpec], origin: String = "prompts",
                displayName: String? = nil, maskBaseDirectory: String? = nil, keyBoxes: [NamedKeyBox] = []) {
        self.path = path; self.readOptions = readOptions; self.objects = objects; self.origin = origin
        self.displayName = displayName ?? path; self.maskBaseDirectory = maskBaseDirectory; self.keyBoxes = keyBoxes
    }

    func maskPath(_ m: String) -> String {
        guard let base = maskBaseDirectory, !m.hasPrefix("/") else { return m }
        return URL(fileURLWithPath: base).appendingPathComponent(m).standardizedFileURL.path
    }
}

/// A volume read, windowed and prompted: everything inference needs (the source's voxels are not
/// kept — exports need its grid and DICOM references, which `image8` and `source` carry).
public struct PreparedJob: Sendable {
    public var input: JobInput
    public var image8: Volume
    public var source: VolumeMetadata
    public var objects: [ObjectPrompt]
    public var window: Window
    /// The series read (DICOM), when chosen by option or protocol.
    public var series: String?
    /// Reader and protocol warnings, for the caller to show or record.
    public var warnings: [String]
}

/// What a job produced.
public struct JobResult: Sendable {
    public var prepared: PreparedJob
    public var result: SegmentationResult
    public var report: ConfidenceReport
    public var segments: [SegmentDescription]
}

/// What `write` wrote.
public struct JobOutputs: Sendable {
    public var files: [String] = []
    public var notes: [String] = []
}

/// The segmentation job behind every entry point (`voxsam segment`, `voxsam batch`, and the
/// library): read → validate prompts → window → propagate → describe → write one output group.
///
/// ```swift
/// let job = SegmentationJob(model: LiteMedSAMSliceModel(model: try LiteMedSAM.load(path)), settings: JobSettings())
/// let result = try job.run(JobInput(path: "ct.nii.gz", objects: [ObjectSpec(name: "liver", box: [44, 25, 0, 105, 83, 29])]),
///                          plan: OutputPlan(labelMaps: [.init(format: .nifti, path: "liver.nii.gz")], qa: ["qa.png"]))
/// ```
public final class SegmentationJob<Model: SliceSegmentationModel> {
    public let model: Model
    public let settings: JobSettings
    public let segmentationProtocol: SegmentationProtocol?
    /// The checkpoint's file name, recorded in reports.
    public let modelName: String
    /// Called after each encoded slice: (slices done, slices total).
    public var progress: ((Int, Int) -> Void)?
    /// Embeddings kept between runs (`--cache DIR`); its `warnings` are the caller's to show.
    public var cache: EmbeddingCache?

    public init(model: Model, settings: JobSettings, protocol proto: SegmentationProtocol? = nil, modelName: String = "lite_medsam.pth") {
        self.model = model; self.settings = settings; self.segmentationProtocol = proto; self.modelName = modelName
    }

    /// Everything, for one volume: prepare, segment, write `plan` as one group.
    @discardableResult
    public func run(_ input: JobInput, plan: OutputPlan) throws -> (result: JobResult, outputs: JobOutputs) {
        try plan.check()
        let prepared = try prepare(input, plan: plan)
        let result = try segment(prepared)
        return (result, try write(result, plan: plan))
    }

    /// Reads, prompts and windows (see `JobReader.prepare`).
    public func prepare(_ input: JobInput, plan: OutputPlan? = nil) throws -> PreparedJob {
        try reader.prepare(input, plan: plan)
    }

    /// The reading stage alone (no model): batch runs it on its read-ahead thread.
    public var reader: JobReader { JobReader(settings: settings, protocol: segmentationProtocol) }

    /// Propagates every object over the slices (one encoder pass per slice for all objects). With
    /// `earlier` (`voxsam refine`) only slices whose result can change are computed; the result is
    /// the same.
    public func segment(_ p: PreparedJob, earlier: EarlierRun? = nil) throws -> JobResult {
        var s = Propagator<Model>.Settings()
        s.mode = settings.propagation
        s.axis = settings.axis
        s.lowConfidenceIoU = settings.lowConfidence
        let propagator = Propagator(model: model, settings: s)
        propagator.progress = progress
        propagator.cache = cache
        var result = try propagator.run(image8: p.image8, prompts: p.objects, earlier: earlier)
        result.labelMap.metadata = p.source
        result.labelMap.metadata.warnings = []
        var report = ConfidenceReport(result: result, input: p.input.displayName, model: modelName)
        report.window = p.window.text
        report.series = p.series
        report.protocolName = segmentationProtocol?.name
        report.modelIdentity = model.embeddingIdentity
        let segments = try SegmentCatalog(protocol: segmentationProtocol)
            .describe(p.objects.map { (label: $0.label, name: Optional($0.name), color: $0.color) })
        return JobResult(prepared: p, result: result, report: report, segments: segments)
    }

    /// Writes every file of `plan` as one group: all appear, or none (old files untouched).
    public func write(_ r: JobResult, plan: OutputPlan) throws -> JobOutputs {
        try plan.check()
        var report = r.report
        if !plan.timingsInReport { report.seconds = 0 }
        let grid = Volume(geometry: r.prepared.image8.geometry, voxels: r.prepared.image8.voxels, metadata: r.prepared.source)
        var series = DerivedSeriesInfo(seriesDescription: "VoxSAM \(r.segments.map(\.name).joined(separator: ", "))")
        series.contentDescription = "LiteMedSAM, box-prompted, propagated slice by slice" + (segmentationProtocol.map { ", protocol \($0.name)" } ?? "")
        return try OutputGroup.commit { _ in
            var out = JobOutputs()
            for m in plan.labelMaps {
                var request = ExportRequest(labelMap: r.result.labelMap, labelMapPath: m.path, source: grid,
                                            sourcePath: r.prepared.input.path, segments: r.segments, format: m.format,
                                            output: m.path, series: series, algorithm: .liteMedSAM(precision: r.result.precision))
                // Structures the user corrected with key boxes are SEMIAUTOMATIC.
                request.correctedLabels = Set(r.prepared.objects.filter { !$0.keyBoxes.isEmpty }.map(\.label))
                let e = try Exporter.export(request)
                out.files += e.files
                out.notes += e.notes
            }
            if plan.confidence.contains(where: { $0.lowercased().hasSuffix(".json") }) {
                report.imageSHA256 = ConfidenceReport.imageHash(r.prepared.image8)
            }
            for c in plan.confidence {
                // The label maps beside it by file name, others by absolute path (`voxsam refine` reads one).
                let folder = URL(fileURLWithPath: c).deletingLastPathComponent().standardizedFileURL.path
                report.labelMaps = plan.labelMaps.map { m in
                    let url = URL(fileURLWithPath: m.path).standardizedFileURL
                    return url.deletingLastPathComponent().path == folder ? url.lastPathComponent : url.path
                }
                try report.write(to: c)
                out.files.append(c)
            }
            if !plan.qa.isEmpty {
                let picture = QAMontage.render(image8: r.prepared.image8, result: r.result)
                for q in plan.qa {
                    try PNGIO.write(picture, to: q)
                    out.files.append(q)
                }
            }
            return out
        }
    }

}

/// The reading stage of a job: needs no model, so batch runs it ahead on another thread.
public struct JobReader: Sendable {
    public let settings: JobSettings
    public let segmentationProtocol: SegmentationProtocol?

    public init(settings: JobSettings, protocol proto: SegmentationProtocol?) {
        self.settings = settings; segmentationProtocol = proto
    }

    /// Reads the volume, resolves and checks the objects, windows the image. With `plan`, also
    /// checks before any inference that the input can give what the plan writes (DICOM SEG and
    /// RTSTRUCT need a DICOM series).
    public func prepare(_ input: JobInput, plan: OutputPlan? = nil) throws -> PreparedJob {
        var options = input.readOptions
        if options.series == nil, input.volume == nil { options.series = try seriesByProtocol(input.path) }
        let volume = try input.volume ?? VolumeReader.read(path: input.path, options: options)
        if plan?.needsDICOMSource == true { _ = try DICOMSourceSeries(volume, path: input.path) }
        var warnings = volume.metadata.warnings
        let resolver = PromptResolver(protocol: segmentationProtocol, origin: input.origin, maskPath: input.maskPath,
                                      warn: { warnings.append($0) })
        let objects = try resolver.resolve(input.objects, volume: volume, imagePath: input.path, axis: settings.axis, named: input.keyBoxes,
                                           earlier: input.earlierObjects)
        let window = settings.window ?? Window.defaultWindow(for: volume)
        if case .dicom = window, volume.metadata.windowCenter == nil || volume.metadata.windowWidth == nil {
            throw VoxSAMError(.invalidArgument, "--window dicom: the input has no WindowCenter/WindowWidth; give a preset or W,L", path: input.path)
        }
        let image8 = Windowing.apply(window, to: volume)
        return PreparedJob(input: input, image8: image8, source: volume.metadata, objects: objects, window: window,
                           series: options.series, warnings: warnings)
    }

    /// The protocol's `series_description` picks a DICOM series when the folder holds several.
    private func seriesByProtocol(_ path: String) throws -> String? {
        guard let wanted = segmentationProtocol?.seriesDescription, (try? VolumeReader.format(of: path)) == .dicom else { return nil }
        let series = try DICOMReader.listSeries(path: path)
        if series.count == 1 { return nil }
        let matches = series.filter { ($0.seriesDescription ?? "").localizedCaseInsensitiveContains(wanted) }
        guard matches.count == 1 else {
            let listed = series.map { "\($0.key) `\($0.seriesDescription ?? "")`" }.joined(separator: "; ")
            throw VoxSAMError(.invalidArgument, "\(matches.count) of \(series.count) series match the protocol's series_description `\(wanted)` (\(listed)); choose one with --series (batch: `series` in the prompts file)", path: path)
        }
        return matches[0].key
    }
}
