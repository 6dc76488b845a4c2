// The DICOM Segmentation writer (BINARY) over DCMTK's dcmseg: the extern "C" vxd_seg_* calls.
//
// Layout (what OHIF, Slicer/dcmqi and highdicom expect):
//   shared functional groups: Pixel Measures, Plane Orientation (Patient);
//   per frame: Plane Position (Patient), Frame Content (DimensionIndexValues = segment number,
//   1-based stack position), Derivation Image (one Source Image item: the source instance, purpose
//   "Source image for image processing operation", SpatialLocationsPreserved YES), Segment
//   Identification (written by dcmseg);
//   dimension organisation: ReferencedSegmentNumber, then ImagePositionPatient;
//   patient, study and frame of reference from the source image; new series and instance UIDs.
#include "writer_support.hpp"

#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segment.h"
#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmiod/iodreferences.h"
#include "dcmtk/dcmdata/dcuid.h"

#include <cstring>
#include <memory>
#include <vector>

struct vxd_seg {
    std::string sourcePath;
    DcmSegmentation *doc = nullptr;
    IODReferences references;
    std::string patientID, studyUID;
    std::string seriesUID, instanceUID, timezone;
    // UTF-8 text, written into the data set after dcmseg wrote it: dcmiod checks values against the
    // default repertoire on writing and refuses or drops non-ASCII text (e.g. "Läsion").
    std::string seriesDescription, contentDescription, contentCreator;
    std::vector<std::pair<std::string, std::string>> segmentText;  // label, description per segment number
    int32_t rows = 0, columns = 0;
    // Per added frame (in order): the source frame number (0 = single-frame source), restored
    // after writing because dcmfg's Source Image item has no Referenced Frame Number.
    std::vector<int32_t> sourceFrames;
    // Every added frame's bits, back to back in order: dcmseg 3.6.7 packs BINARY frames wrongly
    // when rows × columns is not a multiple of 8 (bits of frame n ≥ 2 shifted), so Pixel Data is
    // replaced by this after writing (contiguous, first pixel in the least significant bit, PS3.5
    // 8.1.1). One bit per pixel: a 512² frame costs 32 kB.
    std::vector<Uint8> packed;
    size_t bitCount = 0;
    ~vxd_seg() { delete doc; }
};

using vxd::check;
using vxd::present;

namespace {

CodeSequenceMacro macro(const vxd_code &c) {
    return CodeSequenceMacro(vxd::str(c.value), vxd::str(c.scheme), vxd::str(c.meaning));
}

/// Appends one frame's pixels (non-zero = set) to the packed bit stream.
void appendBits(vxd_seg &seg, const uint8_t *pixels, size_t n) {
    seg.packed.resize((seg.bitCount + n + 7) / 8, 0);
    for (size_t p = 0; p < n; ++p, ++seg.bitCount)
        if (pixels[p] != 0) seg.packed[seg.bitCount >> 3] |= static_cast<Uint8>(1u << (seg.bitCount & 7));
}

/// Pixel Data of BINARY frames: all frames' bits back to back, LSB first, padded to an even length.
OFCondition storePackedFrames(DcmItem &dataset, std::vector<Uint8> packed) {
    if (packed.size() % 2 != 0) packed.push_back(0);
    return dataset.putAndInsertUint8Array(DCM_PixelData, packed.data(), static_cast<unsigned long>(packed.size()));
}

/// Writes VoxSAM's UTF-8 text into the written data set (see vxd_seg::segmentText).
OFCondition writeText(DcmItem &dataset, const vxd_seg &seg) {
    OFCondition cond = EC_Normal;
    auto put = [&](DcmItem &item, const DcmTagKey &key, const std::string &value) {
        if (cond.good() && !value.empty()) cond = item.putAndInsertString(key, value.c_str());
    };
    put(dataset, DCM_SeriesDescription, seg.seriesDescription);
    put(dataset, DCM_ContentDescription, seg.contentDescription);
    put(dataset, DCM_ContentCreatorName, seg.contentCreator);
    DcmSequenceOfItems *segments = nullptr;
    if (dataset.findAndGetSequence(DCM_SegmentSequence, segments).good() && segments != nullptr) {
        for (unsigned long n = 0; n < segments->card() && n < seg.segmentText.size(); ++n) {
            put(*segments->getItem(n), DCM_SegmentLabel, seg.segmentText[n].first);
            put(*segments->getItem(n), DCM_SegmentDescription, seg.segmentText[n].second);
        }
    }
    return cond;
}

/// Adds SpatialLocationsPreserved (and ReferencedFrameNumber for multi-frame sources) to every
/// Source Image item of the written data set.
void completeSourceImageItems(DcmItem &dataset, const std::vector<int32_t> &sourceFrames) {
    DcmSequenceOfItems *perFrame = nullptr;
    if (dataset.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).bad() || perFrame == nullptr) return;
    for (unsigned long f = 0; f < perFrame->card(); ++f) {
        DcmItem *frameItem = perFrame->getItem(f);
        DcmSequenceOfItems *derivation = nullptr;
        if (frameItem->findAndGetSequence(DCM_DerivationImageSequence, derivation).bad() || derivation == nullptr) continue;
        for (unsigned long d = 0; d < derivation->card(); ++d) {
            DcmSequenceOfItems *sources = nullptr;
            if (derivation->getItem(d)->findAndGetSequence(DCM_SourceImageSequence, sources).bad() || sources == nullptr) continue;
            for (unsigned long s = 0; s < sources->card(); ++s) {
                DcmItem *src = sources->getItem(s);
                src->putAndInsertOFStringArray(DCM_SpatialLocationsPreserved, "YES");
                if (f < sourceFrames.size() && sourceFrames[f] > 0)
                    src->putAndInsertOFStringArray(DCM_ReferencedFrameNumber, std::to_string(sourceFrames[f]).c_str());
            }
        }
    }
}

} // namespace

