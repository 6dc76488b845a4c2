#include "CNIfTI.h"
#include <stdlib.h>
// nifticlib is used directly from Swift (VoxSAMIO/NIfTI/NIfTILibrary.swift); this file only holds what
// Swift cannot do itself: reading fields of the packed nifti_1_header / nifti_2_header structs.
int voxsam_cnifti_linked(void) { return 1; }

/// The first `n` bytes of the (possibly gzipped) header file; 0 when it has fewer.
static int read_head(const char *header_file, unsigned char *b, size_t n) {
    znzFile f = znzopen(header_file, "rb", nifti_is_gzfile(header_file));
    if (znz_isnull(f)) return 0;
    const size_t got = znzread(b, 1, n, f);
    znzclose(f);
    return got == n;
}

static int stored_fields(const char *header_file, int nifti2, double out[VOXSAM_NIFTI_STORED_COUNT]) {
    int swapped = 0;
    if (!nifti2) {
        // nifti_read_n1_hdr byte-swaps its 348-byte stack copy with the layout its magic names: a
        // NIfTI-2 magic ("n+2") in a byte-swapped 348-byte header swaps 540 bytes there (stack smash).
        unsigned char b[348];
        if (!read_head(header_file, b, sizeof b)) return -1;
        if (b[344] == 'n' && b[347] == 0 && (b[345] == 'i' || b[345] == '+') && b[346] >= '2' && b[346] <= '9') return -1;
    }
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

int voxsam_nifti_dim0_valid(const char *header_file) {
    unsigned char b[48];
    if (!read_head(header_file, b, sizeof b)) return 1;  // too short: nifticlib refuses it
    const int le = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24, be = b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24;
    long long dim0;
    if (le == 540 || be == 540) {            // NIfTI-2: int64 dim[0] at byte 16
        unsigned long long v = 0;
        for (int i = 0; i < 8; ++i) v |= (unsigned long long)b[16 + (le == 540 ? i : 7 - i)] << (8 * i);
        dim0 = (long long)v;
    } else if (le == 348 || be == 348) {     // NIfTI-1 / Analyze: int16 dim[0] at byte 40
        dim0 = (short)(le == 348 ? (b[40] | b[41] << 8) : (b[41] | b[40] << 8));
    } else {
        return 1;                            // not a header nifticlib reads either
    }
    return dim0 >= 0 && dim0 <= 7;
}
