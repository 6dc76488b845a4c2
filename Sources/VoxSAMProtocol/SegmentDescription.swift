import VoxSAMCore

/// A coded concept as DICOM code sequences carry it, e.g. SCT 10200004 "Liver".
public struct CodedConcept: Sendable, Hashable, Codable, CustomStringConvertible {
    /// CodeValue (0008,0100).
    public var value: String
    /// CodingSchemeDesignator (0008,0102), e.g. "SCT" (SNOMED CT), "DCM".
    public var scheme: String
    /// CodeMeaning (0008,0104).
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value; self.scheme = scheme; self.meaning = meaning
    }

    public var description: String { "(\(value), \(scheme), \"\(meaning)\")" }
}

/// What one label value of a label map means: everything an export needs to name, colour and code it.
public struct SegmentDescription: Sendable, Equatable, Codable {
    /// Label value in the label map (1…65535).
    public var label: Int
    /// Display name (SegmentLabel, ROI name, Slicer segment name).
    public var name: String
    public var color: RGB
    /// SegmentedPropertyCategoryCodeSequence, e.g. SCT 123037004 "Anatomical Structure".
    public var category: CodedConcept
    /// SegmentedPropertyTypeCodeSequence, e.g. SCT 10200004 "Liver".
    public var type: CodedConcept
    /// AnatomicRegionSequence, when the type is not itself anatomy (e.g. a tumour in the brain).
    public var anatomicRegion: CodedConcept?
    /// SegmentedPropertyTypeModifierCodeSequence, e.g. SCT 7771000 "Left" for the left kidney.
    public var typeModifier: CodedConcept?

    public init(label: Int, name: String, color: RGB, category: CodedConcept, type: CodedConcept,
                anatomicRegion: CodedConcept? = nil, typeModifier: CodedConcept? = nil) {
        self.label = label; self.name = name; self.color = color
        self.category = category; self.type = type; self.anatomicRegion = anatomicRegion
        self.typeModifier = typeModifier
    }
}
