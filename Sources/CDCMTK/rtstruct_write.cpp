// The RT Structure Set writer over DCMTK's dcmrt: the extern "C" vxd_rtstruct_* calls.
//
// Layout (what planning systems, dicompyler and rt-utils expect): patient and study from the
// source image; Referenced Frame of Reference → RT Referenced Study → RT Referenced Series →
// Contour Image Sequence listing every source image; per ROI a Structure Set ROI item, an ROI
// Contour item (display colour, CLOSED_PLANAR contours each referencing its source image) and an
// RT ROI Observations item (interpreted type, category and identification codes).
#include "writer_support.hpp"

#include "dcmtk/dcmrt/drtstrct.h"
#include "dcmtk/dcmdata/dcuid.h"

#include <map>
#include <memory>

struct vxd_rtstruct {
    std::string sourcePath;
    DRTStructureSetIOD iod;
    std::string frameOfReferenceUID, studyUID, instanceUID;
    DRTContourImageSequence *contourImages = nullptr;  // of the RT Referenced Series item
    std::map<int32_t, DRTROIContourSequence::Item *> contours;  // by ROI number
    std::map<int32_t, int32_t> contourCount;  // by ROI number
    int32_t nextROI = 1;
};

using vxd::check;
using vxd::present;

namespace {

template <typename Item>
void setCode(Item &item, const vxd_code &c) {
    item.setCodeValue(vxd::str(c.value).c_str());
    item.setCodingSchemeDesignator(vxd::str(c.scheme).c_str());
    item.setCodeMeaning(vxd::str(c.meaning).c_str());
}

} // namespace

extern "C" {

vxd_status vxd_rtstruct_create(const char *source_file, const vxd_new_series *series, vxd_rtstruct **out,
                               vxd_error *error) {
    vxd::clearError(error);
    if (source_file == nullptr || series == nullptr || out == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_rtstruct_create");
    *out = nullptr;
    const std::string path = source_file;
    return vxd::guarded(path, error, [&]() -> vxd_status {
        vxd::ensureInitialized();
        vxd::LogCapture capture;
        std::unique_ptr<vxd_rtstruct> rt(new vxd_rtstruct());
        rt->sourcePath = path;
        DcmFileFormat source;
        std::string detail;
        OFCondition cond = vxd::loadSourceHeader(source, path, detail);
        if (cond.bad()) return vxd::fail(error, VXD_CORRUPT, path, "cannot read the source DICOM image", detail);
        DcmDataset &ds = *source.getDataset();
        OFString value;
        ds.findAndGetOFString(DCM_FrameOfReferenceUID, value);
        rt->frameOfReferenceUID = value.c_str();
        ds.findAndGetOFString(DCM_StudyInstanceUID, value);
        rt->studyUID = value.c_str();
        if (rt->frameOfReferenceUID.empty())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, path,
                             "the source image has no FrameOfReferenceUID (0020,0052); RTSTRUCT contours need one");
        if (rt->studyUID.empty())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, path, "the source image has no StudyInstanceUID (0020,000D)");
        vxd_status st = check(rt->iod.readStudyData(ds), error, path, "cannot take patient and study from the source image");
        if (st != VXD_OK) return st;

        DRTStructureSetIOD &iod = rt->iod;
        // Frame of Reference module (the source's frame of reference and position reference).
        iod.setFrameOfReferenceUID(rt->frameOfReferenceUID.c_str());
        ds.findAndGetOFString(DCM_PositionReferenceIndicator, value);
        iod.setPositionReferenceIndicator(value);
        rt->instanceUID = vxd::newUID();
        const vxd::Timestamp now = vxd::Timestamp::now();
        // Text is UTF-8 (the source was converted on loading): declared as ISO_IR 192, set without
        // DCMTK's default-repertoire check, cut to the lengths the VRs allow.
        const bool ok =
            iod.setSpecificCharacterSet("ISO_IR 192").good() && iod.setSOPClassUID(UID_RTStructureSetStorage).good() &&
            iod.setSOPInstanceUID(rt->instanceUID.c_str()).good() && iod.setInstanceCreationDate(now.date.c_str()).good() &&
            iod.setInstanceCreationTime(now.time.c_str()).good() && iod.setTimezoneOffsetFromUTC(now.timezone.c_str()).good() &&
            iod.setModality("RTSTRUCT").good() && iod.setSeriesInstanceUID(vxd::newUID().c_str()).good() &&
            iod.setSeriesNumber(std::to_string(series->series_number).c_str()).good() &&
            iod.setSeriesDescription(vxd::truncateChars(vxd::str(series->series_description), 64).c_str(), OFFalse).good() &&
            iod.setSeriesDate(now.date.c_str()).good() && iod.setSeriesTime(now.time.c_str()).good() &&
            iod.setManufacturer(vxd::truncateChars(vxd::str(series->manufacturer), 64).c_str(), OFFalse).good() &&
            iod.setManufacturerModelName(vxd::truncateChars(vxd::str(series->model_name), 64).c_str(), OFFalse).good() &&
            iod.setSoftwareVersions(vxd::str(series->software_versions).c_str(), OFFalse).good() &&
            iod.setDeviceSerialNumber(vxd::truncateChars(vxd::str(series->device_serial), 64).c_str(), OFFalse).good() &&
            iod.setInstanceNumber("1").good() &&
            iod.setStructureSetLabel(vxd::truncateChars(vxd::str(series->content_label), 16).c_str(), OFFalse).good() &&
            iod.setStructureSetName(vxd::truncateChars(vxd::str(series->content_description), 64).c_str(), OFFalse).good() &&
            iod.setStructureSetDate(now.date.c_str()).good() && iod.setStructureSetTime(now.time.c_str()).good();
        if (!ok) return vxd::fail(error, VXD_INVALID_ARGUMENT, path, "cannot set the structure set identification", capture.messages());

        DRTReferencedFrameOfReferenceSequence::Item *frame = nullptr;
        st = check(iod.getReferencedFrameOfReferenceSequence().addItem(frame), error, path, "cannot add the frame of reference");
        if (st != VXD_OK) return st;
        frame->setFrameOfReferenceUID(rt->frameOfReferenceUID.c_str());
        DRTRTReferencedStudySequence::Item *study = nullptr;
        st = check(frame->getRTReferencedStudySequence().addItem(study), error, path, "cannot add the referenced study");
        if (st != VXD_OK) return st;
        // Study Component Management SOP Class, as the standard's examples and planning systems use.
        study->setReferencedSOPClassUID("1.2.840.10008.3.1.2.3.1");
        study->setReferencedSOPInstanceUID(rt->studyUID.c_str());
        DRTRTReferencedSeriesSequence::Item *refSeries = nullptr;
        st = check(study->getRTReferencedSeriesSequence().addItem(refSeries), error, path, "cannot add the referenced series");
        if (st != VXD_OK) return st;
        ds.findAndGetOFString(DCM_SeriesInstanceUID, value);
        refSeries->setSeriesInstanceUID(value);
        rt->contourImages = &refSeries->getContourImageSequence();
        *out = rt.release();
        return VXD_OK;
    });
}

