// CKernels — int8 GEMM for the TinyViT encoder (y = x W^T with x quantized per row, W per output
// channel), integer products accumulated in int32, dequantized in fp32.
//
// Why this shape
// * AVX-512 VNNI's vpdpbusd multiplies unsigned bytes by signed bytes, four pairs at a time, and adds
//   the four products to an int32 lane without saturation: 4x the multiply-adds of an fp32 FMA per
//   instruction. So activations become u8 with a per-row zero point, weights s8 (symmetric, [-127, 127]).
// * Activations are quantized asymmetrically per row (min/max, zero point): the encoder's GELU
//   outputs lie in [-0.17, +inf), a symmetric range would waste almost half of the 256 levels.
//   A symmetric mode (zero point 128) is kept for measurements.
// * y[r][n] = sx[r] * sw[n] * (sum_k qx[r][k] * qw[n][k] - zx[r] * sum_k qw[n][k]): the column sums
//   of the quantized weight are computed once at packing time.
// * Weights are packed once at model load into 16-column panels [Np/16][Kp/4][16][4] (K padded to a
//   multiple of 4 with zeros, N to a multiple of 16 with zero columns): one 64-byte load gives the
//   4 consecutive k of 16 output channels, exactly vpdpbusd's operand. The micro-kernel takes 8 rows
//   x 32 columns (16 zmm accumulators), broadcasting 4 activation bytes of a row per k-step.
// * Without VNNI the portable path computes the same int32 sums with ordinary integer arithmetic
//   (exact, so the results are bit-identical; the dequantization is written to round identically).
//   AVX2's vpmaddubsw is not used: its int16 pair sums saturate (255 * 127 * 2 > 32767).
#include "CKernels.h"
#include "vk_internal.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define VK_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

enum { Q8_MR = 8, Q8_QB = 64 };  // micro-kernel rows; rows quantized per block (scratch size)

// MARK: - Weights

long vk_q8_packed_size(int N, int K) { return (long)((N + 15) / 16) * 16 * ((K + 3) / 4 * 4); }

void vk_q8_pack_weights(const float *w, int ldw, int N, int K, int8_t *packed, float *scale, int32_t *colsum) {
    const int Kp = (K + 3) / 4 * 4, Np = (N + 15) / 16 * 16;
    memset(packed, 0, (size_t)Np * (size_t)Kp);
    for (int n = 0; n < N; n++) {
        const float *wr = w + (long)n * ldw;
        float m = 0.0f;
        for (int k = 0; k < K; k++) m = fmaxf(m, fabsf(wr[k]));
        // All-zero channel: scale 1 keeps the dequantization finite (its products are all 0).
        float s = m > 0.0f ? m / 127.0f : 1.0f;
        float inv = 1.0f / s;
        int32_t sum = 0;
        int8_t *panel = packed + (long)(n / 16) * 16 * Kp;
        for (int k = 0; k < K; k++) {
            float q = rintf(wr[k] * inv);
            q = fminf(fmaxf(q, -127.0f), 127.0f);
            panel[(long)(k / 4) * 64 + (n % 16) * 4 + k % 4] = (int8_t)q;
            sum += (int32_t)q;
        }
        scale[n] = s;
        colsum[n] = sum;
    }
}

// MARK: - Activations

long vk_q8_scratch_size(int K) {
    const long Kp = (K + 3) / 4 * 4;
    return Q8_QB * Kp + Q8_QB * (long)(sizeof(float) + sizeof(int32_t)) + 64;
}

typedef int32_t q8_i16v __attribute__((vector_size(64), aligned(4)));
typedef uint8_t q8_u16v __attribute__((vector_size(16), aligned(1)));

