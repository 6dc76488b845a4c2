/*
 * CDCMTK.h — the plain-C face of VoxSAM's DICOM bridge (DCMTK 3.6 + OpenJPEG 2.x).
 *
 * Rules of this API (so that no C++ ever reaches Swift):
 *   - Only C types cross the boundary: opaque handles, plain structs, fixed-size char arrays.
 *   - No C++ exception and no DCMTK type escapes; every call that can fail returns a
 *     vxd_status and fills the caller's vxd_error with a one-line message that names the
 *     file and the tag or problem (DCMTK's own diagnostics are appended when it gave any).
 *   - Memory returned by the library (vxd_dicomdir_files) is freed with vxd_free().
 *   - A vxd_file may be used from one thread at a time; different handles may be used from
 *     different threads concurrently.
 *
 * Frames: a "frame" is one 2-D image of the file as VoxSAM stacks it. For a single-frame
 * image that is the image itself; for a (enhanced) multi-frame image it is each frame; for a
 * Siemens mosaic it is each de-tiled slice (vxd_image_info.rows/columns are then the tile
 * size, not the stored mosaic size, and frame positions are already corrected).
 */
#ifndef VOXSAM_CDCMTK_H
#define VOXSAM_CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MARK: status */

typedef enum vxd_status {
    VXD_OK = 0,
    /** The file does not exist or cannot be opened for reading. */
    VXD_NOT_FOUND = 1,
    /** The file is not DICOM (no "DICM" preamble and no plausible raw data set). */
    VXD_NOT_DICOM = 2,
    /** DICOM, but broken: truncated, malformed element, undecodable pixel data. */
    VXD_CORRUPT = 3,
    /** DICOM and valid, but a feature the bridge does not decode (transfer syntax, bit depth). */
    VXD_UNSUPPORTED = 4,
    /** The data set has no Pixel Data (7FE0,0010). */
    VXD_NO_PIXELS = 5,
    /** A caller error (bad frame index, buffer too small, null pointer). */
    VXD_INVALID_ARGUMENT = 6,
    /** An unexpected failure inside the bridge (out of memory, C++ exception). */
    VXD_INTERNAL = 7,
    /** A network peer could not be reached, refused or aborted the association, or answered
     *  with a failure (CDCMTKNetwork.h). */
    VXD_NETWORK = 8,
    /** A file the bridge writes cannot be written (disk full, file-size limit, permissions). */
    VXD_WRITE_FAILED = 9
} vxd_status;

enum { VXD_MESSAGE_CAPACITY = 1536 };

typedef struct vxd_error {
    /** NUL-terminated UTF-8 message; empty on success. */
    char message[VXD_MESSAGE_CAPACITY];
} vxd_error;

/* MARK: library */

/** Version string of the bridge and the libraries it uses, e.g. "DCMTK 3.6.7, OpenJPEG 2.5.0". */
const char *vxd_library_version(void);

/** Frees memory returned by this library. NULL is accepted. */
void vxd_free(void *pointer);

/** Writes the DCMTK dictionary name of a UID (e.g. "RTStructureSetStorage") into buffer, or
 *  the empty string when unknown. Returns the length of the full name. */
size_t vxd_uid_name(const char *uid, char *buffer, size_t capacity);

/** Quick content sniff without parsing: 1 if the file has the DICOM preamble ("DICM" at byte
 *  128) or starts with a plausible group 0002/0008 element (raw data set), 0 otherwise,
 *  -1 if it cannot be read. */
int vxd_sniff(const char *path);

/* MARK: files */

typedef struct vxd_file vxd_file;

/** Opens a DICOM file and parses everything but the pixel values (large values are read
 *  lazily). On success *out_file must be closed with vxd_close. Meta-header-less data sets
 *  (implicit or explicit VR) are accepted. */
vxd_status vxd_open(const char *path, vxd_file **out_file, vxd_error *error);

