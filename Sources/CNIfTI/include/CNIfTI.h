// nifticlib (libnifti2-dev): NIfTI-1 and NIfTI-2 through the nifti2 API.
// Linked against nifti2 + znz only (niftiio has the same symbols with different structs).
#ifndef VOXSAM_CNIFTI_H
#define VOXSAM_CNIFTI_H
#include <nifti2_io.h>

/// Fields of the header file as stored, before nifticlib repairs them (a zero or NaN pixdim becomes
/// 1, a bad dim or vox_offset is replaced): out = pixdim[1..3], quatern_b/c/d, qoffset_x/y/z,
/// vox_offset, dim[0..7]. Returns 0, or -1 when the header cannot be read. (The header structs are
/// packed, which Swift cannot import faithfully.)
enum { VOXSAM_NIFTI_STORED_COUNT = 18 };
int voxsam_nifti_stored_fields(const char *header_file, int nifti2, double out[VOXSAM_NIFTI_STORED_COUNT]);
/// 1 when dim[0] as stored (in the byte order sizeof_hdr gives) is 0...7 or the file is no NIfTI-1/2
/// header at all, 0 otherwise: nifticlib's NIfTI-2 conversion writes past dim[8] on its stack when
/// dim[0] > 7 (found by fuzzing: Fuzz/regressions/nifti). Reads only the first 48 bytes.
int voxsam_nifti_dim0_valid(const char *header_file);
#endif
