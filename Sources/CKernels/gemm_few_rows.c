// CKernels — GEMM for a few rows (the SAM decoder's 7 tokens, or 1 for the output MLPs).
//
// OpenBLAS packs the whole weight matrix on every call and may wake its threads, which costs more
// than the arithmetic when M is 1..7. Here each 8-row block of x streams the transposed weight
// once: per k, one or two 16-float weight vectors times 8 broadcast x values, accumulated with
// FMA in k order.
#include "CKernels.h"
#include "vk_internal.h"

VK_CLONES
void vk_gemm_few_rows(const float *x, int ldx, const float *wt, int ldw, float *y, int ldy, int M, int N, int K,
                      float beta) {
    for (int m0 = 0; m0 < M; m0 += 8) {
        int mb = M - m0 < 8 ? M - m0 : 8;
        // Rows past the end repeat the last real row; their results are discarded.
        const float *xr[8];
        for (int i = 0; i < 8; i++) xr[i] = x + (long)(m0 + (i < mb ? i : mb - 1)) * ldx;
        int n = 0;
        for (; n + 32 <= N; n += 32) {
            v16 a0[8], a1[8];
            for (int i = 0; i < 8; i++) a0[i] = a1[i] = v16_splat(0.0f);
            for (int k = 0; k < K; k++) {
                const float *w = wt + (long)k * ldw + n;
                v16 w0 = v16_load(w), w1 = v16_load(w + 16);
                for (int i = 0; i < 8; i++) {
                    v16 xs = v16_splat(xr[i][k]);
                    a0[i] = v16_fma(xs, w0, a0[i]);
                    a1[i] = v16_fma(xs, w1, a1[i]);
                }
            }
            for (int i = 0; i < mb; i++) {
                float *yr = y + (long)(m0 + i) * ldy + n;
                if (beta != 0.0f) {
                    a0[i] += v16_load(yr);
                    a1[i] += v16_load(yr + 16);
                }
                v16_store(yr, a0[i]);
                v16_store(yr + 16, a1[i]);
            }
        }
        for (; n + 16 <= N; n += 16) {
            v16 a0[8];
            for (int i = 0; i < 8; i++) a0[i] = v16_splat(0.0f);
            for (int k = 0; k < K; k++) {
                v16 w0 = v16_load(wt + (long)k * ldw + n);
                for (int i = 0; i < 8; i++) a0[i] = v16_fma(v16_splat(xr[i][k]), w0, a0[i]);
            }
            for (int i = 0; i < mb; i++) {
                float *yr = y + (long)(m0 + i) * ldy + n;
                if (beta != 0.0f) a0[i] += v16_load(yr);
                v16_store(yr, a0[i]);
            }
        }
        for (; n < N; n++) {
            for (int i = 0; i < mb; i++) {
                float s = 0.0f;
                for (int k = 0; k < K; k++) s = fmaf(xr[i][k], wt[(long)k * ldw + n], s);
                float *yv = y + (long)(m0 + i) * ldy + n;
                *yv = beta != 0.0f ? *yv + s : s;
            }
        }
    }
}
