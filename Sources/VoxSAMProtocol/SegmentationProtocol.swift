import Foundation
import VoxSAMCore
import Yams

/// A segmentation protocol: which structures a study is segmented into (names, label values,
/// colours, SNOMED CT codes), how the image is windowed, how boxes propagate and what is written.
///
/// ```yaml
/// name: ct-abdomen
/// description: Abdominal organs on CT
/// modality: CT                    # CT | MR
/// window: abdomen                 # --window syntax: preset, W,L or pLOW,HIGH (default by modality)
/// series_description: abdomen     # optional: DICOM series picked by description (case-insensitive substring)
/// propagation: {mode: reference, low_confidence: 0.8, axis: k}   # optional
/// outputs: [nifti, confidence-json, qa-png]                      # optional (these are the default)
/// structures:
///   - name: liver
///     label: 1                    # 1…65535, unique
///     color: [221, 130, 101]      # optional: built-in table, else a distinct colour
///     category: {value: "123037004", scheme: SCT, meaning: Anatomical Structure}   # optional together
///     type: {value: "10200004", scheme: SCT, meaning: Liver}                       # with `type`
///     type_modifier: {value: "7771000", scheme: SCT, meaning: Left}                # optional
///     anatomic_region: {value: "12738006", scheme: SCT, meaning: Brain}            # optional
/// ```
/// `category` and `type` may be left out only for names the built-in table knows
/// (`BuiltinTerminology`); otherwise they are required. Every problem is reported as
/// `FILE:LINE: FIELD: problem` (a `VoxSAMError` with path `FILE:LINE`, code `.invalidArgument`).
public struct SegmentationProtocol: Sendable, Equatable {
    public var name: String
    public var description: String
    public var modality: ImagingModality
    public var window: Window
    /// Case-insensitive substring of the DICOM SeriesDescription to pick when a study holds several series.
    public var seriesDescription: String?
    public var propagation: ProtocolPropagation
    public var outputs: [StudyOutput]
    /// The encoder arithmetic (`precision: fp32|int8|auto`), nil: the default (fp32).
    public var precision: Precision?
    /// In file order; labels and names are unique.
    public var structures: [SegmentDescription]
    /// The file it was read from (as given), if any.
    public var path: String?
    /// SHA-256 of the file's bytes (recorded in batch manifests).
    public var sha256: String

    public init(name: String, description: String = "", modality: ImagingModality, window: Window? = nil,
                seriesDescription: String? = nil, propagation: ProtocolPropagation = ProtocolPropagation(),
                outputs: [StudyOutput] = StudyOutput.defaults, structures: [SegmentDescription],
                path: String? = nil, sha256: String = "", precision: Precision? = nil) {
        self.precision = precision
        self.name = name; self.description = description; self.modality = modality
        self.window = window ?? modality.defaultWindow
        self.seriesDescription = seriesDescription; self.propagation = propagation; self.outputs = outputs
        self.structures = structures; self.path = path; self.sha256 = sha256
    }

    /// The structure with this label value.
    public func structure(label: Int) -> SegmentDescription? { structures.first { $0.label == label } }

    /// The structure with this name (compared as `BuiltinTerminology.normalise` does).
    public func structure(named name: String) -> SegmentDescription? {
        let n = BuiltinTerminology.normalise(name)
        return structures.first { BuiltinTerminology.normalise($0.name) == n }
    }

    // MARK: Loading

    /// Reads and validates a protocol file.
    public static func load(path: String) throws -> SegmentationProtocol {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw VoxSAMError(.notFound, exists ? (isDir.boolValue ? "is a folder, not a protocol file" : "cannot be read (check permissions)")
                                                : "the protocol file does not exist (see `voxsam protocol list` for the shipped ones)", path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VoxSAMError(.invalidArgument, "the protocol file is not UTF-8 text", path: path)
        }
        var p = try parse(text, path: path)
        p.sha256 = SHA256.hex(of: data)
        return p
    }

    static let topKeys = ["name", "description", "modality", "window", "series_description", "propagation", "precision", "outputs", "structures"]
    static let structureKeys = ["name", "label", "color", "category", "type", "type_modifier", "anatomic_region"]
    static let codeKeys = ["value", "scheme", "meaning"]
    static let propagationKeys = ["mode", "low_confidence", "axis"]