vxd_status vxd_rtstruct_add_source_instance(vxd_rtstruct *rt, const char *series_uid, const char *sop_class_uid,
                                            const char *sop_instance_uid, vxd_error *error) {
    vxd::clearError(error);
    if (rt == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_rtstruct_add_source_instance");
    (void)series_uid;  // one series: the one of the source image
    return vxd::guarded(rt->sourcePath, error, [&]() -> vxd_status {
        DRTContourImageSequence::Item *image = nullptr;
        vxd_status st = check(rt->contourImages->addItem(image), error, rt->sourcePath, "cannot add a contour image");
        if (st != VXD_OK) return st;
        image->setReferencedSOPClassUID(vxd::str(sop_class_uid).c_str());
        image->setReferencedSOPInstanceUID(vxd::str(sop_instance_uid).c_str());
        return VXD_OK;
    });
}

vxd_status vxd_rtstruct_add_roi(vxd_rtstruct *rt, const char *name, const uint8_t color[3], const char *interpreted_type,
                                const char *generation_algorithm, const char *generation_description,
                                vxd_code category, vxd_code type, int32_t *out_number, vxd_error *error) {
    vxd::clearError(error);
    if (rt == nullptr || color == nullptr || out_number == nullptr)
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_rtstruct_add_roi");
    return vxd::guarded(rt->sourcePath, error, [&]() -> vxd_status {
        const int32_t number = rt->nextROI++;
        const std::string n = std::to_string(number);
        const std::string what = "ROI `" + vxd::str(name) + "`";

        DRTStructureSetROISequence::Item *roi = nullptr;
        vxd_status st = check(rt->iod.getStructureSetROISequence().addItem(roi), error, rt->sourcePath, "cannot add " + what);
        if (st != VXD_OK) return st;
        roi->setROINumber(n.c_str());
        roi->setReferencedFrameOfReferenceUID(rt->frameOfReferenceUID.c_str());
        if (roi->setROIName(vxd::truncateChars(vxd::str(name), 64).c_str(), OFFalse).bad())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, rt->sourcePath, "cannot set the name of " + what);
        roi->setROIGenerationAlgorithm(vxd::str(generation_algorithm).c_str());
        if (!vxd::str(generation_description).empty()) roi->setROIGenerationDescription(vxd::str(generation_description).c_str());

        DRTROIContourSequence::Item *contour = nullptr;
        st = check(rt->iod.getROIContourSequence().addItem(contour), error, rt->sourcePath, "cannot add contours of " + what);
        if (st != VXD_OK) return st;
        contour->setReferencedROINumber(n.c_str());
        const std::string rgb = std::to_string(color[0]) + "\\" + std::to_string(color[1]) + "\\" + std::to_string(color[2]);
        contour->setROIDisplayColor(rgb.c_str());
        rt->contours[number] = contour;
        rt->contourCount[number] = 0;

        DRTRTROIObservationsSequence::Item *observation = nullptr;
        st = check(rt->iod.getRTROIObservationsSequence().addItem(observation), error, rt->sourcePath,
                   "cannot add the observation of " + what);
        if (st != VXD_OK) return st;
        observation->setObservationNumber(n.c_str());
        observation->setReferencedROINumber(n.c_str());
        observation->setRTROIInterpretedType(vxd::str(interpreted_type).c_str());
        observation->setROIInterpreter("");
        if (present(category)) {
            DRTSegmentedPropertyCategoryCodeSequence::Item *c = nullptr;
            if (observation->getSegmentedPropertyCategoryCodeSequence().addItem(c).good()) setCode(*c, category);
        }
        if (present(type)) {
            DRTRTROIIdentificationCodeSequence::Item *c = nullptr;
            if (observation->getRTROIIdentificationCodeSequence().addItem(c).good()) setCode(*c, type);
        }
        *out_number = number;
        return VXD_OK;
    });
}

