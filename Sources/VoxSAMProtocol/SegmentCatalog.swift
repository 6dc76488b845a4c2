import VoxSAMCore

/// Resolves what a label value means — name, colour, SNOMED CT codes — for exports and reports.
///
/// `describe(label:name:color:)` looks, in order:
/// 1. in the protocol, by label value (the protocol's name, colour and codes win);
/// 2. in `BuiltinTerminology`, by name (case-, space-, hyphen- and underscore-insensitive, synonyms);
/// 3. else the documented fallback: category and type SCT 85756007 "Tissue" (the generic entry of
///    Slicer's General Anatomy terminology), the given name (or `Segment N`) and colour (or
///    `RGB.forLabel(label)`).
///
/// With `strict: true` and a protocol, a label the protocol lacks is an error instead of steps 2–3.
///
/// ```swift
/// let catalog = SegmentCatalog(protocol: try SegmentationProtocol.load(path: "Protocols/ct-abdomen.yaml"))
/// let liver = try catalog.describe(label: 1, name: nil, color: nil)     // SCT 10200004 "Liver"
/// let free = try SegmentCatalog().describe(label: 3, name: "Left Kidney", color: nil)  // Kidney + Left
/// ```
public struct SegmentCatalog: Sendable {
    public let segmentationProtocol: SegmentationProtocol?
    public let strict: Bool

    public init(protocol segmentationProtocol: SegmentationProtocol? = nil, strict: Bool = false) {
        self.segmentationProtocol = segmentationProtocol
        self.strict = strict
    }

    /// The description of one label value. `name` and `color` are what the caller knows (e.g. from
    /// `--name`, a prompts file or a label-description file); either may be nil.
    public func describe(label: Int, name: String?, color: RGB?) throws -> SegmentDescription {
        try LabelValue.check(label, "segment\(name.map { " `\($0)`" } ?? "")")
        if let p = segmentationProtocol {
            if let s = p.structure(label: label) { return s }
            if strict {
                let known = p.structures.map { "\($0.label) \($0.name)" }.joined(separator: ", ")
                throw VoxSAMError(.invalidArgument,
                                  "label \(label)\(name.map { " (`\($0)`)" } ?? "") is not in protocol `\(p.name)` (\(known)); add it to the protocol's structures or use a label it defines",
                                  path: p.path)
            }
        }
        let trimmed = name?.trimmingCharacters(in: .whitespaces)
        let displayName = (trimmed?.isEmpty ?? true) ? "Segment \(label)" : trimmed!
        if let t = trimmed, let e = BuiltinTerminology.entry(named: t) {
            return SegmentDescription(label: label, name: displayName, color: color ?? e.color, category: e.category,
                                      type: e.type, typeModifier: e.typeModifier)
        }
        return SegmentDescription(label: label, name: displayName, color: color ?? RGB.forLabel(label),
                                  category: BuiltinTerminology.fallbackCategory, type: BuiltinTerminology.fallbackType)
    }

    /// Descriptions for several labels at once (sorted by label); labels must be unique.
    public func describe(_ labels: [(label: Int, name: String?, color: RGB?)]) throws -> [SegmentDescription] {
        var seen = Set<Int>()
        for l in labels where !seen.insert(l.label).inserted {
            throw VoxSAMError(.invalidArgument, "label \(l.label) is given twice; each segment needs its own label value")
        }
        return try labels.sorted { $0.label < $1.label }.map { try describe(label: $0.label, name: $0.name, color: $0.color) }
    }
}