    /// Parses protocol text; `path` is used in messages only.
    public static func parse(_ text: String, path: String) throws -> SegmentationProtocol {
        let rootNode: Node?
        do {
            rootNode = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw yamlError(e, path: path)
        } catch {
            throw VoxSAMError(.invalidArgument, "not valid YAML: \(error)", path: path)
        }
        guard let rootNode else {
            throw YAMLValue.error(file: path, line: 1, field: "", "the file is empty; a protocol needs at least name, modality and structures")
        }
        let root = YAMLValue(node: rootNode, field: "", file: path, fallbackLine: 1)
        let top = try root.mapping(allowed: topKeys)

        let name = try top.required("name").string()
        let description = try top.optional("description")?.string() ?? ""
        let modalityValue = try top.required("modality", hint: "CT or MR")
        let modality = ImagingModality(rawValue: try modalityValue.choice(ImagingModality.allCases.map(\.rawValue)))!

        var window = modality.defaultWindow
        if let w = top.optional("window") {
            let t = try w.string()
            do { window = try Window.parse(t) } catch let e as VoxSAMError { throw w.error(e.message) }
        }
        let series = try top.optional("series_description")?.string()
        var precision: Precision?
        if let p = top.optional("precision") {
            let t = try p.string()
            do { precision = try Precision.parse(t) } catch let e as VoxSAMError { throw p.error(e.message) }
        }

        var propagation = ProtocolPropagation()
        if let pv = top.optional("propagation") {
            let pm = try pv.mapping(allowed: propagationKeys)
            if let m = pm.optional("mode") {
                propagation.mode = PropagationMode(rawValue: try m.choice(PropagationMode.allCases.map(\.rawValue)))!
            }
            if let lc = pm.optional("low_confidence") {
                let v = try lc.double()
                guard v > 0, v <= 1 else { throw lc.error("\(v) is not a predicted-IoU threshold (0 < value <= 1)") }
                propagation.lowConfidence = Float(v)
            }
            if let a = pm.optional("axis") { propagation.axis = try SliceAxis.parse(try a.choice(["i", "j", "k"])) }
        }

        var outputs = StudyOutput.defaults
        if let ov = top.optional("outputs") {
            let items = try ov.sequence()
            guard !items.isEmpty else { throw ov.error("lists no outputs; give at least one of \(StudyOutput.allCases.map(\.rawValue).joined(separator: ", "))") }
            var seen = Set<StudyOutput>()
            outputs = []
            for item in items {
                let o = StudyOutput(rawValue: try item.choice(StudyOutput.allCases.map(\.rawValue)))!
                guard seen.insert(o).inserted else { throw item.error("`\(o.rawValue)` is listed twice") }
                outputs.append(o)
            }
            guard outputs.contains(where: { $0.labelMapFormat != nil }) else {
                throw ov.error("writes no segmentation; add a label map (nifti, nrrd, npz) or an export (seg-nrrd, dicom-seg, rtstruct)")
            }
        }

        let sv = try top.required("structures", hint: "list the structures to segment, each with name and label")
        let items = try sv.sequence()
        guard !items.isEmpty else { throw sv.error("lists no structures; give at least one with name and label") }
        var structures: [SegmentDescription] = []
        var labelsSeen: [Int: (String, Int)] = [:], namesSeen: [String: Int] = [:]
        for item in items {
            let s = try structure(item)
            if let (other, line) = labelsSeen[s.label] {
                throw item.error("label \(s.label) is already used by `\(other)` (line \(line)); every structure needs its own label value")
            }
            let n = BuiltinTerminology.normalise(s.name)
            if let line = namesSeen[n] {
                throw item.error("the name `\(s.name)` is already used (line \(line)); names must be unique")
            }
            labelsSeen[s.label] = (s.name, item.line)
            namesSeen[n] = item.line
            structures.append(s)
        }
        return SegmentationProtocol(name: name, description: description, modality: modality, window: window,
                                    seriesDescription: series, propagation: propagation, outputs: outputs,
                                    structures: structures, path: path, sha256: SHA256.hex(of: Array(text.utf8)),
                                    precision: precision)
    }

