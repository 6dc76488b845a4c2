#include "CNIfTI.h"
// nifticlib is used directly from Swift (VoxSAMIO/NIfTI/NIfTILibrary.swift); this file only makes the target a C module.
int voxsam_cnifti_linked(void) { return 1; }
