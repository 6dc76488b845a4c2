// CKernels private helpers shared by the kernel files: the multi-versioning attribute, the 16-lane
// vector type and the scalar math (exp, erf, GELU, one LayerNorm row) that must give identical
// results wherever it is used. Everything is static inline: each multi-versioned caller gets a copy
// compiled for its ISA.
#ifndef VOXSAM_KERNELS_INTERNAL_H
#define VOXSAM_KERNELS_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define VK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VK_CLONES
#endif

typedef float v16 __attribute__((vector_size(64), aligned(4)));

// Macros rather than functions: a v16 argument/return would change the ABI between the clones.
#define v16_load(p) ({ v16 _v; memcpy(&_v, (p), sizeof _v); _v; })
#define v16_store(p, v) do { v16 _v = (v); memcpy((p), &_v, sizeof _v); } while (0)
#define v16_splat(s) ((v16){0} + (float)(s))
// a * b + c with one rounding. CKernels is compiled with -ffp-contract=off (element-wise code must
// round like PyTorch), so the GEMM-like micro-kernels ask for their FMAs explicitly.
#define v16_fma(a, b, c) __builtin_elementwise_fma((v16)(a), (v16)(b), (v16)(c))

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef float v4 __attribute__((vector_size(16), aligned(4)));

// Sum of the 16 lanes, pairwise (halves, quarters, ...): 4 shuffles and adds instead of a serial chain.
#define hsum16(v) ({                                                                                     \
    v16 _a = (v);                                                                                        \
    v8 _b = __builtin_shufflevector(_a, _a, 0, 1, 2, 3, 4, 5, 6, 7) +                                    \
            __builtin_shufflevector(_a, _a, 8, 9, 10, 11, 12, 13, 14, 15);                               \
    v4 _c = __builtin_shufflevector(_b, _b, 0, 1, 2, 3) + __builtin_shufflevector(_b, _b, 4, 5, 6, 7);   \
    (_c[0] + _c[2]) + (_c[1] + _c[3]);                                                                   \
})

// MARK: - Math helpers (inlined into the multi-versioned callers)

// exp with a Cephes-style polynomial: ~1 ulp on the range used here, branch-free, vectorisable.
static inline float vk_expf(float x) {
    x = fminf(fmaxf(x, -87.3f), 88.3f);
    float n = rintf(x * 1.44269504088896341f);
    float r = fmaf(n, -0.693359375f, x);
    r = fmaf(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    p = fmaf(p, r * r, r) + 1.0f;
    int32_t e = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &e, sizeof s);
    return p * s;
}

// erf as PyTorch's Vectorized<float>::erf (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7).
static inline float vk_erff(float x) {
    float ax = fabsf(x);
    float t = 1.0f / fmaf(0.3275911f, ax, 1.0f);
    float r = fmaf(1.061405429f, t, -1.453152027f);
    r = fmaf(r, t, 1.421413741f);
    r = fmaf(r, t, -0.284496736f);
    r = fmaf(r, t, 0.254829592f);
    float e = vk_expf(-(x * x));
    float y = fmaf(-e * t, r, 1.0f);
    return copysignf(y, x);
}

static inline float vk_gelu1(float x) { return (x * 0.5f) * (1.0f + vk_erff(x * 0.70710678118654752f)); }

// LayerNorm of one row of C floats: y = (x - mean) / sqrt(var + eps) * gamma + beta (biased
// variance); y may equal x.
static inline void vk_layernorm_row(const float *xr, float *yr, const float *gamma, const float *beta, int C,
                                    float eps) {
    const int C16 = C & ~15;
    v16 acc = v16_splat(0.0f);
    for (int c = 0; c < C16; c += 16) acc += v16_load(xr + c);
    float s = hsum16(acc);
    for (int c = C16; c < C; c++) s += xr[c];
    float mean = s / (float)C;
    v16 vm = v16_splat(mean), vacc = v16_splat(0.0f);
    for (int c = 0; c < C16; c += 16) {
        v16 d = v16_load(xr + c) - vm;
        vacc += d * d;
    }
    float v = hsum16(vacc);
    for (int c = C16; c < C; c++) {
        float d = xr[c] - mean;
        v += d * d;
    }
    float var = v / (float)C;
    float rstd = 1.0f / sqrtf(var + eps);
    for (int c = 0; c < C; c++) yr[c] = fmaf((xr[c] - mean) * rstd, gamma[c], beta[c]);
}

#endif