// Written with vector extensions (16 lanes) because clang does not vectorise the fminf/fmaxf
// reductions without -ffast-math; every clone rounds identically (IEEE min/max/mul, round-to-even).
VK_CLONES
void vk_q8_quantize_rows(const float *x, int ldx, int K, int M, uint8_t *q, int ldq, float *rscale, int32_t *rzero,
                         int symmetric) {
    const int Kp = (K + 3) / 4 * 4, K16 = K & ~15;
    for (int r = 0; r < M; r++) {
        const float *restrict xr = x + (long)r * ldx;
        uint8_t *restrict qr = q + (long)r * ldq;
        // The range always contains 0, so that 0 (padding, ReLU/GELU zeros) is exact.
        v16 vlo = v16_splat(0.0f), vhi = v16_splat(0.0f);
        for (int k = 0; k < K16; k += 16) {
            v16 v = v16_load(xr + k);
            vlo = __builtin_elementwise_min(vlo, v);
            vhi = __builtin_elementwise_max(vhi, v);
        }
        float lo = 0.0f, hi = 0.0f;
        for (int i = 0; i < 16; i++) {
            lo = fminf(lo, vlo[i]);
            hi = fmaxf(hi, vhi[i]);
        }
        for (int k = K16; k < K; k++) {
            lo = fminf(lo, xr[k]);
            hi = fmaxf(hi, xr[k]);
        }
        float s, zf;
        if (symmetric) {
            float m = fmaxf(hi, -lo);
            s = m > 0.0f ? m / 127.0f : 1.0f;
            zf = 128.0f;
        } else {
            s = hi > lo ? (hi - lo) / 255.0f : 1.0f;
            zf = fminf(fmaxf(rintf(-lo / s), 0.0f), 255.0f);
        }
        const float inv = 1.0f / s;
        const v16 vinv = v16_splat(inv), vz = v16_splat(zf), v0 = v16_splat(0.0f), v255 = v16_splat(255.0f);
        for (int k = 0; k < K16; k += 16) {
            v16 v = __builtin_elementwise_roundeven(v16_load(xr + k) * vinv) + vz;
            v = __builtin_elementwise_min(__builtin_elementwise_max(v, v0), v255);
            q8_u16v b = __builtin_convertvector(__builtin_convertvector(v, q8_i16v), q8_u16v);
            memcpy(qr + k, &b, 16);
        }
        for (int k = K16; k < K; k++) {
            float v = rintf(xr[k] * inv) + zf;
            v = fminf(fmaxf(v, 0.0f), 255.0f);
            qr[k] = (uint8_t)(int)v;
        }
        // K padding: the packed weights are zero there, any value works; the zero point keeps the
        // row a faithful "x = 0" extension.
        for (int k = K; k < Kp; k++) qr[k] = (uint8_t)(int)zf;
        rscale[r] = s;
        rzero[r] = (int32_t)zf;
    }
}

// MARK: - Portable integer core

// c[i][j] = sum_k a[i][k] * b[j][k] for mr rows and 16 * np columns (np = 1 or 2 panels), c [mr][32].
VK_CLONES
static void tile_portable(const uint8_t *a, long lda, const int8_t *b0, const int8_t *b1, int np, int k4n, int mr,
                          int32_t *c) {
    for (int i = 0; i < mr; i++) {
        const uint8_t *ar = a + i * lda;
        for (int p = 0; p < np; p++) {
            const int8_t *b = p == 0 ? b0 : b1;
            int32_t acc[16] = {0};
            for (int k4 = 0; k4 < k4n; k4++) {
                const int8_t *bk = b + (long)k4 * 64;
                int32_t a0 = ar[4 * k4], a1 = ar[4 * k4 + 1], a2 = ar[4 * k4 + 2], a3 = ar[4 * k4 + 3];
                for (int j = 0; j < 16; j++)
                    acc[j] += a0 * bk[4 * j] + a1 * bk[4 * j + 1] + a2 * bk[4 * j + 2] + a3 * bk[4 * j + 3];
            }
            for (int j = 0; j < 16; j++) c[i * 32 + p * 16 + j] = acc[j];
        }
    }
}

// y[i][n0 + j] = (float)(c - zx[i] * colsum) * (sx[i] * sw), valid columns only.
static void dequant_portable(const int32_t *c, int mr, int ncols, const float *sx, const int32_t *zx,
                             const float *sw, const int32_t *cs, float *y, long ldy) {
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < ncols; j++)
            y[i * ldy + j] = (float)(c[i * 32 + j] - zx[i] * cs[j]) * (sx[i] * sw[j]);
}

// MARK: - VNNI micro-kernel

#ifdef VK_HAVE_X86
#define Q8_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