extern "C" {

vxd_status vxd_seg_create(const char *source_file, int32_t rows, int32_t columns, const vxd_new_series *series,
                          vxd_seg **out_seg, vxd_error *error) {
    vxd::clearError(error);
    if (source_file == nullptr || series == nullptr || out_seg == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_create");
    *out_seg = nullptr;
    const std::string path = source_file;
    return vxd::guarded(path, error, [&]() -> vxd_status {
        vxd::ensureInitialized();
        vxd::LogCapture capture;
        if (rows <= 0 || columns <= 0 || rows > 65535 || columns > 65535)
            return vxd::fail(error, VXD_INVALID_ARGUMENT, path, "segmentation frames must be 1…65535 pixels on each side");
        std::unique_ptr<vxd_seg> seg(new vxd_seg());
        seg->sourcePath = path;
        seg->rows = rows;
        seg->columns = columns;

        IODGeneralEquipmentModule::EquipmentInfo equipment(vxd::str(series->manufacturer), vxd::str(series->model_name),
                                                           vxd::str(series->device_serial),
                                                           vxd::str(series->software_versions));
        // Free text is set after creation without DCMTK's repertoire check (it is UTF-8, declared
        // as ISO_IR 192), cut to the 64 characters LO allows.
        ContentIdentificationMacro content("1", vxd::truncateChars(vxd::str(series->content_label), 16), "", "");
        vxd_status st = check(DcmSegmentation::createBinarySegmentation(seg->doc, static_cast<Uint16>(rows),
                                                                        static_cast<Uint16>(columns), equipment, content),
                              error, path, "cannot start the DICOM SEG object (equipment or content identification)", &capture);
        if (st != VXD_OK) return st;

        // Patient, study and frame of reference of the source series.
        DcmFileFormat source;
        std::string detail;
        OFCondition cond = vxd::loadSourceHeader(source, path, detail);
        if (cond.bad()) return vxd::fail(error, VXD_CORRUPT, path, "cannot read the source DICOM image", detail);
        st = check(seg->doc->importFromSourceImage(*source.getDataset()), error, path,
                   "cannot take patient, study and frame of reference from the source image", &capture);
        if (st != VXD_OK) return st;
        OFString value;
        source.getDataset()->findAndGetOFString(DCM_PatientID, value);
        seg->patientID = value.c_str();
        source.getDataset()->findAndGetOFString(DCM_StudyInstanceUID, value);
        seg->studyUID = value.c_str();
        if (seg->studyUID.empty())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, path, "the source image has no StudyInstanceUID (0020,000D); a DICOM SEG must belong to the source study");

        seg->seriesUID = vxd::newUID();
        seg->instanceUID = vxd::newUID();
        const vxd::Timestamp now = vxd::Timestamp::now();
        seg->timezone = now.timezone;
        seg->doc->getSOPCommon().setSpecificCharacterSet("ISO_IR 192");
        IODGeneralSeriesModule &gs = seg->doc->getSeries();
        const std::string description = vxd::truncateChars(vxd::str(series->series_description), 64);
        const bool ok = gs.setSeriesInstanceUID(seg->seriesUID.c_str()).good() &&
                        gs.setSeriesNumber(std::to_string(series->series_number).c_str()).good() &&
                        gs.setSeriesDate(now.date.c_str()).good() && gs.setSeriesTime(now.time.c_str()).good() &&
                        seg->doc->getSOPCommon().setSOPInstanceUID(seg->instanceUID.c_str()).good() &&
                        seg->doc->getGeneralImage().setContentDate(now.date.c_str()).good() &&
                        seg->doc->getGeneralImage().setContentTime(now.time.c_str()).good();
        seg->seriesDescription = description;
        seg->contentDescription = vxd::truncateChars(vxd::str(series->content_description), 64);
        seg->contentCreator = vxd::truncateChars(vxd::str(series->content_creator), 64);
        if (!ok)
            return vxd::fail(error, VXD_INVALID_ARGUMENT, path, "cannot set the series identification (description, number or dates)",
                             capture.messages());

        const OFString dimensionUID = vxd::newUID().c_str();
        IODMultiframeDimensionModule &dims = seg->doc->getDimensions();
        st = check(dims.addDimensionIndex(DCM_ReferencedSegmentNumber, dimensionUID, DCM_SegmentIdentificationSequence,
                                          "ReferencedSegmentNumber"),
                   error, path, "cannot add the segment dimension", &capture);
        if (st != VXD_OK) return st;
        st = check(dims.addDimensionIndex(DCM_ImagePositionPatient, dimensionUID, DCM_PlanePositionSequence,
                                          "ImagePositionPatient"),
                   error, path, "cannot add the position dimension", &capture);
        if (st != VXD_OK) return st;
        *out_seg = seg.release();
        return VXD_OK;
    });
}

vxd_status vxd_seg_set_geometry(vxd_seg *seg, const double orientation[6], const double pixel_spacing[2],
                                double slice_thickness, double spacing_between_slices, vxd_error *error) {
    vxd::clearError(error);
    if (seg == nullptr || orientation == nullptr || pixel_spacing == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_set_geometry");
    return vxd::guarded(seg->sourcePath, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        FGPixelMeasures measures;
        measures.setPixelSpacing(vxd::decimalStrings(pixel_spacing, 2).c_str());
        measures.setSliceThickness(vxd::decimalString(slice_thickness).c_str());
        measures.setSpacingBetweenSlices(vxd::decimalString(spacing_between_slices).c_str());
        vxd_status st = check(seg->doc->addForAllFrames(measures), error, seg->sourcePath, "cannot set pixel measures", &capture);
        if (st != VXD_OK) return st;
        std::unique_ptr<FGPlaneOrientationPatient> plane(FGPlaneOrientationPatient::createMinimal(
            vxd::decimalString(orientation[0]).c_str(), vxd::decimalString(orientation[1]).c_str(),
            vxd::decimalString(orientation[2]).c_str(), vxd::decimalString(orientation[3]).c_str(),
            vxd::decimalString(orientation[4]).c_str(), vxd::decimalString(orientation[5]).c_str()));
        if (!plane) return vxd::fail(error, VXD_INVALID_ARGUMENT, seg->sourcePath, "invalid plane orientation");
        return check(seg->doc->addForAllFrames(*plane), error, seg->sourcePath, "cannot set plane orientation", &capture);
    });
}

vxd_status vxd_seg_add_source_instance(vxd_seg *seg, const char *series_uid, const char *sop_class_uid,
                                       const char *sop_instance_uid, vxd_error *error) {
    vxd::clearError(error);
    if (seg == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_add_source_instance");
    return vxd::guarded(seg->sourcePath, error, [&]() -> vxd_status {
        // LEVEL_PATIENT: dcmiod then checks and writes the full patient/study/series path.
        IODImageReference *ref = new IODImageReference(IODReference::LEVEL_PATIENT);
        ref->m_PatientID = seg->patientID.c_str();
        ref->m_StudyInstanceUID = seg->studyUID.c_str();
        ref->m_SeriesInstanceUID = vxd::str(series_uid).c_str();
        ref->m_SOPClassUID = vxd::str(sop_class_uid).c_str();
        ref->m_SOPInstanceUID = vxd::str(sop_instance_uid).c_str();
        if (!seg->references.add(ref)) {
            delete ref;
            return vxd::fail(error, VXD_INVALID_ARGUMENT, seg->sourcePath,
                             "invalid source instance reference (SOP Instance UID `" + vxd::str(sop_instance_uid) + "`)");
        }
        return VXD_OK;
    });
}

vxd_status vxd_seg_add_segment(vxd_seg *seg, const char *label, const char *description, vxd_code category,
                               vxd_code type, vxd_code type_modifier, vxd_code anatomic_region, const uint16_t cielab[3],
                               int32_t algorithm_type, const char *algorithm_name, const char *algorithm_version,
                               uint16_t *out_number, vxd_error *error) {
    vxd::clearError(error);
    if (seg == nullptr || out_number == nullptr || cielab == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_add_segment");
    return vxd::guarded(seg->sourcePath, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        const std::string what = "segment `" + vxd::str(label) + "`";
        if (!present(category) || !present(type))
            return vxd::fail(error, VXD_INVALID_ARGUMENT, seg->sourcePath, what + " needs a category and a type code");
        DcmSegTypes::E_SegmentAlgoType algo = algorithm_type == 0   ? DcmSegTypes::SAT_AUTOMATIC
                                              : algorithm_type == 1 ? DcmSegTypes::SAT_SEMIAUTOMATIC
                                                                    : DcmSegTypes::SAT_MANUAL;
        DcmSegment *segment = nullptr;
        // Created with an ASCII placeholder: DcmSegment::create checks the label against the default
        // repertoire and refuses "Läsion"; the real (UTF-8) label is set right after.
        vxd_status st = check(DcmSegment::create(segment, "Segment", macro(category), macro(type), algo,
                                                 algo == DcmSegTypes::SAT_MANUAL ? "" : vxd::str(algorithm_name)),
                              error, seg->sourcePath, "cannot create " + what + " (label, codes or algorithm)", &capture);
        if (st != VXD_OK) return st;
        std::unique_ptr<DcmSegment> owned(segment);
        segment->setRecommendedDisplayCIELabValue(cielab[0], cielab[1], cielab[2]);
        if (present(type_modifier))
            segment->getSegmentedPropertyTypeModifierCode().push_back(new CodeSequenceMacro(macro(type_modifier)));
        if (present(anatomic_region)) segment->getGeneralAnatomyCode().getAnatomicRegion().set(
                vxd::str(anatomic_region.value), vxd::str(anatomic_region.scheme), vxd::str(anatomic_region.meaning));
        if (algo != DcmSegTypes::SAT_MANUAL) {
            AlgorithmIdentificationMacro &algorithm = segment->getSegmentationAlgorithmIdentification();
            algorithm.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence");
            algorithm.setAlgorithmName(vxd::str(algorithm_name));
            algorithm.setAlgorithmVersion(vxd::str(algorithm_version));
        }
        Uint16 number = 0;
        st = check(seg->doc->addSegment(segment, number), error, seg->sourcePath, "cannot add " + what, &capture);
        if (st != VXD_OK) return st;
        owned.release();  // the segmentation owns it now
        if (seg->segmentText.size() < number) seg->segmentText.resize(number);
        seg->segmentText[number - 1] = {vxd::truncateChars(vxd::str(label), 64), vxd::truncateChars(vxd::str(description), 64)};
        *out_number = number;
        return VXD_OK;
    });
}

vxd_status vxd_seg_add_frame(vxd_seg *seg, uint16_t segment_number, uint32_t slice_index, const double position[3],
                             const char *source_sop_class_uid, const char *source_sop_instance_uid,
                             int32_t source_frame_number, const uint8_t *pixels, vxd_error *error) {
    vxd::clearError(error);
    if (seg == nullptr || position == nullptr || pixels == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_add_frame");
    return vxd::guarded(seg->sourcePath, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        std::unique_ptr<FGPlanePosPatient> plane(FGPlanePosPatient::createMinimal(
            vxd::decimalString(position[0]).c_str(), vxd::decimalString(position[1]).c_str(),
            vxd::decimalString(position[2]).c_str()));
        if (!plane) return vxd::fail(error, VXD_INVALID_ARGUMENT, seg->sourcePath, "invalid frame position");
        FGFrameContent content;
        content.setDimensionIndexValues(segment_number, 0);
        content.setDimensionIndexValues(slice_index, 1);

        FGDerivationImage derivation;
        DerivationImageItem *item = nullptr;
        vxd_status st = check(derivation.addDerivationImageItem(CodeSequenceMacro("113076", "DCM", "Segmentation"), "", item),
                              error, seg->sourcePath, "cannot add the derivation image item", &capture);
        if (st != VXD_OK) return st;
        SourceImageItem *source = new SourceImageItem();
        source->getImageSOPInstanceReference().setReferencedSOPClassUID(vxd::str(source_sop_class_uid));
        source->getImageSOPInstanceReference().setReferencedSOPInstanceUID(vxd::str(source_sop_instance_uid));
        source->getPurposeOfReferenceCode().set("121322", "DCM", "Source image for image processing operation");
        item->getSourceImageItems().push_back(source);

        OFVector<FGBase *> groups;
        groups.push_back(plane.get());
        groups.push_back(&content);
        groups.push_back(&derivation);
        st = check(seg->doc->addFrame(const_cast<Uint8 *>(pixels), segment_number, groups), error, seg->sourcePath,
                   "cannot add frame of segment " + std::to_string(segment_number) + " at slice " + std::to_string(slice_index),
                   &capture);
        if (st != VXD_OK) return st;
        seg->sourceFrames.push_back(source_frame_number);
        appendBits(*seg, pixels, static_cast<size_t>(seg->rows) * static_cast<size_t>(seg->columns));
        return VXD_OK;
    });
}

vxd_status vxd_seg_write(vxd_seg *seg, const char *path, char sop_instance_uid[72], char series_uid[72],
                         vxd_error *error) {
    vxd::clearError(error);
    if (seg == nullptr || path == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_seg_write");
    const std::string out = path;
    return vxd::guarded(out, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        if (seg->doc->getNumberOfFrames() == 0)
            return vxd::fail(error, VXD_INVALID_ARGUMENT, out, "the segmentation has no non-empty frame: nothing to write");
        seg->doc->getCommonInstanceReference().addReferences(seg->references, seg->studyUID.c_str());
        DcmFileFormat file;
        OFCondition cond = seg->doc->writeDataset(*file.getDataset());
        if (cond.bad())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, out, "DCMTK refused the DICOM SEG object",
                             capture.messages().empty() ? std::string(cond.text()) : capture.messages() + "; " + cond.text());
        completeSourceImageItems(*file.getDataset(), seg->sourceFrames);
        cond = storePackedFrames(*file.getDataset(), seg->packed);
        if (cond.good()) cond = file.getDataset()->putAndInsertString(DCM_TimezoneOffsetFromUTC, seg->timezone.c_str());
        if (cond.good()) cond = writeText(*file.getDataset(), *seg);
        if (cond.bad()) return vxd::fail(error, VXD_INTERNAL, out, "cannot store the packed frames", cond.text());
        vxd_status st = vxd::saveDataset(file, out, EXS_LittleEndianExplicit, error);
        if (st != VXD_OK) return st;
        if (sop_instance_uid != nullptr) vxd::copyString(sop_instance_uid, 72, seg->instanceUID);
        if (series_uid != nullptr) vxd::copyString(series_uid, 72, seg->seriesUID);
        return VXD_OK;
    });
}

void vxd_seg_free(vxd_seg *seg) { delete seg; }

} // extern "C"
