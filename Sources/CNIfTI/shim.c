#include "CNIfTI.h"
#include <stdlib.h>
// nifticlib is used directly from Swift (VoxSAMIO/NIfTI/NIfTILibrary.swift); this file only holds what
// Swift cannot do itself: reading fields of the packed nifti_1_header / nifti_2_header structs.
int voxsam_cnifti_linked(void) { return 1; }

int voxsam_nifti_stored_fields(const char *header_file, int nifti2, double out[9]) {
    int swapped = 0;
    if (nifti2) {
        nifti_2_header *h = nifti_read_n2_hdr(header_file, &swapped, 0);
        if (h == NULL) return -1;
        for (int i = 0; i < 3; ++i) out[i] = h->pixdim[i + 1];
        out[3] = h->quatern_b; out[4] = h->quatern_c; out[5] = h->quatern_d;
        out[6] = h->qoffset_x; out[7] = h->qoffset_y; out[8] = h->qoffset_z;
        free(h);
        return 0;
    }
    nifti_1_header *h = nifti_read_n1_hdr(header_file, &swapped, 0);
    if (h == NULL) return -1;
    for (int i = 0; i < 3; ++i) out[i] = h->pixdim[i + 1];
    out[3] = h->quatern_b; out[4] = h->quatern_c; out[5] = h->quatern_d;
    out[6] = h->qoffset_x; out[7] = h->qoffset_y; out[8] = h->qoffset_z;
    free(h);
    return 0;
}