// mr rows x 32 (two panels) or 16 (one panel) columns; mr and np are constants after inlining, so
// the accumulators live in registers. Dequantizes straight into y when y != NULL, else stores the
// raw int32 sums to c [mr][32].
Q8_VNNI static inline __attribute__((always_inline)) void
tile_vnni(const uint8_t *a, long lda, const int8_t *b0, const int8_t *b1, const int np, int k4n, const int mr,
          int32_t *c, int ncols, const float *sx, const int32_t *zx, const float *sw, const int32_t *cs, float *y,
          long ldy) {
    __m512i acc0[Q8_MR], acc1[Q8_MR];
    for (int i = 0; i < mr; i++) acc0[i] = acc1[i] = _mm512_setzero_si512();
    for (int k4 = 0; k4 < k4n; k4++) {
        __m512i w0 = _mm512_loadu_si512((const void *)(b0 + (long)k4 * 64));
        __m512i w1 = np == 2 ? _mm512_loadu_si512((const void *)(b1 + (long)k4 * 64)) : w0;
        for (int i = 0; i < mr; i++) {
            int32_t a4;
            memcpy(&a4, a + i * lda + 4 * k4, 4);
            __m512i av = _mm512_set1_epi32(a4);
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], av, w0);
            if (np == 2) acc1[i] = _mm512_dpbusd_epi32(acc1[i], av, w1);
        }
    }
    if (!y) {
        for (int i = 0; i < mr; i++) {
            _mm512_storeu_si512((void *)(c + i * 32), acc0[i]);
            if (np == 2) _mm512_storeu_si512((void *)(c + i * 32 + 16), acc1[i]);
        }
        return;
    }
    __mmask16 m0 = ncols >= 16 ? 0xFFFF : (__mmask16)((1u << ncols) - 1);
    __mmask16 m1 = ncols >= 32 ? 0xFFFF : ncols <= 16 ? 0 : (__mmask16)((1u << (ncols - 16)) - 1);
    __m512 sw0 = _mm512_maskz_loadu_ps(m0, sw), sw1 = _mm512_maskz_loadu_ps(m1, sw + 16);
    __m512i cs0 = _mm512_maskz_loadu_epi32(m0, cs), cs1 = _mm512_maskz_loadu_epi32(m1, cs + 16);
    for (int i = 0; i < mr; i++) {
        __m512i z = _mm512_set1_epi32(zx[i]);
        __m512 s = _mm512_set1_ps(sx[i]);
        __m512 v0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc0[i], _mm512_mullo_epi32(z, cs0))),
                                  _mm512_mul_ps(s, sw0));
        _mm512_mask_storeu_ps(y + i * ldy, m0, v0);
        if (np == 2) {
            __m512 v1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc1[i], _mm512_mullo_epi32(z, cs1))),
                                      _mm512_mul_ps(s, sw1));
            _mm512_mask_storeu_ps(y + i * ldy + 16, m1, v1);
        }
    }
}