/** Closes a file handle. NULL is accepted. */
void vxd_close(vxd_file *file);

/** Image-level attributes (top level of the data set; mosaic and multi-frame resolved). */
typedef struct vxd_image_info {
    /** 1 when the data set has Pixel Data (7FE0,0010); 0 for RTSTRUCT, SR, DICOMDIR, … */
    int32_t has_pixel_data;
    /** 1 when the data set uses the float/double Pixel Data elements (7FE0,0008)/(7FE0,0009). */
    int32_t has_float_pixel_data;
    /** 1 for a Media Storage Directory (DICOMDIR). */
    int32_t is_dicomdir;
    /** Rows (0028,0010), Columns (0028,0011) of one frame (the tile size for a mosaic). */
    int32_t rows, columns;
    /** Rows/Columns as stored (differs from rows/columns only for a mosaic). */
    int32_t stored_rows, stored_columns;
    /** Number of frames as VoxSAM sees them (NumberOfFrames (0028,0008), or mosaic tiles). */
    int32_t frame_count;
    /** NumberOfFrames as stored (1 when absent). */
    int32_t stored_frame_count;
    int32_t bits_allocated, bits_stored, high_bit, pixel_representation;
    int32_t samples_per_pixel, planar_configuration;
    /** 1 for the enhanced (functional-group) multi-frame family (SharedFunctionalGroupsSequence
     *  (5200,9229) or PerFrameFunctionalGroupsSequence (5200,9230) present). */
    int32_t is_enhanced;
    /** Siemens mosaic: 1 when ImageType (0008,0008) contains MOSAIC and the slice count was
     *  found (CSA NumberOfImagesInMosaic, else private (0019,xx0A)); tiles per row below. */
    int32_t is_mosaic;
    int32_t mosaic_tiles_per_row;
    /** 1 when the slice normal of the mosaic came from the CSA header (SliceNormalVector). */
    int32_t mosaic_has_csa_normal;
    double mosaic_slice_normal[3];
    /** 1 when the transfer syntax is encapsulated (compressed). */
    int32_t is_encapsulated;
    /** Transfer syntax UID of the data set (e.g. "1.2.840.10008.1.2.4.90"). */
    char transfer_syntax_uid[72];
    /** PhotometricInterpretation (0028,0004), e.g. "MONOCHROME2". */
    char photometric_interpretation[32];
} vxd_image_info;

vxd_status vxd_get_image_info(vxd_file *file, vxd_image_info *out_info, vxd_error *error);

/** Per-frame attributes, resolved in this order: per-frame functional group, shared functional
 *  group, top level of the data set. Each has_* flag says whether the value was found. */
typedef struct vxd_frame_info {
    /* ImagePositionPatient (0020,0032), mm, LPS; for a classic multi-frame image with one position
     * (RT Dose) frame f is moved along the normal by GridFrameOffsetVector (3004,000C). */
    int32_t has_position;            double position[3];
    int32_t has_orientation;         double orientation[6];       /* ImageOrientationPatient (0020,0037): row then column cosines */
    int32_t has_pixel_spacing;       double pixel_spacing[2];     /* PixelSpacing (0028,0030): row spacing, column spacing */
    int32_t has_slice_thickness;     double slice_thickness;      /* SliceThickness (0018,0050) */
    int32_t has_spacing_between;     double spacing_between_slices; /* SpacingBetweenSlices (0018,0088) */
    /* RescaleSlope (0028,1053) / RescaleIntercept (0028,1052); DoseGridScaling (3004,000E) as slope for RT Dose. */
    int32_t has_rescale;             double rescale_slope, rescale_intercept;
    int32_t has_window;              double window_center, window_width;      /* (0028,1050), (0028,1051), first value */
    int32_t has_stack;               char stack_id[20]; int64_t in_stack_position; /* StackID (0020,9056), InStackPositionNumber (0020,9057) */
    int32_t has_temporal_index;      int64_t temporal_position_index; /* TemporalPositionIndex (0020,9128) or TemporalPositionIdentifier (0020,0100) */
    int32_t has_acquisition_number;  int64_t acquisition_number;  /* FrameAcquisitionNumber (0020,9156) or AcquisitionNumber (0020,0012) */
    int32_t has_echo_number;         int64_t echo_number;         /* EchoNumbers (0018,0086) */
    int32_t has_echo_time;           double echo_time;            /* EffectiveEchoTime (0018,9082) or EchoTime (0018,0081) */
    int32_t has_b_value;             double b_value;              /* DiffusionBValue (0018,9087) */
    int32_t has_trigger_time;        double trigger_time;         /* TriggerTime (0018,1060) or NominalCardiacTriggerDelayTime (0020,9153) */
    int32_t dimension_index_count;   uint32_t dimension_index_values[8]; /* DimensionIndexValues (0020,9157) */
    /** FrameType (0008,9007) of an enhanced frame, else ImageType (0008,0008); backslash-separated. */
    char frame_type[96];
} vxd_frame_info;

