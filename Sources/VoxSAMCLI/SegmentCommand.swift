import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMJob
import VoxSAMPACS
import VoxSAMIO
import VoxSAMModel
import VoxSAMProtocol
import VoxSAMSegment

/// `voxsam segment`: box prompts propagated slice by slice into a 3D label map.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment objects given by 3D boxes: LiteMedSAM on each slice, the box carried from slice to slice.",
        discussion: """
        Boxes are voxel indices, 0-based and inclusive, x = i (column), y = j (row), z = k (slice) in the \
        volume's stored array order (see `voxsam info`). Give several objects by repeating --box, each \
        with its own --name and --label (matched by position), or use --prompts, --from-mask, or the \
        `boxes` array of a CVPR24 .npz input.

        Examples:
          voxsam segment ct.nii.gz --box 44,25,0,105,83,29 --name liver --label 1 -o liver.nii.gz --qa qa.png
          voxsam segment CT_SERIES/ --protocol ct-abdomen --box-mm -120,-80,-300,40,60,-150 --name liver -o seg.dcm
          voxsam segment case.npz -o segs.npz            (boxes from the .npz)
          voxsam segment case.npz -o segs2.npz --cache emb/ --key-box object3:12:140,96,188,150
                                                         (a correction; with --cache only the decoder runs again)
          voxsam segment dimse://PACS@pacs.example:104/1.2.840.113619.2.55 --box 200,200,0,300,300,2 -o lesion.dcm \\
              --push dimse://PACS@pacs.example:104   (from a PACS by C-GET, the SEG back by C-STORE; our AE title: --aet)
        """)

    @Argument(help: "The image: DICOM folder/file, NIfTI, NRRD or CVPR24 .npz, or a series on a PACS (dicomweb://HOST:PORT/PATH/studies/S/series/U or dimse://AET@HOST:PORT/SERIES_UID).")
    var input: String

    @Option(name: .shortAndLong, help: "Output: label map .nii.gz/.nii/.nrrd (with label-name sidecars), .npz (CVPR24 `segs`), Slicer .seg.nrrd, or .dcm (DICOM SEG; RTSTRUCT with --output-format rtstruct).")
    var output: String

    @Option(name: .long, help: "nifti, nrrd, npz, seg-nrrd, dicom-seg or rtstruct (default: from the output's extension). DICOM SEG and RTSTRUCT need a DICOM input.")
    var outputFormat: String?

    @Option(name: .long, parsing: .unconditionalSingleValue, help: "A 3D box x0,y0,z0,x1,y1,z1 in voxel indices (repeatable).")
    var box: [String] = []

    @Option(name: .long, parsing: .unconditionalSingleValue, help: "A 3D box as two opposite corners x0,y0,z0,x1,y1,z1 in patient LPS millimetres (repeatable; may start with a minus sign).")
    var boxMm: [String] = []

    @Option(name: .long, help: "Name of each --box/--box-mm object, in order.")
    var name: [String] = []

    @Option(name: .long, help: "Label value of each --box/--box-mm object, in order (default 1, 2, …).")
    var label: [Int] = []

    @Option(name: .long, help: "JSON prompts file: {\"objects\": [{\"name\", \"label\", \"box\" or \"box_mm\", \"key_slice\", \"color\"}]}.")
    var prompts: String?

    @Option(name: .long, help: "Derive one box per label from an existing label map on the same grid (refinement).")
    var fromMask: String?

    @Option(name: .long, help: "With --from-mask: which labels, e.g. 1,3 (default: all).")
    var labels: String?

    @Option(name: .customLong("key-box"), parsing: .unconditionalSingleValue,
            help: "A correction: a 2D box NAME:SLICE:x0,y0,x1,y1 for the object NAME on one slice (voxel indices of that slice: x = column, y = row), used there instead of the propagated box (repeatable). The confidence report's suggested_slices say where one would most likely help.")
    var keyBox: [String] = []

    @Option(name: .long, help: "Embedding cache folder: slice embeddings are kept there (4 MiB per slice) and reused by later runs on the same image, e.g. after adding key boxes. Never cleaned by VoxSAM.")
    var cache: String?

    @Option(name: .long, help: "Per-slice confidence report: .json or .csv.")
    var confidence: String?

    @Option(name: .long, help: "QA picture (.png): key slice and evenly spaced slices with overlays.")
    var qa: String?

    @OptionGroup var segmentation: SegmentationOptions
    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var pacs: PACSOptions
    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "No progress or summary on stderr.")
    var quiet = false

    @Option(name: .long, help: "Send the DICOM SEG or RTSTRUCT written to a PACS: dicomweb://HOST:PORT/PATH (the server's DICOMweb root; STOW-RS) or dimse://AET@HOST:PORT (C-STORE). If it fails, the file stays written and the exit code is 6.")
    var push: String?

    func run() throws {
        // Every output destination is checked before any work.
        let format = try OutputFormat.resolve(outputFormat, output: output)
        let plan = OutputPlan(labelMaps: [.init(format: format, path: output)], confidence: confidence.map { [$0] } ?? [],
                              qa: qa.map { [$0] } ?? [])
        try plan.check()
        let proto = try segmentation.loadProtocol()
        let settings = try segmentation.settings(proto, precision: try modelOptions.requestedPrecision())
        let destination = try push.map { text -> PACSAddress in
            guard format == .dicomSEG || format == .rtstruct else {
                throw VoxSAMError(.invalidArgument, "--push sends DICOM SEG or RTSTRUCT: write one (-o result.dcm, --output-format dicom-seg|rtstruct)")
            }
            return try PACSAddress.destination(text)
        }
        let objects = try objectSpecs()
        // The credentials are checked now, before any work.
        let needsClient = destination != nil || PACSAddress.isRemote(self.input)
        let client: PACSClient? = try needsClient ? pacs.client() : nil
        let local = try pacs.localize(self.input, client: client)
        defer { local.remove() }
        let input = JobInput(path: local.path, readOptions: inputOptions.readOptions, objects: objects, origin: "segment",
                             displayName: self.input, keyBoxes: try keyBox.map(NamedKeyBox.parse))
        // Read and check everything before the model loads.
        let prepared = try local.naming { try JobReader(settings: settings, protocol: proto).prepare(input, plan: plan) }
        let model = try modelOptions.sliceModel(precision: settings.precision)
        let job = SegmentationJob(model: model.model, settings: settings, protocol: proto, modelName: model.name)
        job.cache = try cache.map { try EmbeddingCache(directory: $0) }
        if !quiet {
            for w in prepared.warnings { Diagnostics.warn("\(self.input): \(w)") }
            Diagnostics.info("window \(prepared.window) (\(settings.window == nil ? "default for this volume" : "as given"))")
        }
        let progress = ProgressDisplay(enabled: !quiet, label: "encoding slices")
        job.progress = { done, total in progress.update(done, total) }
        let result = try job.segment(prepared)
        progress.finish()
        if !quiet { for w in job.cache?.warnings ?? [] { Diagnostics.warn(w) } }
        let written = try job.write(result, plan: plan)
        if !quiet {
            for o in result.report.objects {
                Diagnostics.info(String(format: "%@ (label %d): %.1f mL, slices %d–%d, IoU mean %.3f min %.3f%@",
                                        o.name, o.label, o.volumeML, o.sliceRange[0], o.sliceRange[1], o.meanIoU, o.minIoU,
                                        o.lowConfidenceSlices.isEmpty ? "" : ", low confidence on slices \(o.lowConfidenceSlices.map(String.init).joined(separator: ","))"))
            }
            for n in written.notes { Diagnostics.info(n) }
            let cached = result.result.cacheHits.map { ", \($0) from the cache" } ?? ""
            Diagnostics.info(String(format: "wrote %@ (%d encoder calls%@, %.1f s)", written.files.joined(separator: ", "), result.result.encoderCalls,
                                    cached, result.result.seconds))
            for o in result.report.objects where !o.suggestedSlices.isEmpty && !o.lowConfidenceSlices.isEmpty {
                Diagnostics.info("\(o.name): a key box would most likely help on slice \(o.suggestedSlices.map(String.init).joined(separator: ", ")) (--key-box \(o.name):SLICE:x0,y0,x1,y1)")
            }
        }
        if let destination, let client {
            try pacs.push([output], to: destination, client: client, quiet: quiet)
        }
    }

    /// The objects as given on the command line (boxes, mm boxes, a prompts file, a mask), in order.
    func objectSpecs() throws -> [ObjectSpec] {
        let given = box.map { ($0, false) } + boxMm.map { ($0, true) }
        if !name.isEmpty && name.count != given.count {
            throw VoxSAMError(.invalidArgument, "\(name.count) --name for \(given.count) boxes: give one --name per --box/--box-mm, in order")
        }
        if !label.isEmpty && label.count != given.count {
            throw VoxSAMError(.invalidArgument, "\(label.count) --label for \(given.count) boxes: give one --label per --box/--box-mm, in order")
        }
        var out: [ObjectSpec] = try given.enumerated().map { n, g in
            let (text, mm) = g
            let objName = name.isEmpty ? nil : name[n]
            var spec = ObjectSpec(name: objName ?? "object\(n + 1)", label: label.isEmpty ? nil : label[n])
            if objName == nil { spec.name = nil }
            if mm {
                let v = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard v.count == 6, v.allSatisfy({ $0?.isFinite == true }) else {
                    throw VoxSAMError(.invalidArgument, "--box-mm `\(text)` must be six numbers x0,y0,z0,x1,y1,z1 (LPS mm)")
                }
                spec.boxMM = v.map { $0! }
            } else {
                spec.box = try VoxelBox.parse(text, what: "object `\(objName ?? "object\(n + 1)")`").array
            }
            return spec
        }
        if let p = prompts { out += try ObjectSpec.load(promptsFile: p) }
        if let m = fromMask {
            let only = try labels.map { s in
                try s.split(separator: ",").map { t -> Int in
                    guard let v = Int(t.trimmingCharacters(in: .whitespaces)) else {
                        throw VoxSAMError(.invalidArgument, "--labels must be integers separated by commas, e.g. 1,3")
                    }
                    return try LabelValue.check(v, "--labels")
                }
            }
            out += only.map { $0.map { ObjectSpec(fromMask: m, maskLabel: $0) } } ?? [ObjectSpec(fromMask: m)]
        }
        return out
    }
}