#define Q8_TILE_CASES(NP)                                                                                    \
    switch (mr) {                                                                                            \
    case 8: tile_vnni(a, lda, b0, b1, NP, k4n, 8, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 7: tile_vnni(a, lda, b0, b1, NP, k4n, 7, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 6: tile_vnni(a, lda, b0, b1, NP, k4n, 6, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 5: tile_vnni(a, lda, b0, b1, NP, k4n, 5, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 4: tile_vnni(a, lda, b0, b1, NP, k4n, 4, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 3: tile_vnni(a, lda, b0, b1, NP, k4n, 3, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    case 2: tile_vnni(a, lda, b0, b1, NP, k4n, 2, c, ncols, sx, zx, sw, cs, y, ldy); break;                  \
    default: tile_vnni(a, lda, b0, b1, NP, k4n, 1, c, ncols, sx, zx, sw, cs, y, ldy); break;                 \
    }

Q8_VNNI static void tile_vnni_any(const uint8_t *a, long lda, const int8_t *b0, const int8_t *b1, int np, int k4n,
                                  int mr, int32_t *c, int ncols, const float *sx, const int32_t *zx,
                                  const float *sw, const int32_t *cs, float *y, long ldy) {
    if (np == 2) {
        Q8_TILE_CASES(2)
    } else {
        Q8_TILE_CASES(1)
    }
}
#endif

// MARK: - Dispatch

int vk_q8_vnni_available(void) {
#ifdef VK_HAVE_X86
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    }
    return cached;
#else
    return 0;
#endif
}

int vk_cpu_has_amx_bf16(void) {
#ifdef VK_HAVE_X86
    // CPUID.(EAX=7, ECX=0):EDX bit 22 (AMX-BF16). Only reported: VoxSAM has no AMX kernels yet.
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (d >> 22) & 1;
#else
    return 0;
#endif
}

static int resolve_path(int path) {
    if (path == VK_Q8_PORTABLE) return VK_Q8_PORTABLE;
    return vk_q8_vnni_available() ? VK_Q8_VNNI : VK_Q8_PORTABLE;
}

// Rows [0, M) of a (u8, row stride lda, Kp columns) against all packed columns. Raw sums to c when
// y == NULL, else dequantized to y.
static void gemm_block(int path, const uint8_t *a, long lda, const vk_q8_weights *w, int M, int32_t *c, long ldc,
                       const float *sx, const int32_t *zx, float *y, long ldy) {
    const int k4n = w->Kp / 4, N = w->N;
    const long panel = 16L * w->Kp;
    int32_t tmp[Q8_MR * 32];
    // Column tiles outer: a 32-column weight tile (Kp x 32 bytes) is reused by every row of the block
    // while it is in L1; the block's rows (<= 64 x Kp bytes) stay in L1/L2.
    for (int n0 = 0; n0 < N; n0 += 32) {
        const int np = N - n0 > 16 ? 2 : 1, ncols = N - n0 < 32 ? N - n0 : 32;
        const int8_t *b0 = w->w + (long)(n0 / 16) * panel, *b1 = np == 2 ? b0 + panel : b0;
        for (int m0 = 0; m0 < M; m0 += Q8_MR) {
            const int mr = M - m0 < Q8_MR ? M - m0 : Q8_MR;
            const uint8_t *am = a + m0 * lda;
#ifdef VK_HAVE_X86
            if (path == VK_Q8_VNNI) {
                if (y) {
                    tile_vnni_any(am, lda, b0, b1, np, k4n, mr, NULL, ncols, sx + m0, zx + m0, w->scale + n0,
                                  w->colsum + n0, y + m0 * ldy + n0, ldy);
                } else {
                    tile_vnni_any(am, lda, b0, b1, np, k4n, mr, tmp, ncols, NULL, NULL, NULL, NULL, NULL, 0);
                    for (int i = 0; i < mr; i++) memcpy(c + (m0 + i) * ldc + n0, tmp + i * 32, ncols * sizeof(int32_t));
                }
                continue;
            }
#endif
            tile_portable(am, lda, b0, b1, np, k4n, mr, tmp);
            if (y) {
                dequant_portable(tmp, mr, ncols, sx + m0, zx + m0, w->scale + n0, w->colsum + n0, y + m0 * ldy + n0,
                                 ldy);
            } else {
                for (int i = 0; i < mr; i++) memcpy(c + (m0 + i) * ldc + n0, tmp + i * 32, ncols * sizeof(int32_t));
            }
        }
    }
}

void vk_q8_gemm_s32(const uint8_t *a, int lda, const vk_q8_weights *w, int32_t *c, int ldc, int M, int path) {
    gemm_block(resolve_path(path), a, lda, w, M, c, ldc, NULL, NULL, NULL, 0);
}

void vk_q8_gemm(const float *x, int ldx, const vk_q8_weights *w, float *y, int ldy, int M, const float *bias,
                const float *residual, int ldr, int act, int symmetric, void *scratch, int path) {
    path = resolve_path(path);
    const int Kp = w->Kp;
    uint8_t *q = (uint8_t *)scratch;
    // Per-row scale and zero point after the rows (4-byte aligned: Q8_QB * Kp is a multiple of 4).
    float *sx = (float *)(q + (long)Q8_QB * Kp);
    int32_t *zx = (int32_t *)(sx + Q8_QB);
    for (int r0 = 0; r0 < M; r0 += Q8_QB) {
        const int mb = M - r0 < Q8_QB ? M - r0 : Q8_QB;
        vk_q8_quantize_rows(x + (long)r0 * ldx, ldx, w->K, mb, q, Kp, sx, zx, symmetric);
        gemm_block(path, q, Kp, w, mb, NULL, 0, sx, zx, y + (long)r0 * ldy, ldy);
        // The fp32 epilogue (bias, residual, activation) on the block while it is in cache.
        if (bias || residual || act != VK_ACT_NONE)
            vk_bias_act(y, ldy, bias, residual, ldr, w->N, r0, r0 + mb, act);
    }
}