/** frame_index is 0-based (< vxd_image_info.frame_count). */
vxd_status vxd_get_frame_info(vxd_file *file, int32_t frame_index, vxd_frame_info *out_info, vxd_error *error);

/** Tag helper: (group << 16) | element. */
#define VXD_TAG(group, element) ((uint32_t)(((uint32_t)(group) << 16) | (uint32_t)(element)))

/** Copies the value of a top-level string-like element (all values, backslash-separated,
 *  converted to UTF-8 when SpecificCharacterSet (0008,0005) says so) into buffer (always
 *  NUL-terminated when capacity > 0). Group 0002 tags are looked up in the meta header.
 *  Numbers (US, SS, UL, …, FD, FL) are formatted as decimal text.
 *  Returns the full length, or -1 when the element is absent; an empty element returns 0. */
int64_t vxd_get_string(vxd_file *file, uint32_t tag, char *buffer, size_t capacity);

/** Element kinds for vxd_decode_frame's output. */
typedef enum vxd_sample_type {
    VXD_SAMPLE_INT16 = 0,
    VXD_SAMPLE_UINT16 = 1,
    VXD_SAMPLE_INT32 = 2
} vxd_sample_type;

/** Decodes one frame (see above) into `out`, which must hold rows * columns samples of
 *  `sample_type`, row by row (column index fastest). Values are the stored pixel values
 *  (no rescale), masked to BitsStored and sign-extended when PixelRepresentation (0028,0103)
 *  is 1. A value that does not fit sample_type is an error (VXD_UNSUPPORTED), never clipped.
 *  Handles native little/big endian, deflated, RLE, JPEG (baseline/extended/lossless),
 *  JPEG-LS (DCMTK codecs) and JPEG 2000 (OpenJPEG; fragments are joined per frame using the
 *  basic or extended offset table, or the codestream markers when the table is empty). */
vxd_status vxd_decode_frame(vxd_file *file, int32_t frame_index, void *out, size_t out_sample_count,
                            vxd_sample_type sample_type, vxd_error *error);

/* MARK: DICOMDIR */

/** Lists the files referenced by a DICOMDIR (ReferencedFileID (0004,1500) of its directory
 *  records; image and non-image records alike), as paths relative to the DICOMDIR's folder
 *  with '/' separators, one per line, in record order. The result is malloc'ed: free it with
 *  vxd_free. Returns NULL on failure (error filled). */
char *vxd_dicomdir_files(const char *path, vxd_error *error);

#ifdef __cplusplus
}
#endif

/* The writers (DICOM SEG, RTSTRUCT) and the DIMSE client are declared in their own headers. */
#include "CDCMTKWriters.h"
#include "CDCMTKNetwork.h"

#endif /* VOXSAM_CDCMTK_H */
