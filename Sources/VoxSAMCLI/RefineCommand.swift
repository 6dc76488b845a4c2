import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMJob
import VoxSAMIO
import VoxSAMPACS
import VoxSAMSegment

/// `voxsam refine`: correct an earlier result without starting over.
struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Correct an earlier result: add, change or remove key boxes or objects; only slices whose result can change are computed again.",
        discussion: """
        Takes the JSON confidence report of an earlier `voxsam segment` (or `refine`) run, which records \
        the image, settings, model, and every object's boxes, and the label map written with it. The \
        image, window and model must be the same (checked). The result equals a `voxsam segment` run \
        with the changed prompts. With --cache (the earlier run's) nothing already encoded is encoded \
        again: a correction costs decoder time. Outputs that exist are not replaced unless --force.

        Examples:
          voxsam refine seg.json --key-box liver:57:120,88,201,170 -o seg2.nii.gz --confidence seg2.json --cache emb/
          voxsam refine seg2.json --remove-key-box liver:57 --remove spleen -o seg3.nii.gz --confidence seg3.json
          voxsam refine seg.json --prompts more-objects.json -o seg4.nii.gz --confidence seg4.json
        """)

    @Argument(help: "The earlier run's confidence report (.json, from --confidence).")
    var report: String

    @Option(name: .shortAndLong, help: "Output label map: .nii.gz/.nii/.nrrd, .npz, .seg.nrrd or .dcm (DICOM SEG; RTSTRUCT with --output-format rtstruct).")
    var output: String

    @Option(name: .long, help: "nifti, nrrd, npz, seg-nrrd, dicom-seg or rtstruct (default: from the output's extension).")
    var outputFormat: String?

    @Option(name: .customLong("key-box"), parsing: .unconditionalSingleValue,
            help: "Add or replace a key box NAME:SLICE:x0,y0,x1,y1 (voxel indices of that slice; repeatable). One on a slice that already holds one replaces it.")
    var keyBox: [String] = []

    @Option(name: .customLong("remove-key-box"), parsing: .unconditionalSingleValue, help: "Remove object NAME's key box on SLICE: NAME:SLICE (repeatable).")
    var removeKeyBox: [String] = []

    @Option(name: .customLong("remove"), help: "Remove the object NAME (repeatable).")
    var remove: [String] = []

    @Option(name: .long, help: "JSON prompts file (as for segment): objects added, or replacing the earlier object of the same name.")
    var prompts: String?

    @Option(name: .long, help: "The image, when it is not where the report says (`input`, relative to the working folder).")
    var input: String?

    @Option(name: .long, help: "The earlier label map (default: the first NIfTI/NRRD/.npz label map the report lists, beside it).")
    var labels: String?

    @Option(name: .customLong("protocol"), help: "The protocol, when the report names one that is not shipped (a .yaml path).")
    var protocolFile: String?

    @Option(name: .long, help: "Embedding cache folder (the earlier run's, to encode nothing again).")
    var cache: String?

    @Option(name: .long, help: "Per-slice confidence report of the new result: .json (refine it again) or .csv.")
    var confidence: String?

    @Option(name: .long, help: "QA picture (.png).")
    var qa: String?

    @Flag(name: .long, help: "Replace outputs that exist.")
    var force = false

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var pacs: PACSOptions
    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "No progress or summary on stderr.")
    var quiet = false

    func run() throws {
        let format = try OutputFormat.resolve(outputFormat, output: output)
        let plan = OutputPlan(labelMaps: [.init(format: format, path: output)], confidence: confidence.map { [$0] } ?? [],
                              qa: qa.map { [$0] } ?? [])
        try plan.check()
        if !force, let existing = plan.files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw VoxSAMError(.invalidArgument, "exists; refine never replaces a file unless --force", path: existing)
        }
        let refinement = try Refinement(reportPath: report)
        let settings = try refinement.settings()
        if let p = try modelOptions.requestedPrecision(), p != settings.precision {
            throw VoxSAMError(.invalidArgument, "--precision \(p.rawValue): the earlier result used \(settings.precision.rawValue); a refinement keeps it")
        }
        let proto = try refinement.segmentationProtocol(override: protocolFile)
        var job = try refinement.input(path: input, readOptions: inputOptions.readOptions, objects: try prompts.map(ObjectSpec.load) ?? [],
                                       keyBoxes: try keyBox.map(NamedKeyBox.parse),
                                       removedKeyBoxes: try removeKeyBox.map(Refinement.RemovedKeyBox.parse), removedObjects: remove)
        // An image read from a DICOMweb server (`report.input` is its address) is fetched again.
        let local = try pacs.localize(job.path)
        defer { local.remove() }
        job.displayName = job.path
        job.path = local.path
        // Read and check everything before the model loads.
        let prepared = try local.naming { try JobReader(settings: settings, protocol: proto).prepare(job, plan: plan) }
        try refinement.checkImage(prepared)
        let earlierPath = try refinement.labelMapPath(override: labels)
        let earlier = try refinement.earlierRun(labelMap: earlierPath, prepared: prepared)
        let same = { (a: String, b: String) in URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path }
        if !quiet, same(output, earlierPath), !(confidence.map { same($0, report) } ?? false) {
            Diagnostics.warn("\(output) replaces the earlier label map, but \(report) still describes the old one (give --confidence \(report) to replace both)")
        }
        let model = try modelOptions.sliceModel(precision: settings.precision)
        try refinement.checkModel(model.model.embeddingIdentity, path: model.path)
        let segmentation = SegmentationJob(model: model.model, settings: settings, protocol: proto, modelName: model.name)
        segmentation.cache = try cache.map { try EmbeddingCache(directory: $0) }
        if !quiet { for w in prepared.warnings { Diagnostics.warn("\(prepared.input.path): \(w)") } }
        let progress = ProgressDisplay(enabled: !quiet, label: "encoding slices")
        segmentation.progress = { done, total in progress.update(done, total) }
        let result = try segmentation.segment(prepared, earlier: earlier)
        progress.finish()
        if !quiet { for w in segmentation.cache?.warnings ?? [] { Diagnostics.warn(w) } }
        let written = try segmentation.write(result, plan: plan)
        if !quiet {
            for n in written.notes { Diagnostics.info(n) }
            let cached = result.result.cacheHits.map { ", \($0) from the cache" } ?? ""
            Diagnostics.info(String(format: "wrote %@ (%d of %d slices computed again, %d encoder calls%@, %.1f s)", written.files.joined(separator: ", "),
                                    result.result.uniqueSlices, prepared.image8.size[settings.axis.axis], result.result.encoderCalls, cached,
                                    result.result.seconds))
        }
    }
}
