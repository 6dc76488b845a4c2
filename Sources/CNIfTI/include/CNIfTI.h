// nifticlib (libnifti2-dev): NIfTI-1 and NIfTI-2 through the nifti2 API.
// Linked against nifti2 + znz only (niftiio has the same symbols with different structs).
#ifndef VOXSAM_CNIFTI_H
#define VOXSAM_CNIFTI_H
#include <nifti2_io.h>

/// Fields of the header file as stored, before nifticlib repairs them (it replaces a zero or NaN
/// pixdim with 1): out = pixdim[1..3], quatern_b/c/d, qoffset_x/y/z. Returns 0, or -1 when the
/// header cannot be read. (The header structs are packed, which Swift cannot import faithfully.)
int voxsam_nifti_stored_fields(const char *header_file, int nifti2, double out[9]);
#endif
