// Per-frame attributes: enhanced functional groups (per-frame item, then shared item, then the
// top level of the data set), Siemens mosaic tiles, or a classic single-frame image.
#include "bridge_internal.hpp"

#include <cmath>
#include <cstring>

namespace {

bool getDoubles(DcmItem *item, const DcmTagKey &key, double *out, unsigned long count) {
    if (item == nullptr) return false;
    double tmp[8];
    for (unsigned long i = 0; i < count; ++i)
        if (item->findAndGetFloat64(key, tmp[i], i).bad() || !std::isfinite(tmp[i])) return false;
    std::memcpy(out, tmp, count * sizeof(double));
    return true;
}

/// For geometry attributes, whose bad values must be reported rather than ignored: 0 when the
/// element is absent or empty, 1 when it holds `count` finite numbers (copied to `out`), 2 when
/// it is present but not that (`out` is filled with NaN so that the caller names the attribute).
int getGeometry(DcmItem *item, const DcmTagKey &key, double *out, unsigned long count) {
    if (item == nullptr) return 0;
    DcmElement *e = nullptr;
    if (item->findAndGetElement(key, e).bad() || e == nullptr || e->getLength() == 0) return 0;
    if (getDoubles(item, key, out, count)) return 1;
    for (unsigned long i = 0; i < count; ++i) out[i] = std::nan("");
    return 2;
}

/// getGeometry on the functional-group macro item, then on the top level.
int32_t getGeometry(DcmItem *macro, DcmItem *top, const DcmTagKey &key, double *out, unsigned long count) {
    int r = getGeometry(macro, key, out, count);
    if (r == 0) r = getGeometry(top, key, out, count);
    return r != 0 ? 1 : 0;
}

bool getInt(DcmItem *item, const DcmTagKey &key, int64_t &out) {
    if (item == nullptr) return false;
    DcmElement *e = nullptr;
    if (item->findAndGetElement(key, e).bad() || e == nullptr || e->getVM() < 1) return false;
    switch (e->ident()) {
    case EVR_UL: { Uint32 v; if (e->getUint32(v).bad()) return false; out = v; return true; }
    case EVR_US: { Uint16 v; if (e->getUint16(v).bad()) return false; out = v; return true; }
    case EVR_SL: { Sint32 v; if (e->getSint32(v).bad()) return false; out = v; return true; }
    case EVR_SS: { Sint16 v; if (e->getSint16(v).bad()) return false; out = v; return true; }
    default: {
        Sint32 v; // IS and friends
        if (item->findAndGetSint32(key, v).bad()) return false;
        out = v;
        return true;
    }
    }
}

bool getString(DcmItem *item, const DcmTagKey &key, std::string &out) {
    if (item == nullptr) return false;
    OFString v;
    if (item->findAndGetOFStringArray(key, v).bad()) return false;
    out = v.c_str();
    return true;
}

/// The first item of sequence `seq` inside functional-group item `group` (nullptr if absent).
DcmItem *groupMacro(DcmItem *group, const DcmTagKey &seq) {
    if (group == nullptr) return nullptr;
    DcmItem *macro = nullptr;
    return group->findAndGetSequenceItem(seq, macro, 0).good() ? macro : nullptr;
}

/// Candidate items for a functional-group macro, in precedence order.
struct Sources {
    DcmItem *perFrame = nullptr;
    DcmItem *shared = nullptr;
    DcmItem *top = nullptr;
    /// Macro item for `seq` (per-frame first, then shared).
    DcmItem *macro(const DcmTagKey &seq) const {
        if (DcmItem *m = groupMacro(perFrame, seq)) return m;
        return groupMacro(shared, seq);
    }
};

/// Classic multi-frame images with one ImagePositionPatient (RT Dose): GridFrameOffsetVector
/// (3004,000C) places frame f along the normal of ImageOrientationPatient, relative to the first
/// frame (first value 0) or, in the legacy absolute form, as z coordinates (first value = z).
void applyGridFrameOffset(DcmItem *ds, int32_t frameIndex, int32_t frames, vxd_frame_info *out) {
    double first = 0, offset = 0;
    DcmElement *grid = nullptr;
    if (ds->findAndGetElement(DCM_GridFrameOffsetVector, grid).bad() || grid == nullptr ||
        grid->getVM() != static_cast<unsigned long>(frames) || grid->getFloat64(first, 0).bad() ||
        grid->getFloat64(offset, static_cast<unsigned long>(frameIndex)).bad())
        return;
    const double *r = out->orientation, *c = out->orientation + 3;
    double n[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    const double norm = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (!(norm > 0.5)) return;
    for (double &v : n) v /= norm;
    double relative = offset;
    if (first != 0) {
        // Absolute form: only meaningful when the frames are axial.
        if (std::fabs(std::fabs(n[2]) - 1) > 1e-3 || std::fabs(first - out->position[2]) > 1e-3) return;
        relative = (offset - first) * n[2];
    }
    for (int k = 0; k < 3; ++k) out->position[k] += relative * n[k];
}

} // namespace

namespace vxd {

vxd_status readFrameInfo(vxd_file *file, int32_t frameIndex, vxd_frame_info *out, vxd_error *error) {
    std::memset(out, 0, sizeof(*out));
    DcmDataset *ds = file->dataset;
    const vxd_image_info &info = file->info;
    if (frameIndex < 0 || frameIndex >= info.frame_count) {
        return fail(error, VXD_INVALID_ARGUMENT, file->path,
                    "frame index " + std::to_string(frameIndex) + " out of range 0..<" + std::to_string(info.frame_count));
    }

    Sources src;
    src.top = ds;
    if (info.is_enhanced) {
        if (static_cast<size_t>(frameIndex) < file->perFrameGroups.size()) src.perFrame = file->perFrameGroups[frameIndex];
        src.shared = file->sharedGroups;
    }

    // Geometry: PlanePositionSequence, PlaneOrientationSequence, PixelMeasuresSequence.
    if (info.is_mosaic) {
        if (file->mosaicHasPosition) {
            out->has_position = 1;
            for (int k = 0; k < 3; ++k) out->position[k] = file->mosaicOrigin[k] + frameIndex * file->mosaicStep[k];
        }
    } else {
        out->has_position = getGeometry(src.macro(DCM_PlanePositionSequence), ds, DCM_ImagePositionPatient, out->position, 3);
    }
    out->has_orientation = getGeometry(src.macro(DCM_PlaneOrientationSequence), ds, DCM_ImageOrientationPatient, out->orientation, 6);
    if (!info.is_enhanced && !info.is_mosaic && info.stored_frame_count > 1 && out->has_position && out->has_orientation)
        applyGridFrameOffset(ds, frameIndex, info.stored_frame_count, out);
    DcmItem *measures = src.macro(DCM_PixelMeasuresSequence);
    out->has_pixel_spacing = getGeometry(measures, ds, DCM_PixelSpacing, out->pixel_spacing, 2);
    out->has_slice_thickness = getDoubles(measures, DCM_SliceThickness, &out->slice_thickness, 1) ||
                               getDoubles(ds, DCM_SliceThickness, &out->slice_thickness, 1);
    out->has_spacing_between = getDoubles(measures, DCM_SpacingBetweenSlices, &out->spacing_between_slices, 1) ||
                               getDoubles(ds, DCM_SpacingBetweenSlices, &out->spacing_between_slices, 1);

    // Pixel value transformation and VOI window.
    DcmItem *transform = src.macro(DCM_PixelValueTransformationSequence);
    if (transform == nullptr) transform = ds;
    double slope = 1, intercept = 0;
    const bool hasSlope = getDoubles(transform, DCM_RescaleSlope, &slope, 1);
    const bool hasIntercept = getDoubles(transform, DCM_RescaleIntercept, &intercept, 1);
    double doseScaling = 1;
    if (!hasSlope && !info.is_enhanced && getDoubles(ds, DCM_DoseGridScaling, &doseScaling, 1)) {
        // RT Dose: DoseGridScaling (3004,000E) converts stored values to Gy.
        out->has_rescale = 1;
        out->rescale_slope = doseScaling;
        out->rescale_intercept = hasIntercept ? intercept : 0;
    } else if (hasSlope || hasIntercept) {
        out->has_rescale = 1;
        out->rescale_slope = hasSlope ? slope : 1;
        out->rescale_intercept = hasIntercept ? intercept : 0;
    }
    DcmItem *voi = src.macro(DCM_FrameVOILUTSequence);
    if (voi == nullptr) voi = ds;
    out->has_window = getDoubles(voi, DCM_WindowCenter, &out->window_center, 1) &&
                      getDoubles(voi, DCM_WindowWidth, &out->window_width, 1);

    // Frame content: stack, temporal position, acquisition, dimension indices.
    DcmItem *content = src.macro(DCM_FrameContentSequence);
    std::string stack;
    if (getString(content, DCM_StackID, stack) && getInt(content, DCM_InStackPositionNumber, out->in_stack_position)) {
        out->has_stack = 1;
        copyString(out->stack_id, sizeof(out->stack_id), stack);
    }
    out->has_temporal_index = getInt(content, DCM_TemporalPositionIndex, out->temporal_position_index) ||
                              getInt(ds, DCM_TemporalPositionIdentifier, out->temporal_position_index);
    out->has_acquisition_number = getInt(content, DCM_FrameAcquisitionNumber, out->acquisition_number) ||
                                  getInt(ds, DCM_AcquisitionNumber, out->acquisition_number);
    if (content != nullptr) {
        for (unsigned long i = 0; i < 8; ++i) {
            Uint32 v = 0;
            if (content->findAndGetUint32(DCM_DimensionIndexValues, v, i).bad()) break;
            out->dimension_index_values[i] = v;
            out->dimension_index_count = static_cast<int32_t>(i + 1);
        }
    }

    // Acquisition parameters that tell volumes of one series apart.
    out->has_echo_number = getInt(ds, DCM_EchoNumbers, out->echo_number);
    out->has_echo_time = getDoubles(src.macro(DCM_MREchoSequence), DCM_EffectiveEchoTime, &out->echo_time, 1) ||
                         getDoubles(ds, DCM_EchoTime, &out->echo_time, 1);
    out->has_b_value = getDoubles(src.macro(DCM_MRDiffusionSequence), DCM_DiffusionBValue, &out->b_value, 1) ||
                       getDoubles(ds, DCM_DiffusionBValue, &out->b_value, 1);
    out->has_trigger_time =
        getDoubles(src.macro(DCM_CardiacSynchronizationSequence), DCM_NominalCardiacTriggerDelayTime, &out->trigger_time, 1) ||
        getDoubles(ds, DCM_TriggerTime, &out->trigger_time, 1);

    std::string frameType;
    bool haveType = false;
    for (DcmItem *group : {src.perFrame, src.shared}) {
        if (group == nullptr || haveType) continue;
        for (const DcmTagKey &seq : {DCM_MRImageFrameTypeSequence, DCM_CTImageFrameTypeSequence}) {
            if (getString(groupMacro(group, seq), DCM_FrameType, frameType)) { haveType = true; break; }
        }
    }
    if (!haveType) getString(ds, DCM_ImageType, frameType);
    copyString(out->frame_type, sizeof(out->frame_type), frameType);
    return VXD_OK;
}

} // namespace vxd