vxd_status vxd_rtstruct_add_contour(vxd_rtstruct *rt, int32_t roi_number, const double *points, int32_t point_count,
                                    const char *sop_class_uid, const char *sop_instance_uid, int32_t source_frame_number,
                                    vxd_error *error) {
    vxd::clearError(error);
    if (rt == nullptr || points == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_rtstruct_add_contour");
    return vxd::guarded(rt->sourcePath, error, [&]() -> vxd_status {
        auto found = rt->contours.find(roi_number);
        if (found == rt->contours.end())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, rt->sourcePath, "no ROI number " + std::to_string(roi_number));
        if (point_count < 3)
            return vxd::fail(error, VXD_INVALID_ARGUMENT, rt->sourcePath, "a closed planar contour needs at least 3 points");
        DRTContourSequence::Item *contour = nullptr;
        vxd_status st = check(found->second->getContourSequence().addItem(contour), error, rt->sourcePath, "cannot add a contour");
        if (st != VXD_OK) return st;
        const int32_t index = ++rt->contourCount[roi_number];
        contour->setContourNumber(std::to_string(index).c_str());
        contour->setContourGeometricType("CLOSED_PLANAR");
        contour->setNumberOfContourPoints(std::to_string(point_count).c_str());
        std::string data;
        data.reserve(static_cast<size_t>(point_count) * 3 * 10);
        for (size_t i = 0; i < static_cast<size_t>(point_count) * 3; ++i) {
            if (i > 0) data += '\\';
            data += vxd::coordinateString(points[i]);
        }
        contour->setContourData(data.c_str(), OFFalse);
        DRTContourImageSequence::Item *image = nullptr;
        st = check(contour->getContourImageSequence().addItem(image), error, rt->sourcePath, "cannot reference the contour's image");
        if (st != VXD_OK) return st;
        image->setReferencedSOPClassUID(vxd::str(sop_class_uid).c_str());
        image->setReferencedSOPInstanceUID(vxd::str(sop_instance_uid).c_str());
        if (source_frame_number > 0) image->setReferencedFrameNumber(std::to_string(source_frame_number).c_str());
        return VXD_OK;
    });
}

vxd_status vxd_rtstruct_write(vxd_rtstruct *rt, const char *path, char sop_instance_uid[72], vxd_error *error) {
    vxd::clearError(error);
    if (rt == nullptr || path == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_rtstruct_write");
    const std::string out = path;
    return vxd::guarded(out, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        DcmFileFormat file;
        OFCondition cond = rt->iod.write(*file.getDataset());
        if (cond.bad())
            return vxd::fail(error, VXD_INVALID_ARGUMENT, out, "DCMTK refused the RT Structure Set",
                             capture.messages().empty() ? std::string(cond.text()) : capture.messages() + "; " + cond.text());
        // Implicit VR Little Endian: ContourData of a long contour exceeds the 64 kB an explicit-VR
        // DS element can hold (DCMTK would write it as UN); RT systems expect implicit VR anyway.
        vxd_status st = vxd::saveDataset(file, out, EXS_LittleEndianImplicit, error);
        if (st != VXD_OK) return st;
        if (sop_instance_uid != nullptr) vxd::copyString(sop_instance_uid, 72, rt->instanceUID);
        return VXD_OK;
    });
}

void vxd_rtstruct_free(vxd_rtstruct *rt) { delete rt; }

} // extern "C"
