#include "CNIfTI.h"
#include <stdlib.h>
// nifticlib is used directly from Swift (VoxSAMIO/NIfTI/NIfTILibrary.swift); this file only holds what
// Swift cannot do itself: reading fields of the packed nifti_1_header / nifti_2_header structs.
int voxsam_cnifti_linked(void) { return 1; }

static int stored_fields(const char *header_file, int nifti2, double out[VOXSAM_NIFTI_STORED_COUNT]) {
    int swapped = 0;
    if (nifti2) {
        nifti_2_header *h = nifti_read_n2_hdr(header_file, &swapped, 0);
        if (h == NULL) return -1;
        for (int i = 0; i < 3; ++i) out[i] = h->pixdim[i + 1];
        out[3] = h->quatern_b; out[4] = h->quatern_c; out[5] = h->quatern_d;
        out[6] = h->qoffset_x; out[7] = h->qoffset_y; out[8] = h->qoffset_z;
        out[9] = (double)h->vox_offset;
        for (int i = 0; i < 8; ++i) out[10 + i] = (double)h->dim[i];
        free(h);
        return 0;
    }
    nifti_1_header *h = nifti_read_n1_hdr(header_file, &swapped, 0);
    if (h == NULL) return -1;
    for (int i = 0; i < 3; ++i) out[i] = h->pixdim[i + 1];
    out[3] = h->quatern_b; out[4] = h->quatern_c; out[5] = h->quatern_d;
    out[6] = h->qoffset_x; out[7] = h->qoffset_y; out[8] = h->qoffset_z;
    out[9] = h->vox_offset;
    for (int i = 0; i < 8; ++i) out[10 + i] = h->dim[i];
    free(h);
    return 0;
}

int voxsam_nifti_stored_fields(const char *header_file, int nifti2, double out[VOXSAM_NIFTI_STORED_COUNT]) {
    // The version comes from sizeof_hdr (348: NIfTI-1/Analyze, 540: NIfTI-2, either byte order);
    // nifticlib's own report is only the fallback.
    (void)nifti2;
    znzFile f = znzopen(header_file, "rb", nifti_is_gzfile(header_file));
    if (znz_isnull(f)) return -1;
    unsigned char b[4] = {0, 0, 0, 0};
    const size_t n = znzread(b, 1, 4, f);
    znzclose(f);
    if (n != 4) return -1;
    const int le = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24, be = b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24;
    if (le == 540 || be == 540) return stored_fields(header_file, 1, out);
    if (le == 348 || be == 348) return stored_fields(header_file, 0, out);
    return -1;
}
