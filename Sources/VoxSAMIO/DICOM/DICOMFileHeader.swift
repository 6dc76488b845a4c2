/// What VoxSAM keeps of one DICOM file after the header scan: identification, pixel format and
/// the attributes of each frame. Built once per file; pixels are decoded later from `path`.
struct DICOMFileHeader: Sendable {
    var path: String
    var image: DICOMImageInfo
    /// SOP Class/Instance UID of the data set, falling back to the file meta information
    /// (MediaStorageSOPClassUID/InstanceUID) when the data set's are empty.
    var sopClassUID: String
    var sopInstanceUID: String
    var seriesInstanceUID: String
    var studyInstanceUID: String
    var frameOfReferenceUID: String
    var modality: String
    var seriesDescription: String
    var seriesNumber: Int?
    var instanceNumber: Int?
    var imageType: String
    var manufacturer: String
    var gantryDetectorTilt: Double?
    /// Exported attributes (keyword → value) for `VolumeMetadata.dicomAttributes`.
    var attributes: [String: String]
    /// One entry per frame (empty without pixel data).
    var frames: [DICOMFrameAttributes]

    /// SOP classes that carry pixel data but are not images to segment: DICOM SEG (binary or
    /// fractional label frames) and label-map SEG.
    static let labelObjectSOPClasses: Set<String> = ["1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7"]

    /// Whether this file is an image VoxSAM can stack (pixel data, not a label object).
    var isImage: Bool { image.hasPixelData && !Self.labelObjectSOPClasses.contains(sopClassUID) }

    /// Human-readable SOP class ("RTStructureSetStorage (1.2.840.10008.5.1.4.1.1.481.3)").
    var sopClassDescription: String {
        guard !sopClassUID.isEmpty else { return "unknown SOP class" }
        guard let name = DCMTKLibrary.uidName(sopClassUID) else { return sopClassUID }
        return "\(name) (\(sopClassUID))"
    }
}

extension DICOMFileHeader {
    /// Reads the header of an open file.
    init(file: DCMTKFile) throws {
        func text(_ tag: DICOMTag) -> String { file.string(tag)?.dicomTrimmed ?? "" }
        func integer(_ tag: DICOMTag) -> Int? { file.string(tag).flatMap { Int($0.dicomTrimmed.split(separator: "\\").first ?? "") } }
        path = file.path
        image = file.image
        let sopClass = text(.sopClassUID), sopInstance = text(.sopInstanceUID)
        sopClassUID = sopClass.isEmpty ? text(.mediaStorageSOPClassUID) : sopClass
        sopInstanceUID = sopInstance.isEmpty ? text(.mediaStorageSOPInstanceUID) : sopInstance
        seriesInstanceUID = text(.seriesInstanceUID)
        studyInstanceUID = text(.studyInstanceUID)
        frameOfReferenceUID = text(.frameOfReferenceUID)
        modality = text(.modality)
        seriesDescription = text(.seriesDescription)
        seriesNumber = integer(.seriesNumber)
        instanceNumber = integer(.instanceNumber)
        imageType = text(.imageType)
        manufacturer = text(.manufacturer)
        gantryDetectorTilt = file.string(.gantryDetectorTilt).flatMap { Double($0.dicomTrimmed) }
        var attrs: [String: String] = [:]
        for tag in DICOMTag.exportedAttributes {
            if let v = file.string(tag)?.dicomTrimmed, !v.isEmpty { attrs[tag.keyword] = v }
        }
        attributes = attrs
        frames = []
        if image.hasPixelData {
            frames.reserveCapacity(image.frameCount)
            for f in 0..<image.frameCount { frames.append(try file.frame(f)) }
        }
    }
}

extension String {
    /// Without leading/trailing spaces and NULs (DICOM padding).
    var dicomTrimmed: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\0" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\0" { s.removeLast() }
        return String(s)
    }
}
