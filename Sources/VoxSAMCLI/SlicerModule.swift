import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMJob
import VoxSAMModel
import VoxSAMProtocol
import VoxSAMSegment

/// `voxsam-slicer`: VoxSAM as a 3D Slicer / MITK CLI module (Slicer Execution Model). `--xml` prints
/// the module description; a run segments the input volume with one object per Markups ROI — the same
/// job as `voxsam segment --box-mm` — and writes the label map Slicer loads back. Progress goes to
/// stdout as `<filter-progress>` lines; stderr stays empty unless the run fails (Slicer reports any
/// stderr as an error), then it holds one line and the exit code is `voxsam`'s.
public struct SlicerModuleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "voxsam-slicer",
        abstract: "VoxSAM as a 3D Slicer / MITK CLI module: `--xml` describes it; Slicer runs it with one Markups ROI per structure.")

    @Flag(name: .long, help: "Print the module description (Slicer Execution Model XML) and exit.")
    var xml = false

    @Argument(help: "The input volume (NRRD as Slicer writes it; NIfTI and DICOM work too).")
    var inputVolume: String?

    @Argument(help: "The output label map (.nrrd).")
    var outputLabel: String?

    @Option(name: .long, parsing: .unconditionalSingleValue,
            help: "A box as a Markups ROI: centre and radius cx,cy,cz,rx,ry,rz in RAS millimetres (repeatable; one structure each).")
    var roi: [String] = []

    // Slicer gives each <region> one ROI node, so more structures come as numbered regions.
    @Option(name: .customLong("roi2"), parsing: .unconditional, help: "Structure 2's ROI.") var roi2: String?
    @Option(name: .customLong("roi3"), parsing: .unconditional, help: "Structure 3's ROI.") var roi3: String?
    @Option(name: .customLong("roi4"), parsing: .unconditional, help: "Structure 4's ROI.") var roi4: String?
    @Option(name: .customLong("roi5"), parsing: .unconditional, help: "Structure 5's ROI.") var roi5: String?
    @Option(name: .customLong("roi6"), parsing: .unconditional, help: "Structure 6's ROI.") var roi6: String?

    /// Every ROI, in structure order.
    var rois: [String] { roi + [roi2, roi3, roi4, roi5, roi6].compactMap { $0 } }
    static let numberedRegions = 6

    @Option(name: .long, help: "Structure names, comma-separated, one per ROI in order (default: the protocol's, else object1, …).")
    var names: String?

    @Option(name: .long, help: "Label values, comma-separated, one per ROI in order (default 1, 2, …, or the protocol's for the names).")
    var labels: String?

    @Option(name: .customLong("protocol"), help: "A shipped protocol, or none.")
    var protocolName: String = "none"

    @Option(name: .long, help: "Window (empty: by volume).")
    var window: String = ""

    @Option(name: .long, help: "protocol (the protocol's, else reference), reference or adaptive.")
    var propagation: String = "protocol"

    @Option(name: .long, help: "Optional Slicer segmentation (.seg.nrrd).")
    var segmentation: String?

    @Option(name: .long, help: "Optional per-slice confidence table (.csv).")
    var confidence: String?

    @Option(name: .long, help: "Where Slicer wants the returned values (name = value lines).")
    var returnparameterfile: String?

    @OptionGroup var modelOptions: ModelOptions

    // Slicer adds this for modules it runs in-process; an executable ignores it.
    @Option(name: .long, help: .hidden)
    var processinformationaddress: String?

    public init() {}

    /// Runs the module: errors become one line on stderr and `voxsam`'s exit codes.
    public static func runSlicerMain(_ arguments: [String]? = nil) -> Never {
        VoxSAMCommand.runReportingErrors(Self.self, program: "voxsam-slicer") { try parse(arguments).run() }
    }

    public func run() throws {
        if xml {
            FileHandle.standardOutput.write(Data(Self.description(protocols: Self.shippedProtocols()).utf8))
            return
        }
        guard let input = inputVolume, let output = outputLabel else {
            throw VoxSAMError(.invalidArgument, "give the input volume and the output label map (or --xml)")
        }
        let rois = self.rois
        guard !rois.isEmpty else { throw VoxSAMError(.invalidArgument, "give at least one ROI (--roi cx,cy,cz,rx,ry,rz, RAS mm)") }
        let nameList = try list(names, "--names") { $0 }
        let labelList = try list(labels, "--labels") { t -> Int in
            guard let v = Int(t) else { throw VoxSAMError(.invalidArgument, "--labels: `\(t)` is not a whole number") }
            return try LabelValue.check(v, "--labels")
        }
        let specs = try rois.enumerated().map { n, text in
            ObjectSpec(name: n < nameList.count ? nameList[n] : nil, label: n < labelList.count ? labelList[n] : nil,
                       boxMM: try Self.lpsCorners(ras: text))
        }
        var plan = OutputPlan(labelMaps: [.init(format: .nrrd, path: output)], confidence: confidence.map { [$0] } ?? [])
        if let s = segmentation { plan.labelMaps.append(.init(format: .segNRRD, path: s)) }
        try plan.check()
        let proto = protocolName == "none" || protocolName.isEmpty ? nil : try ProtocolLibrary.resolve(protocolName)
        let mode = propagation == "protocol" ? nil : PropagationMode(rawValue: propagation)
        guard propagation == "protocol" || mode != nil else {
            throw VoxSAMError(.invalidArgument, "--propagation must be protocol, reference or adaptive")
        }
        let settings = try JobSettings.resolve(window: window.isEmpty ? nil : try Window.parse(window), propagation: mode,
                                               protocol: proto)
        progress(0.02, comment: "reading \((input as NSString).lastPathComponent)")
        let prepared = try JobReader(settings: settings, protocol: proto)
            .prepare(JobInput(path: input, objects: specs, origin: "Slicer ROI"), plan: plan)
        for w in prepared.warnings { FileHandle.standardOutput.write(Data("voxsam: warning: \(w)\n".utf8)) }
        progress(0.05, comment: "loading the model")
        let model = try modelOptions.sliceModel(precision: settings.precision)
        let job = SegmentationJob(model: model.model, settings: settings, protocol: proto, modelName: model.name)
        job.progress = { done, total in progress(0.1 + 0.85 * Double(done) / Double(max(total, 1)), comment: "slice \(done) of \(total)") }
        let result = try job.segment(prepared)
        for note in try job.write(result, plan: plan).notes { FileHandle.standardOutput.write(Data("voxsam: \(note)\n".utf8)) }
        let objects = result.report.objects
        if let path = returnparameterfile {
            let ious = objects.flatMap { $0.slices.map(\.iouPrediction) }
            let low = objects.filter { !$0.lowConfidenceSlices.isEmpty }
                .map { "\($0.name): \($0.lowConfidenceSlices.map(String.init).joined(separator: ","))" }.joined(separator: "; ")
            var text = "volumeML = \(objects.map { String(format: "%.2f", $0.volumeML) }.joined(separator: ","))\n"
            text += "meanIoU = \(String(format: "%.4f", ious.isEmpty ? 0 : ious.reduce(0, +) / Float(ious.count)))\n"
            text += "minIoU = \(String(format: "%.4f", ious.min() ?? 0))\n"
            text += "lowConfidenceSlices = \(low.isEmpty ? "none" : low)\n"
            try AtomicWrite.write(Data(text.utf8), to: path)
        }
        progress(1, comment: "done")
    }

    private func progress(_ fraction: Double, comment: String) {
        let text = "<filter-progress>\(String(format: "%.3f", min(max(fraction, 0), 1)))</filter-progress>\n<filter-comment>\(comment)</filter-comment>\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private func list<T>(_ text: String?, _ what: String, _ parse: (String) throws -> T) throws -> [T] {
        guard let text, !text.isEmpty else { return [] }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.count <= rois.count else {
            throw VoxSAMError(.invalidArgument, "\(what): \(items.count) values for \(rois.count) ROI(s); give one per ROI, in order")
        }
        return try items.map(parse)
    }

    /// A Markups ROI `cx,cy,cz,rx,ry,rz` (centre and radius, RAS mm) → two opposite LPS corners.
    static func lpsCorners(ras text: String) throws -> [Double] {
        let v = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        if v.count == 15 {
            // Slicer appends the ROI's axes when it is rotated.
            throw VoxSAMError(.invalidArgument, "--roi: the ROI is rotated; VoxSAM's boxes follow the volume's axes — reset the ROI's orientation (Markups → ROI → Reset) and fit it again")
        }
        guard v.count == 6, v.allSatisfy({ $0?.isFinite == true }) else {
            throw VoxSAMError(.invalidArgument, "--roi `\(text)` must be six numbers cx,cy,cz,rx,ry,rz (centre and radius, RAS mm)")
        }
        let c = v[0..<3].map { $0! }, r = v[3..<6].map { abs($0!) }
        // RAS → LPS: x and y change sign.
        return [-(c[0] - r[0]), -(c[1] - r[1]), c[2] - r[2], -(c[0] + r[0]), -(c[1] + r[1]), c[2] + r[2]]
    }

    static func shippedProtocols() -> [String] {
        guard let dir = ProtocolLibrary.directory() else { return [] }
        return ProtocolLibrary.yamlFiles(in: dir).map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    /// The Slicer Execution Model description.
    static func description(protocols: [String]) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let protocolElements = (["none"] + protocols).map { "        <element>\(esc($0))</element>" }.joined(separator: "\n")
        // One region per structure (Slicer passes one ROI node per region): --roi, --roi2, …
        let regions = (1...numberedRegions).map { n in
            let flag = n == 1 ? "roi" : "roi\(n)"
            return """
                <region>
                  <name>\(flag)</name>
                  <longflag>\(flag)</longflag>
                  <description><![CDATA[A Markups ROI around structure \(n) on every slice it spans\(n == 1 ? "" : " (optional)").]]></description>
                  <label>Box \(n) (ROI)</label>
                  <channel>input</channel>
                </region>
            """
        }.joined(separator: "\n")
        return """
        <?xml version="1.0" encoding="utf-8"?>
        <executable>
          <category>Segmentation</category>
          <title>VoxSAM box segmentation</title>
          <description><![CDATA[Segments structures of a CT or MR volume from boxes (Markups ROIs, one per structure) with LiteMedSAM, slice by slice, natively on the CPU (VoxSAM \(VoxSAMVersion.string)).]]></description>
          <version>\(esc(VoxSAMVersion.string))</version>
          <documentation-url>https://github.com/voxsam/voxsam#3d-slicer-and-mitk-voxsam-slicer-a-cli-module</documentation-url>
          <license>See the VoxSAM repository</license>
          <contributor>VoxSAM</contributor>
          <acknowledgements><![CDATA[LiteMedSAM (MedSAM, CVPR 2024 challenge); the Slicer Execution Model.]]></acknowledgements>
          <parameters>
            <label>Input and output</label>
            <description><![CDATA[The volume to segment, one box per structure, and the label map to write.]]></description>
            <image>
              <name>inputVolume</name>
              <index>0</index>
              <description><![CDATA[The CT or MR volume.]]></description>
              <label>Input volume</label>
              <channel>input</channel>
            </image>
            <image type="label" fileExtensions=".nrrd">
              <name>outputLabel</name>
              <index>1</index>
              <description><![CDATA[One label per structure, on the input's grid.]]></description>
              <label>Output label map</label>
              <channel>output</channel>
            </image>
        \(regions)
          </parameters>
          <parameters>
            <label>Structures and settings</label>
            <description><![CDATA[Names, labels and how the boxes are propagated.]]></description>
            <string-vector>
              <name>names</name>
              <longflag>names</longflag>
              <description><![CDATA[One per box, in order (e.g. liver,spleen); empty: the protocol's or object1, object2, ...]]></description>
              <label>Structure names</label>
            </string-vector>
            <integer-vector>
              <name>labels</name>
              <longflag>labels</longflag>
              <description><![CDATA[One per box, in order; empty: 1, 2, ... or the protocol's for the names.]]></description>
              <label>Label values</label>
            </integer-vector>
            <string-enumeration>
              <name>protocolName</name>
              <longflag>protocol</longflag>
              <description><![CDATA[A shipped segmentation protocol (names, colours, codes, window), or none.]]></description>
              <label>Protocol</label>
              <default>none</default>
        \(protocolElements)
            </string-enumeration>
            <string>
              <name>window</name>
              <longflag>window</longflag>
              <description><![CDATA[abdomen, liver, lung, bone, brain, mediastinum, W,L or p0.5,99.5; empty: the protocol's, else CT abdomen window, MR percentiles.]]></description>
              <label>Window</label>
            </string>
            <string-enumeration>
              <name>propagation</name>
              <longflag>propagation</longflag>
              <description><![CDATA[protocol: the protocol's, else reference; reference: the reference procedure exactly; adaptive: stop a direction once the mask vanishes.]]></description>
              <label>Propagation</label>
              <default>protocol</default>
              <element>protocol</element>
              <element>reference</element>
              <element>adaptive</element>
            </string-enumeration>
          </parameters>
          <parameters advanced="true">
            <label>More outputs</label>
            <description><![CDATA[A Slicer segmentation, the per-slice confidence table and the returned values.]]></description>
            <file fileExtensions=".seg.nrrd">
              <name>segmentation</name>
              <longflag>segmentation</longflag>
              <description><![CDATA[The structures as a Slicer segmentation with names and colours.]]></description>
              <label>Segmentation (.seg.nrrd)</label>
              <channel>output</channel>
            </file>
            <file fileExtensions=".csv">
              <name>confidence</name>
              <longflag>confidence</longflag>
              <description><![CDATA[Per structure and slice: box, predicted IoU, stability, area, flags.]]></description>
              <label>Confidence table (.csv)</label>
              <channel>output</channel>
            </file>
            <float-vector>
              <name>volumeML</name>
              <description><![CDATA[Each structure's volume, in box order.]]></description>
              <label>Volumes (mL)</label>
              <channel>output</channel>
            </float-vector>
            <float>
              <name>meanIoU</name>
              <description><![CDATA[Over every segmented slice of every structure.]]></description>
              <label>Mean predicted IoU</label>
              <channel>output</channel>
            </float>
            <float>
              <name>minIoU</name>
              <description><![CDATA[The least confident slice.]]></description>
              <label>Lowest predicted IoU</label>
              <channel>output</channel>
            </float>
            <string>
              <name>lowConfidenceSlices</name>
              <description><![CDATA[Per structure, the slices flagged for checking.]]></description>
              <label>Slices to check</label>
              <channel>output</channel>
            </string>
          </parameters>
        </executable>

        """
    }
}
