import VoxSAMCore

/// Fills `VolumeMetadata` from the planned series: identification, patient/study attributes for
/// exporters, the window of the first slice and one `SliceReference` per k-slice.
enum DICOMMetadataBuilder {
    static func metadata(_ plan: DICOMVolumePlan, group: DICOMSeriesGroup, headers: [DICOMFileHeader],
                         sourcePath: String) -> VolumeMetadata {
        let first = headers[plan.slices[0].file]
        func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
        var m = VolumeMetadata()
        m.modality = nonEmpty(first.modality)
        m.seriesInstanceUID = group.seriesInstanceUID
        m.seriesDescription = nonEmpty(first.seriesDescription)
        m.studyInstanceUID = nonEmpty(first.studyInstanceUID)
        m.frameOfReferenceUID = nonEmpty(first.frameOfReferenceUID)
        m.patientID = first.attributes["PatientID"]
        m.patientName = first.attributes["PatientName"]
        let firstFrame = first.frames[plan.slices[0].frame]
        if let c = firstFrame.windowCenter, let w = firstFrame.windowWidth, w > 0 {
            m.windowCenter = c
            m.windowWidth = w
        }
        m.sliceReferences = plan.slices.map { r in
            let h = headers[r.file]
            return SliceReference(sopInstanceUID: h.sopInstanceUID, sopClassUID: h.sopClassUID, file: h.path,
                                  frame: h.image.hasFrameNumbers ? r.frame + 1 : nil)
        }
        m.sourcePath = sourcePath
        m.sourceFormat = "dicom"
        m.warnings = plan.warnings
        var attributes = first.attributes
        attributes["SeriesKey"] = group.key
        attributes["TransferSyntaxUID"] = first.image.transferSyntaxUID
        if first.image.isMosaic {
            attributes["MosaicSlices"] = String(first.image.frameCount)
        }
        m.dicomAttributes = attributes

        if plan.slices.contains(where: { headers[$0.file].sopInstanceUID.isEmpty }) {
            m.warnings.append("some images have no SOPInstanceUID (0008,0018) nor MediaStorageSOPInstanceUID (0002,0003): "
                + "their slice references cannot be exported")
        }
        if first.seriesInstanceUID.isEmpty {
            m.warnings.append("the images have an empty SeriesInstanceUID (0020,000E); grouped under the synthetic key \(group.key)")
        }
        return m
    }
}
