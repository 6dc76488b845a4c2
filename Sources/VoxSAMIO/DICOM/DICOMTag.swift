/// A DICOM attribute tag with its keyword, for lookups through the bridge and for messages
/// ("ImagePositionPatient (0020,0032)").
struct DICOMTag: Hashable, Sendable, CustomStringConvertible {
    let group: UInt16
    let element: UInt16
    let keyword: String

    init(_ group: UInt16, _ element: UInt16, _ keyword: String) {
        self.group = group
        self.element = element
        self.keyword = keyword
    }

    /// (group << 16) | element, as the C API takes it.
    var code: UInt32 { UInt32(group) << 16 | UInt32(element) }

    /// "(gggg,eeee)".
    var number: String {
        func hex(_ v: UInt16) -> String {
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        return "(\(hex(group)),\(hex(element)))"
    }

    /// "Keyword (gggg,eeee)".
    var description: String { "\(keyword) \(number)" }
}

extension DICOMTag {
    // File meta information.
    static let mediaStorageSOPClassUID = DICOMTag(0x0002, 0x0002, "MediaStorageSOPClassUID")
    static let mediaStorageSOPInstanceUID = DICOMTag(0x0002, 0x0003, "MediaStorageSOPInstanceUID")

    // Identification and grouping.
    static let specificCharacterSet = DICOMTag(0x0008, 0x0005, "SpecificCharacterSet")
    static let imageType = DICOMTag(0x0008, 0x0008, "ImageType")
    static let sopClassUID = DICOMTag(0x0008, 0x0016, "SOPClassUID")
    static let sopInstanceUID = DICOMTag(0x0008, 0x0018, "SOPInstanceUID")
    static let studyDate = DICOMTag(0x0008, 0x0020, "StudyDate")
    static let seriesDate = DICOMTag(0x0008, 0x0021, "SeriesDate")
    static let acquisitionDate = DICOMTag(0x0008, 0x0022, "AcquisitionDate")
    static let contentDate = DICOMTag(0x0008, 0x0023, "ContentDate")
    static let studyTime = DICOMTag(0x0008, 0x0030, "StudyTime")
    static let seriesTime = DICOMTag(0x0008, 0x0031, "SeriesTime")
    static let accessionNumber = DICOMTag(0x0008, 0x0050, "AccessionNumber")
    static let modality = DICOMTag(0x0008, 0x0060, "Modality")
    static let manufacturer = DICOMTag(0x0008, 0x0070, "Manufacturer")
    static let institutionName = DICOMTag(0x0008, 0x0080, "InstitutionName")
    static let referringPhysicianName = DICOMTag(0x0008, 0x0090, "ReferringPhysicianName")
    static let studyDescription = DICOMTag(0x0008, 0x1030, "StudyDescription")
    static let seriesDescription = DICOMTag(0x0008, 0x103E, "SeriesDescription")
    static let manufacturerModelName = DICOMTag(0x0008, 0x1090, "ManufacturerModelName")
    static let frameType = DICOMTag(0x0008, 0x9007, "FrameType")

    // Patient.
    static let patientName = DICOMTag(0x0010, 0x0010, "PatientName")
    static let patientID = DICOMTag(0x0010, 0x0020, "PatientID")
    static let patientBirthDate = DICOMTag(0x0010, 0x0030, "PatientBirthDate")
    static let patientSex = DICOMTag(0x0010, 0x0040, "PatientSex")
    static let patientAge = DICOMTag(0x0010, 0x1010, "PatientAge")

    // Acquisition.
    static let bodyPartExamined = DICOMTag(0x0018, 0x0015, "BodyPartExamined")
    static let sliceThickness = DICOMTag(0x0018, 0x0050, "SliceThickness")
    static let echoTime = DICOMTag(0x0018, 0x0081, "EchoTime")
    static let echoNumbers = DICOMTag(0x0018, 0x0086, "EchoNumbers")
    static let spacingBetweenSlices = DICOMTag(0x0018, 0x0088, "SpacingBetweenSlices")
    static let protocolName = DICOMTag(0x0018, 0x1030, "ProtocolName")
    static let triggerTime = DICOMTag(0x0018, 0x1060, "TriggerTime")
    static let gantryDetectorTilt = DICOMTag(0x0018, 0x1120, "GantryDetectorTilt")
    static let patientPosition = DICOMTag(0x0018, 0x5100, "PatientPosition")
    static let effectiveEchoTime = DICOMTag(0x0018, 0x9082, "EffectiveEchoTime")
    static let diffusionBValue = DICOMTag(0x0018, 0x9087, "DiffusionBValue")