    private static func structure(_ item: YAMLValue) throws -> SegmentDescription {
        let m = try item.mapping(allowed: structureKeys)
        let nameValue = try m.required("name")
        let name = try nameValue.string()
        guard name.count <= 64 else { throw nameValue.error("`\(name)` is longer than 64 characters (DICOM SegmentLabel)") }
        let labelValue = try m.required("label", hint: "the value of this structure in the label map (1…65535)")
        let label = try labelValue.int()
        if let problem = LabelValue.problem(label) { throw labelValue.error(problem) }
        let builtin = BuiltinTerminology.entry(named: name)

        var color = builtin?.color ?? RGB.forLabel(label)
        if let cv = m.optional("color") { color = try rgb(cv) }

        let category = try m.optional("category").map(code)
        let type = try m.optional("type").map(code)
        let finalCategory: CodedConcept, finalType: CodedConcept
        var modifier = builtin?.typeModifier
        switch (category, type) {
        case let (c?, t?):
            finalCategory = c; finalType = t
            modifier = nil
        case (nil, nil):
            guard let b = builtin else {
                throw item.error("`\(name)` is not in the built-in terminology table; give `category` and `type` codes, e.g. category: {value: \"123037004\", scheme: SCT, meaning: Anatomical Structure}")
            }
            finalCategory = b.category; finalType = b.type
        case (nil, _?):
            throw YAMLValue.error(file: item.file, line: item.line, field: "\(item.field).category", "missing; `type` needs a `category` (e.g. {value: \"123037004\", scheme: SCT, meaning: Anatomical Structure})")
        case (_?, nil):
            throw YAMLValue.error(file: item.file, line: item.line, field: "\(item.field).type", "missing; `category` needs a `type` code")
        }
        if let mv = m.optional("type_modifier") { modifier = try code(mv) }
        let region = try m.optional("anatomic_region").map(code)
        return SegmentDescription(label: label, name: name, color: color, category: finalCategory, type: finalType,
                                  anatomicRegion: region, typeModifier: modifier)
    }

    /// `[r, g, b]` with integers 0…255.
    private static func rgb(_ v: YAMLValue) throws -> RGB {
        guard case .sequence = v.node else { throw v.error("expected [r, g, b] with integers 0…255") }
        let items = try v.sequence()
        guard items.count == 3 else { throw v.error("has \(items.count) values; expected [r, g, b] with integers 0…255") }
        var c: [UInt8] = []
        for (n, item) in items.enumerated() {
            let x = try item.int()
            guard (0...255).contains(x) else { throw item.error("\(x) is not a colour component (0…255) in [r, g, b] (\(["r", "g", "b"][n]))") }
            c.append(UInt8(x))
        }
        return RGB(c[0], c[1], c[2])
    }

    /// `{value, scheme, meaning}` within DICOM's lengths (CodeValue 16, scheme 16, meaning 64).
    private static func code(_ v: YAMLValue) throws -> CodedConcept {
        let m = try v.mapping(allowed: codeKeys)
        let valueV = try m.required("value"), schemeV = try m.required("scheme"), meaningV = try m.required("meaning")
        let value = try valueV.string(), scheme = try schemeV.string(), meaning = try meaningV.string()
        guard value.count <= 16 else { throw valueV.error("`\(value)` is longer than 16 characters (DICOM CodeValue)") }
        guard scheme.count <= 16 else { throw schemeV.error("`\(scheme)` is longer than 16 characters (DICOM CodingSchemeDesignator)") }
        guard meaning.count <= 64 else { throw meaningV.error("is longer than 64 characters (DICOM CodeMeaning)") }
        if scheme == "SCT", !value.allSatisfy(\.isNumber) { throw valueV.error("`\(value)` is not a SNOMED CT concept id (digits only)") }
        return CodedConcept(value, scheme, meaning)
    }

    /// Yams' parse errors as `FILE:LINE: problem`.
    private static func yamlError(_ e: YamlError, path: String) -> VoxSAMError {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let ctx = context.map { "\($0.text) " } ?? ""
            return YAMLValue.error(file: path, line: mark.line, field: "", "not valid YAML: \(ctx)\(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return YAMLValue.error(file: path, line: context.mark.line, field: duplicates.joined(separator: ", "),
                                   "the key appears twice in one mapping; keep one")
        default:
            return VoxSAMError(.invalidArgument, "not valid YAML: \(e)", path: path)
        }
    }
}
