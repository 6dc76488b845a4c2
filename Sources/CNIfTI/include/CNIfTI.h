// nifticlib (libnifti2-dev): NIfTI-1 and NIfTI-2 through the nifti2 API.
// Linked against nifti2 + znz only (niftiio has the same symbols with different structs).
#ifndef VOXSAM_CNIFTI_H
#define VOXSAM_CNIFTI_H
#include <nifti2_io.h>
#endif
