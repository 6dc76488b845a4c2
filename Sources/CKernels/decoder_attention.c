// CKernels — SAM decoder cross attention with the projections folded into the small side.
//
// In the two-way transformer one side of every cross attention has only a handful of tokens
// (nt = 7: IoU token, 4 mask tokens, 2 box corners) and the other 4096 image tokens. Instead of
// projecting the 4096 image tokens to q/k/v ([4096][256] x [256][128] each), the per-head projection
// weights are combined with the few projected tokens first (these kernels, [heads*nt][C] results),
// so the image side enters only GEMMs with heads * nt = 56 columns. See TwoWayTransformer.swift.
#include "CKernels.h"

#include "vk_internal.h"

VK_CLONES
void vk_fold_heads(const float *a, int lda, const float *w, int C, int nt, int heads, int hd, float scale,
                   float *out) {
    for (int h = 0; h < heads; h++) {
        for (int j = 0; j < nt; j++) {
            float *restrict o = out + ((long)h * nt + j) * C;
            const float *aj = a + (long)j * lda + h * hd;
            for (int c = 0; c < C; c++) o[c] = 0.0f;
            for (int t = 0; t < hd; t++) {
                const float *restrict wr = w + ((long)h * hd + t) * C;
                float s = aj[t] * scale;
                for (int c = 0; c < C; c++) o[c] = fmaf(s, wr[c], o[c]);
            }
        }
    }
}

void vk_fold_heads_bias(const float *a, int lda, const float *b, int nt, int heads, int hd, float scale,
                        float *out) {
    for (int h = 0; h < heads; h++) {
        for (int j = 0; j < nt; j++) {
            const float *aj = a + (long)j * lda + h * hd;
            float s = 0.0f;
            for (int t = 0; t < hd; t++) s = fmaf(aj[t] * scale, b[h * hd + t], s);
            out[h * nt + j] = s;
        }
    }
}

VK_CLONES
void vk_unfold_heads(const float *u, const float *w, const float *bias, int C, int nt, int heads, int hd,
                     float *o, int ldo) {
    for (int h = 0; h < heads; h++) {
        for (int j = 0; j < nt; j++) {
            const float *restrict uj = u + ((long)h * nt + j) * C;
            for (int t = 0; t < hd; t++) {
                const float *restrict wr = w + ((long)h * hd + t) * C;
                float s = 0.0f;
                for (int c = 0; c < C; c++) s = fmaf(uj[c], wr[c], s);
                o[(long)j * ldo + h * hd + t] = s + (bias ? bias[h * hd + t] : 0.0f);
            }
        }
    }
}

VK_CLONES
void vk_head_softmax_cols(float *s, long ld, const float *add, int heads, int nt, long c0, long c1) {
    enum { B = 256 };
    float m[B], sum[B];
    for (int h = 0; h < heads; h++) {
        float *base = s + (long)h * nt * ld;
        for (long i0 = c0; i0 < c1; i0 += B) {
            int n = (int)(c1 - i0 < B ? c1 - i0 : B);
            for (int j = 0; j < nt; j++) {
                float *restrict row = base + (long)j * ld + i0;
                float a = add ? add[h * nt + j] : 0.0f;
                if (add)
                    for (int k = 0; k < n; k++) row[k] += a;
                if (j == 0) {
                    for (int k = 0; k < n; k++) m[k] = row[k];
                } else {
                    for (int k = 0; k < n; k++) m[k] = row[k] > m[k] ? row[k] : m[k];
                }
            }
            for (int j = 0; j < nt; j++) {
                float *restrict row = base + (long)j * ld + i0;
                if (j == 0) {
                    for (int k = 0; k < n; k++) sum[k] = row[k] = vk_expf(row[k] - m[k]);
                } else {
                    for (int k = 0; k < n; k++) {
                        row[k] = vk_expf(row[k] - m[k]);
                        sum[k] += row[k];
                    }
                }
            }
            for (int k = 0; k < n; k++) sum[k] = 1.0f / sum[k];
            for (int j = 0; j < nt; j++) {
                float *restrict row = base + (long)j * ld + i0;
                for (int k = 0; k < n; k++) row[k] *= sum[k];
            }
        }
    }
}
