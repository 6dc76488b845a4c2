/*
 * CDCMTKWriters.h — the plain-C face of VoxSAM's DICOM writers: DICOM Segmentation (dcmseg) and
 * RT Structure Set (dcmrt). Same rules as CDCMTK.h: C types only, no exception escapes, every
 * call that can fail returns a vxd_status and fills vxd_error with a one-line message.
 *
 * Both writers are builders: create (patient, study and frame of reference are imported from one
 * source image file), add segments/ROIs and frames/contours, then write to a path. Writing goes to
 * the path given; the caller (Swift) passes a temporary name and renames it, so no half-written
 * object ever carries the final name. Strings are UTF-8: the writers convert the source's text to
 * UTF-8 and always declare ISO_IR 192; LO values are cut to 64 characters. UIDs are 2.25.<UUID>.
 */
#ifndef VOXSAM_CDCMTK_WRITERS_H
#define VOXSAM_CDCMTK_WRITERS_H

#include "CDCMTK.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MARK: common */

/** Identification of the new object (a new series in the source study). */
typedef struct vxd_new_series {
    const char *series_description;  /* SeriesDescription (0008,103E), LO */
    int32_t series_number;           /* SeriesNumber (0020,0011) */
    const char *manufacturer;        /* Manufacturer (0008,0070) */
    const char *model_name;          /* ManufacturerModelName (0008,1090) */
    const char *software_versions;   /* SoftwareVersions (0018,1020) */
    const char *device_serial;       /* DeviceSerialNumber (0018,1000) */
    const char *content_label;       /* ContentLabel (0070,0080) / StructureSetLabel (3006,0002), CS ≤ 16 */
    const char *content_description; /* ContentDescription / StructureSetName */
    const char *content_creator;     /* ContentCreatorName (0070,0084), PN */
} vxd_new_series;

/** A coded concept (CodeValue, CodingSchemeDesignator, CodeMeaning). Empty value = absent. */
typedef struct vxd_code {
    const char *value;
    const char *scheme;
    const char *meaning;
} vxd_code;

/** Generates a new DICOM UID under DCMTK's root (for tests and callers that need one). */
void vxd_generate_uid(char buffer[72]);

/* MARK: DICOM Segmentation (binary) */

typedef struct vxd_seg vxd_seg;

/** Starts a BINARY segmentation of rows × columns frames. Patient, study and frame of reference
 *  are imported from source_file (one image of the source series). */
vxd_status vxd_seg_create(const char *source_file, int32_t rows, int32_t columns, const vxd_new_series *series,
                          vxd_seg **out_seg, vxd_error *error);

/** Shared functional groups: ImageOrientationPatient (row then column cosines), PixelSpacing
 *  (row spacing, column spacing), SliceThickness and SpacingBetweenSlices (mm). */
vxd_status vxd_seg_set_geometry(vxd_seg *seg, const double orientation[6], const double pixel_spacing[2],
                                double slice_thickness, double spacing_between_slices, vxd_error *error);

/** One instance of the source series, for the Referenced Series Sequence (common instance
 *  reference module). */
vxd_status vxd_seg_add_source_instance(vxd_seg *seg, const char *series_uid, const char *sop_class_uid,
                                       const char *sop_instance_uid, vxd_error *error);

/** Adds a segment; *out_number receives its SegmentNumber (1, 2, …). type_modifier (e.g. SCT
 *  7771000 "Left") and anatomic_region are optional (empty value = absent). algorithm_type: 0 AUTOMATIC,
 *  1 SEMIAUTOMATIC, 2 MANUAL. cielab is the DICOM-scaled L*a*b* (0…65535). */
vxd_status vxd_seg_add_segment(vxd_seg *seg, const char *label, const char *description, vxd_code category,
                               vxd_code type, vxd_code type_modifier, vxd_code anatomic_region, const uint16_t cielab[3],
                               int32_t algorithm_type, const char *algorithm_name, const char *algorithm_version,
                               uint16_t *out_number, vxd_error *error);

/** Adds one frame of segment `segment_number`: pixels (rows × columns bytes, non-zero = inside)
 *  at ImagePositionPatient `position`, the `slice_index`-th (1-based) position of the stack,
 *  derived from the source instance (and frame, 1-based; 0 = single-frame source). */
vxd_status vxd_seg_add_frame(vxd_seg *seg, uint16_t segment_number, uint32_t slice_index, const double position[3],
                             const char *source_sop_class_uid, const char *source_sop_instance_uid,
                             int32_t source_frame_number, const uint8_t *pixels, vxd_error *error);

/** Writes the object (Explicit VR Little Endian) to `path` and returns its SOP Instance UID
 *  and Series Instance UID. */
vxd_status vxd_seg_write(vxd_seg *seg, const char *path, char sop_instance_uid[72], char series_uid[72],
                         vxd_error *error);

void vxd_seg_free(vxd_seg *seg);

/* MARK: RT Structure Set */

typedef struct vxd_rtstruct vxd_rtstruct;

/** Starts an RT Structure Set on the frame of reference of source_file (patient and study are
 *  imported from it). */
vxd_status vxd_rtstruct_create(const char *source_file, const vxd_new_series *series, vxd_rtstruct **out,
                               vxd_error *error);

/** One image of the source series (RT Referenced Series → Contour Image Sequence). */
vxd_status vxd_rtstruct_add_source_instance(vxd_rtstruct *rt, const char *series_uid, const char *sop_class_uid,
                                            const char *sop_instance_uid, vxd_error *error);

/** Adds a ROI; *out_number receives its ROINumber. interpreted_type: RTROIInterpretedType, e.g.
 *  "ORGAN"; generation_algorithm: "AUTOMATIC", "SEMIAUTOMATIC" or "MANUAL". */
vxd_status vxd_rtstruct_add_roi(vxd_rtstruct *rt, const char *name, const uint8_t color[3], const char *interpreted_type,
                                const char *generation_algorithm, const char *generation_description,
                                vxd_code category, vxd_code type, int32_t *out_number, vxd_error *error);

/** Adds one CLOSED_PLANAR contour of `point_count` points (x, y, z in mm, LPS patient
 *  coordinates, written to 0.1 µm) to ROI `roi_number`, on the given source image (and frame,
 *  1-based; 0 = single-frame source). */
vxd_status vxd_rtstruct_add_contour(vxd_rtstruct *rt, int32_t roi_number, const double *points, int32_t point_count,
                                    const char *sop_class_uid, const char *sop_instance_uid, int32_t source_frame_number,
                                    vxd_error *error);

vxd_status vxd_rtstruct_write(vxd_rtstruct *rt, const char *path, char sop_instance_uid[72], vxd_error *error);

void vxd_rtstruct_free(vxd_rtstruct *rt);

#ifdef __cplusplus
}
#endif

#endif
