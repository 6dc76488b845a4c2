import ArgumentParser
import Foundation
import VoxSAMBatch
import VoxSAMCore
import VoxSAMExport
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
        """)

    @Argument(help: "The image: DICOM folder/file, NIfTI, NRRD or CVPR24 .npz.")
    var input: String

    @Option(name: .shortAndLong, help: "Output: label map .nii.gz/.nii/.nrrd (with label-name sidecars), .npz (CVPR24 `segs`), Slicer .seg.nrrd, or .dcm (DICOM SEG; RTSTRUCT with --output-format rtstruct).")
    var output: String

    @Option(name: .long, help: "nifti, nrrd, npz, seg-nrrd, dicom-seg or rtstruct (default: from the output's extension). DICOM SEG and RTSTRUCT need a DICOM input.")
    var outputFormat: String?

    @Option(name: .long, help: "A 3D box x0,y0,z0,x1,y1,z1 in voxel indices (repeatable).")
    var box: [String] = []

    @Option(name: .long, help: "A 3D box as two opposite corners x0,y0,z0,x1,y1,z1 in patient LPS millimetres (repeatable).")
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

    @Option(name: .long, help: "Per-slice confidence report: .json or .csv.")
    var confidence: String?

    @Option(name: .long, help: "QA picture (.png): key slice and evenly spaced slices with overlays.")
    var qa: String?

    @OptionGroup var segmentation: SegmentationOptions
    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "No progress or summary on stderr.")
    var quiet = false

    func run() throws {
        // Check every output destination before any work.
        let format = try ExportFormat.resolve(outputFormat, output: output)
        try Exporter.checkDestinations(format: format, output: output)
        for p in [confidence, qa].compactMap({ $0 }) { try AtomicWrite.checkDestination(p) }
        if let c = confidence, !(c.lowercased().hasSuffix(".json") || c.lowercased().hasSuffix(".csv")) {
            throw VoxSAMError(.invalidArgument, "--confidence must end in .json or .csv", path: c)
        }
        if let q = qa, !q.lowercased().hasSuffix(".png") { throw VoxSAMError(.invalidArgument, "--qa must end in .png", path: q) }
        let proto = try segmentation.loadProtocol()
        let sliceAxis = try segmentation.sliceAxis(proto).axis

        let volume = try VolumeReader.read(path: input, options: inputOptions.readOptions)
        if format.needsDICOMSource { _ = try DICOMSourceSeries(volume, path: input) }  // before any work
        if !quiet { for w in volume.metadata.warnings { Diagnostics.warn("\(input): \(w)") } }
        var objects = try collectPrompts(volume, protocol: proto)
        if let proto { objects = try ProtocolPrompts.apply(proto, to: objects, warn: quiet ? { _ in } : Diagnostics.warn) }
        try PromptSource.validate(objects, size: volume.size, axis: sliceAxis.axis)
        let window = try segmentation.windowText(proto).map(Window.parse) ?? Window.defaultWindow(for: volume)
        let image8 = Windowing.apply(window, to: volume)

        let (model, modelPath) = try modelOptions.load()
        let sliceModel = LiteMedSAMSliceModel(model: model)
        var settings = Propagator<LiteMedSAMSliceModel>.Settings()
        settings.mode = segmentation.propagationMode(proto)
        settings.axis = sliceAxis
        settings.lowConfidenceIoU = segmentation.lowConfidenceIoU(proto)
        let propagator = Propagator(model: sliceModel, settings: settings)
        let progress = ProgressDisplay(enabled: !quiet, label: "encoding slices")
        propagator.progress = { done, total in progress.update(done, total) }
        var result = try propagator.run(image8: image8, prompts: objects)
        progress.finish()
        result.labelMap.metadata = volume.metadata
        result.labelMap.metadata.warnings = []

        let segments = try SegmentCatalog(protocol: proto).describe(objects.map { (label: $0.label, name: Optional($0.name), color: $0.color) })
        var series = DerivedSeriesInfo(seriesDescription: "VoxSAM \(segments.map(\.name).joined(separator: ", "))")
        series.contentDescription = "LiteMedSAM, box-prompted, propagated slice by slice" + (proto.map { ", protocol \($0.name)" } ?? "")
        let exported = try Exporter.export(ExportRequest(labelMap: result.labelMap, labelMapPath: output, source: volume, sourcePath: input,
                                                         segments: segments, format: format, output: output, series: series))
        let report = ConfidenceReport(result: result, input: input, model: URL(fileURLWithPath: modelPath).lastPathComponent)
        if let c = confidence { try report.write(to: c) }
        if let q = qa { try PNGIO.write(QAMontage.render(image8: image8, result: result), to: q) }
        if !quiet {
            for o in report.objects {
                Diagnostics.info(String(format: "%@ (label %d): %.1f mL, slices %d–%d, IoU mean %.3f min %.3f%@",
                                        o.name, o.label, o.volumeML, o.sliceRange[0], o.sliceRange[1], o.meanIoU, o.minIoU,
                                        o.lowConfidenceSlices.isEmpty ? "" : ", low confidence on slices \(o.lowConfidenceSlices.map(String.init).joined(separator: ","))"))
            }
            for n in exported.notes { Diagnostics.info(n) }
            Diagnostics.info(String(format: "wrote %@ (%d encoder calls, %.1f s)", exported.files.joined(separator: ", "), result.encoderCalls, result.seconds))
        }
    }

    func collectPrompts(_ volume: Volume, protocol proto: SegmentationProtocol? = nil) throws -> [ObjectPrompt] {
        var out: [ObjectPrompt] = []
        let given = box.map { ($0, false) } + boxMm.map { ($0, true) }
        if !name.isEmpty && name.count != given.count {
            throw VoxSAMError(.invalidArgument, "\(name.count) --name for \(given.count) boxes: give one --name per --box/--box-mm, in order")
        }
        if !label.isEmpty && label.count != given.count {
            throw VoxSAMError(.invalidArgument, "\(label.count) --label for \(given.count) boxes: give one --label per --box/--box-mm, in order")
        }
        for (n, (text, mm)) in given.enumerated() {
            let objName = name.isEmpty ? "object\(n + 1)" : name[n]
            let what = "object `\(objName)`"
            let b: VoxelBox
            if mm {
                let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                b = try PromptSource.box(fromMillimetres: v, geometry: volume.geometry, what: what)
            } else {
                b = try VoxelBox.parse(text, what: what)
            }
            // With a protocol, --name alone picks the structure's label.
            let byName = label.isEmpty && !name.isEmpty ? proto?.structure(named: objName)?.label : nil
            out.append(ObjectPrompt(name: objName, label: label.isEmpty ? (byName ?? n + 1) : label[n], box: b))
        }
        if let p = prompts { out += try PromptSource.fromJSON(path: p, geometry: volume.geometry) }
        if let m = fromMask {
            let mask = try VolumeReader.read(path: m)
            guard mask.geometry.isSameGrid(as: volume.geometry, tolerance: 1e-2) else {
                throw VoxSAMError(.geometry, "the mask is not on the image's grid (size \(mask.size.x)x\(mask.size.y)x\(mask.size.z) vs \(volume.size.x)x\(volume.size.y)x\(volume.size.z), or different origin/spacing/direction)", path: m)
            }
            let only = try labels.map { s in
                try s.split(separator: ",").map { t -> Int in
                    guard let v = Int(t.trimmingCharacters(in: .whitespaces)) else {
                        throw VoxSAMError(.invalidArgument, "--labels must be integers separated by commas, e.g. 1,3")
                    }
                    return v
                }
            }
            out += try PromptSource.fromLabelMap(mask, only: only)
        }
        if out.isEmpty, try VolumeReader.format(of: input) == .npz {
            out = try PromptSource.fromNPZ(path: input)
        }
        return out
    }
}

extension PropagationMode: ExpressibleByArgument {}