    // Relationship and geometry.
    static let studyInstanceUID = DICOMTag(0x0020, 0x000D, "StudyInstanceUID")
    static let seriesInstanceUID = DICOMTag(0x0020, 0x000E, "SeriesInstanceUID")
    static let studyID = DICOMTag(0x0020, 0x0010, "StudyID")
    static let seriesNumber = DICOMTag(0x0020, 0x0011, "SeriesNumber")
    static let acquisitionNumber = DICOMTag(0x0020, 0x0012, "AcquisitionNumber")
    static let instanceNumber = DICOMTag(0x0020, 0x0013, "InstanceNumber")
    static let imagePositionPatient = DICOMTag(0x0020, 0x0032, "ImagePositionPatient")
    static let imageOrientationPatient = DICOMTag(0x0020, 0x0037, "ImageOrientationPatient")
    static let frameOfReferenceUID = DICOMTag(0x0020, 0x0052, "FrameOfReferenceUID")
    static let stackID = DICOMTag(0x0020, 0x9056, "StackID")
    static let inStackPositionNumber = DICOMTag(0x0020, 0x9057, "InStackPositionNumber")
    static let temporalPositionIndex = DICOMTag(0x0020, 0x9128, "TemporalPositionIndex")
    static let frameAcquisitionNumber = DICOMTag(0x0020, 0x9156, "FrameAcquisitionNumber")
    static let dimensionIndexValues = DICOMTag(0x0020, 0x9157, "DimensionIndexValues")
    static let planePositionSequence = DICOMTag(0x0020, 0x9113, "PlanePositionSequence")
    static let planeOrientationSequence = DICOMTag(0x0020, 0x9116, "PlaneOrientationSequence")

    // Image pixel.
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002, "SamplesPerPixel")
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004, "PhotometricInterpretation")
    static let numberOfFrames = DICOMTag(0x0028, 0x0008, "NumberOfFrames")
    static let rows = DICOMTag(0x0028, 0x0010, "Rows")
    static let columns = DICOMTag(0x0028, 0x0011, "Columns")
    static let pixelSpacing = DICOMTag(0x0028, 0x0030, "PixelSpacing")
    static let bitsAllocated = DICOMTag(0x0028, 0x0100, "BitsAllocated")
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103, "PixelRepresentation")
    static let windowCenter = DICOMTag(0x0028, 0x1050, "WindowCenter")
    static let windowWidth = DICOMTag(0x0028, 0x1051, "WindowWidth")
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052, "RescaleIntercept")
    static let rescaleSlope = DICOMTag(0x0028, 0x1053, "RescaleSlope")
    static let pixelMeasuresSequence = DICOMTag(0x0028, 0x9110, "PixelMeasuresSequence")
    static let pixelValueTransformationSequence = DICOMTag(0x0028, 0x9145, "PixelValueTransformationSequence")
    static let pixelData = DICOMTag(0x7FE0, 0x0010, "PixelData")

    /// Attributes copied into `VolumeMetadata.dicomAttributes` for exporters (DICOM SEG/RTSTRUCT
    /// need the patient/study modules of the source).
    static let exportedAttributes: [DICOMTag] = [
        .specificCharacterSet, .patientName, .patientID, .patientBirthDate, .patientSex, .patientAge,
        .studyInstanceUID, .studyDate, .studyTime, .studyID, .studyDescription, .accessionNumber,
        .referringPhysicianName, .seriesInstanceUID, .seriesNumber, .seriesDescription, .seriesDate, .seriesTime,
        .modality, .manufacturer, .manufacturerModelName, .institutionName, .bodyPartExamined, .protocolName,
        .patientPosition, .frameOfReferenceUID, .acquisitionDate, .contentDate, .sliceThickness,
    ]
}
