import Foundation
import VoxSAMCore
import VoxSAMExport

/// What a job writes, and where. Every file of a plan commits as one group.
public struct OutputPlan: Sendable, Equatable {
    public struct LabelMap: Sendable, Equatable {
        public var format: OutputFormat
        public var path: String
        public init(format: OutputFormat, path: String) { self.format = format; self.path = path }
    }

    public var labelMaps: [LabelMap] = []
    /// Confidence reports (`.json` or `.csv`).
    public var confidence: [String] = []
    /// QA pictures (`.png`).
    public var qa: [String] = []
    /// Seconds in the confidence report (batch keeps them in its manifest instead, so that a study's
    /// files are byte-identical whenever its results are).
    public var timingsInReport = true

    public init(labelMaps: [LabelMap] = [], confidence: [String] = [], qa: [String] = [], timingsInReport: Bool = true) {
        self.labelMaps = labelMaps; self.confidence = confidence; self.qa = qa; self.timingsInReport = timingsInReport
    }

    /// A batch study's outputs inside `folder`, named by `StudyOutput.fileName`.
    public static func study(_ outputs: [StudyOutput], folder: String) -> OutputPlan {
        var plan = OutputPlan(timingsInReport: false)
        for o in outputs {
            let path = (folder as NSString).appendingPathComponent(o.fileName)
            switch o {
            case .labelMap(let f): plan.labelMaps.append(LabelMap(format: f, path: path))
            case .confidenceJSON, .confidenceCSV: plan.confidence.append(path)
            case .qaPNG: plan.qa.append(path)
            }
        }
        return plan
    }

    /// Every file the plan writes (with the `.img` of a pair and label sidecars).
    public var files: [String] {
        labelMaps.flatMap { Exporter.plannedFiles(format: $0.format, output: $0.path) } + confidence + qa
    }

    public var needsDICOMSource: Bool { labelMaps.contains { $0.format.needsDICOMSource } }

    /// An output a study's image cannot give, and why (a NIfTI study asked for DICOM SEG).
    public struct Skipped: Codable, Sendable, Equatable {
        public var file: String
        public var format: String
        public var reason: String
        public init(file: String, format: String, reason: String) { self.file = file; self.format = format; self.reason = reason }
    }

    /// The plan without the label maps `prepared` cannot give — DICOM SEG and RTSTRUCT need the DICOM
    /// series with its instances (batch writes what each study can have) — and what was left out.
    public func available(for prepared: PreparedJob) -> (plan: OutputPlan, skipped: [Skipped]) {
        guard needsDICOMSource else { return (self, []) }
        let source = Volume(geometry: prepared.image8.geometry, voxels: prepared.image8.voxels, metadata: prepared.source)
        var reason: String?
        do { _ = try DICOMSourceSeries(source, path: prepared.input.path) } catch let e as VoxSAMError {
            reason = e.message
        } catch {
            reason = "\(error)"
        }
        guard let reason else { return (self, []) }
        var plan = self
        plan.labelMaps = labelMaps.filter { !$0.format.needsDICOMSource }
        let skipped = labelMaps.filter(\.format.needsDICOMSource).map {
            Skipped(file: ($0.path as NSString).lastPathComponent, format: $0.format.rawValue, reason: reason)
        }
        return (plan, skipped)
    }

    /// Whether the plan writes nothing at all.
    public var isEmpty: Bool { labelMaps.isEmpty && confidence.isEmpty && qa.isEmpty }

    /// Checks names and folders before any work: one error naming the file.
    public func check() throws {
        for c in confidence where !(c.lowercased().hasSuffix(".json") || c.lowercased().hasSuffix(".csv")) {
            throw VoxSAMError(.invalidArgument, "a confidence report must end in .json or .csv", path: c)
        }
        for q in qa where !q.lowercased().hasSuffix(".png") {
            throw VoxSAMError(.invalidArgument, "a QA picture must end in .png", path: q)
        }
        var seen = Set<String>()
        for f in files {
            let std = URL(fileURLWithPath: f).standardizedFileURL.path
            guard seen.insert(std).inserted else {
                throw VoxSAMError(.invalidArgument, "two outputs of this run are the same file", path: f)
            }
            try AtomicWrite.checkDestination(f)
        }
    }
}
