// CKernels — see include/CKernels.h for the conventions.
//
// Loops are written so that clang auto-vectorises them (contiguous inner loops, no aliasing
// surprises, explicit fmaf where PyTorch fuses); the register-blocked attention micro-kernels use
// GCC/clang vector extensions. Every hot function is multi-versioned for AVX-512 / AVX2 / baseline.
#include "CKernels.h"
#include "vk_internal.h"

#include <cblas.h>

// MARK: - Runtime

const char *vk_recommended_openblas_coretype(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx512f"))) static const char *isa_name_impl(void) { return "avx512f"; }
__attribute__((target("avx2"))) static const char *isa_name_impl(void) { return "avx2"; }
__attribute__((target("default"))) static const char *isa_name_impl(void) { return "default"; }
const char *vk_kernel_isa(void) { return isa_name_impl(); }
#else
const char *vk_kernel_isa(void) { return "default"; }
#endif

// MARK: - GEMM

void vk_gemm_xwt(const float *x, int ldx, const float *w, int ldw, float *y, int ldy, int M, int N,
                 int K, float beta) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, ldx, w, ldw, beta, y, ldy);
}

void vk_gemm_xw(const float *x, int ldx, const float *w, int ldw, float *y, int ldy, int M, int N,
                int K, float beta) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, x, ldx, w, ldw, beta, y, ldy);
}

void vk_gemm_tn(const float *x, int ldx, const float *w, int ldw, float *y, int ldy, int M, int N, int K,
                float beta) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, x, ldx, w, ldw, beta, y, ldy);
}

// MARK: - Math references (the helpers themselves are in vk_internal.h)

float vk_erf_ref(float x) { return vk_erff(x); }
float vk_exp_ref(float x) { return vk_expf(x); }

// MARK: - Element-wise

VK_CLONES
void vk_gelu(float *x, long i0, long i1) {
    for (long i = i0; i < i1; i++) x[i] = vk_gelu1(x[i]);
}

VK_CLONES
void vk_bias_act(float *y, int ldy, const float *bias, const float *residual, int ldr, int N, long r0,
                 long r1, int act) {
    for (long r = r0; r < r1; r++) {
        float *restrict row = y + r * (long)ldy;
        const float *restrict res = residual ? residual + r * (long)ldr : NULL;
        if (bias && res) {
            if (act == VK_ACT_GELU) {
                for (int n = 0; n < N; n++) row[n] = vk_gelu1((row[n] + bias[n]) + res[n]);
            } else if (act == VK_ACT_RELU) {
                for (int n = 0; n < N; n++) {
                    float v = (row[n] + bias[n]) + res[n];
                    row[n] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (int n = 0; n < N; n++) row[n] = (row[n] + bias[n]) + res[n];
            }
        } else if (bias) {
            if (act == VK_ACT_GELU) {
                for (int n = 0; n < N; n++) row[n] = vk_gelu1(row[n] + bias[n]);
            } else if (act == VK_ACT_RELU) {
                for (int n = 0; n < N; n++) {
                    float v = row[n] + bias[n];
                    row[n] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (int n = 0; n < N; n++) row[n] = row[n] + bias[n];
            }
        } else {
            if (res) for (int n = 0; n < N; n++) row[n] = row[n] + res[n];
            if (act == VK_ACT_GELU) {
                for (int n = 0; n < N; n++) row[n] = vk_gelu1(row[n]);
            } else if (act == VK_ACT_RELU) {
                for (int n = 0; n < N; n++) row[n] = row[n] > 0.0f ? row[n] : 0.0f;
            }
        }
    }
}

VK_CLONES
void vk_add(const float *a, const float *b, float *y, long i0, long i1) {
    for (long i = i0; i < i1; i++) y[i] = a[i] + b[i];
}

VK_CLONES
void vk_sigmoid(const float *in, float *out, long i0, long i1) {
    for (long i = i0; i < i1; i++) out[i] = 1.0f / (1.0f + vk_expf(-in[i]));
}

VK_CLONES
void vk_threshold_u8(const float *in, uint8_t *out, float threshold, uint8_t value, long i0, long i1) {
    for (long i = i0; i < i1; i++) out[i] = in[i] > threshold ? value : 0;
}

// MARK: - Normalisation


VK_CLONES
void vk_layernorm_rows(const float *x, float *y, const float *gamma, const float *beta, int C, float eps,
                       long r0, long r1) {
    for (long r = r0; r < r1; r++) vk_layernorm_row(x + r * (long)C, y + r * (long)C, gamma, beta, C, eps);
}

VK_CLONES
void vk_bias_residual_layernorm_rows(const float *y, const float *bias, const float *residual, const float *gamma,
                                     const float *beta, int C, float eps, float *out, const float *pe,
                                     float *out_pe, long r0, long r1) {
    float v[C];
    for (long r = r0; r < r1; r++) {
        const float *restrict yr = y + r * (long)C;
        const float *rr = residual + r * (long)C;  // may be the output row
        for (int c = 0; c < C; c++) v[c] = (yr[c] + bias[c]) + rr[c];
        float *o = out + r * (long)C;
        vk_layernorm_row(v, o, gamma, beta, C, eps);
        if (pe) {
            const float *restrict pr = pe + r * (long)C;
            float *restrict op = out_pe + r * (long)C;
            for (int c = 0; c < C; c++) op[c] = o[c] + pr[c];
        }
    }
}

VK_CLONES
void vk_bias_pe_rows(const float *x, const float *bias, const float *pe, float *out, float *out_pe, int C,
                     long r0, long r1) {
    for (long r = r0; r < r1; r++) {
        const float *restrict xr = x + r * (long)C, *restrict pr = pe + r * (long)C;
        float *restrict o = out + r * (long)C, *restrict op = out_pe + r * (long)C;
        for (int c = 0; c < C; c++) {
            float v = xr[c] + bias[c];
            o[c] = v;
            op[c] = v + pr[c];
        }
    }
}

VK_CLONES
void vk_softmax_rows(float *x, int ld, int n, long r0, long r1) {
    const int n16 = n & ~15;
    for (long r = r0; r < r1; r++) {
        float *row = x + r * (long)ld;
        float m = row[0];
        if (n16 > 0) {
            v16 vm = v16_load(row);
            for (int j = 16; j < n16; j += 16) {
                v16 v = v16_load(row + j);
                vm = __builtin_elementwise_max(v, vm);
            }
            for (int i = 0; i < 16; i++) m = vm[i] > m ? vm[i] : m;
        }
        for (int j = n16; j < n; j++) m = row[j] > m ? row[j] : m;
        for (int j = 0; j < n; j++) row[j] = vk_expf(row[j] - m);
        v16 acc = v16_splat(0.0f);
        for (int j = 0; j < n16; j += 16) acc += v16_load(row + j);
        float s = hsum16(acc);
        for (int j = n16; j < n; j++) s += row[j];
        float inv = 1.0f / s;
        for (int j = 0; j < n; j++) row[j] *= inv;
    }
}

// MARK: - Convolutions

VK_CLONES
void vk_dwconv3x3_band(const float *in, int in_y0, int H, int W, int C, const float *w, const float *bias,
                       float *out, int out_y0, int stride, int act, int y0, int y1) {
    int Wo = (W - 1) / stride + 1;
    for (int yo = y0; yo < y1; yo++) {
        for (int xo = 0; xo < Wo; xo++) {
            float *o = out + ((long)(yo - out_y0) * Wo + xo) * C;
            for (int c = 0; c < C; c++) o[c] = bias[c];
            for (int ky = 0; ky < 3; ky++) {
                int yi = yo * stride + ky - 1;
                if (yi < 0 || yi >= H) continue;
                for (int kx = 0; kx < 3; kx++) {
                    int xi = xo * stride + kx - 1;
                    if (xi < 0 || xi >= W) continue;
                    const float *ip = in + ((long)(yi - in_y0) * W + xi) * C;
                    const float *wp = w + (ky * 3 + kx) * C;
                    for (int c = 0; c < C; c++) o[c] = fmaf(ip[c], wp[c], o[c]);
                }
            }
            if (act == VK_ACT_GELU) {
                for (int c = 0; c < C; c++) o[c] = vk_gelu1(o[c]);
            }
        }
    }
}

void vk_dwconv3x3(const float *in, int H, int W, int C, const float *w, const float *bias, float *out,
                  int stride, int act, int y0, int y1) {
    vk_dwconv3x3_band(in, 0, H, W, C, w, bias, out, 0, stride, act, y0, y1);
}

VK_CLONES
void vk_im2col3x3(const float *in, int H, int W, int C, float *col, int y0, int y1) {
    long K = 9L * C;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < W; x++) {
            float *dst = col + ((long)y * W + x) * K;
            for (int ky = 0; ky < 3; ky++) {
                int yi = y + ky - 1;
                for (int kx = 0; kx < 3; kx++) {
                    int xi = x + kx - 1;
                    float *d = dst + (ky * 3 + kx) * C;
                    if (yi < 0 || yi >= H || xi < 0 || xi >= W) {
                        memset(d, 0, sizeof(float) * (size_t)C);
                    } else {
                        memcpy(d, in + ((long)yi * W + xi) * C, sizeof(float) * (size_t)C);
                    }
                }
            }
        }
    }
}

// MARK: - Window attention (TinyViT)

static inline int round_up(int v, int m) { return (v + m - 1) / m * m; }

long vk_window_attention_scratch(int ws, int hd, int heads) {
    int N = ws * ws, Np = round_up(N, 16);
    // Q [Np][hd], Kt [hd][Np], V [Np][hd], S [Np][Np], qpos + tok (ints) [Np] each, window block [N][3C]
    return (long)Np * hd * 3 + (long)Np * Np + 2L * Np + (long)N * 3 * heads * hd + 64;
}

VK_CLONES
void vk_window_attention(const float *qkv, const float *pad_qkv, const float *ab, float *out, int H, int W,
                         int heads, int hd, int ws, float scale, int w0, int w1, float *scratch) {
    const int N = ws * ws, Np = round_up(N, 16);
    const int C = heads * hd, C3 = 3 * C;
    const int nW = (W + ws - 1) / ws;
    float *Q = scratch;
    float *Kt = Q + (long)Np * hd;
    float *V = Kt + (long)Np * hd;
    float *S = V + (long)Np * hd;
    int32_t *qpos = (int32_t *)(S + (long)Np * Np);
    int32_t *tok = qpos + Np;
    float *blk = (float *)(tok + Np);  // the window's qkv rows, [N][3C], contiguous

    for (int win = w0; win < w1; win++) {
        int wy = win / nW, wx = win % nW;
        // The real query tokens of this window.
        int nq = 0;
        for (int i = 0; i < N; i++) {
            int ty = wy * ws + i / ws, tx = wx * ws + i % ws;
            if (ty < H && tx < W) {
                qpos[nq] = i;
                tok[nq] = ty * W + tx;
                nq++;
            }
        }
        int nq4 = round_up(nq, 4);
        // One sequential pass gathers the window's qkv rows (all heads) into a local block.
        for (int i = 0; i < N; i++) {
            int ty = wy * ws + i / ws, tx = wx * ws + i % ws;
            const float *src = (ty < H && tx < W) ? qkv + ((long)ty * W + tx) * C3 : pad_qkv;
            memcpy(blk + (long)i * C3, src, sizeof(float) * (size_t)C3);
        }
        for (int h = 0; h < heads; h++) {
            // K (transposed) and V of all N tokens, Q of the real ones, from the block.
            for (int i = 0; i < N; i++) {
                const float *src = blk + (long)i * C3 + h * 3 * hd;
                for (int c = 0; c < hd; c++) Kt[(long)c * Np + i] = src[hd + c];
                memcpy(V + (long)i * hd, src + 2 * hd, sizeof(float) * (size_t)hd);
            }
            for (int i = N; i < Np; i++) {
                for (int c = 0; c < hd; c++) Kt[(long)c * Np + i] = 0.0f;
                memset(V + (long)i * hd, 0, sizeof(float) * (size_t)hd);
            }
            for (int r = 0; r < nq4; r++) {
                if (r < nq) {
                    memcpy(Q + (long)r * hd, blk + (long)qpos[r] * C3 + h * 3 * hd, sizeof(float) * (size_t)hd);
                } else {
                    memset(Q + (long)r * hd, 0, sizeof(float) * (size_t)hd);
                }
            }
            const float *abh = ab + (long)h * N * Np;
            // S = (Q Kt) * scale + ab, 4 rows x 16 columns per register block.
            for (int r = 0; r < nq4; r += 4) {
                const float *q0 = Q + (long)r * hd;
                for (int jb = 0; jb < Np; jb += 16) {
                    v16 a0 = v16_splat(0), a1 = a0, a2 = a0, a3 = a0;
                    for (int c = 0; c < hd; c++) {
                        v16 kv = v16_load(Kt + (long)c * Np + jb);
                        a0 = v16_fma(v16_splat(q0[c]), kv, a0);
                        a1 = v16_fma(v16_splat(q0[hd + c]), kv, a1);
                        a2 = v16_fma(v16_splat(q0[2 * hd + c]), kv, a2);
                        a3 = v16_fma(v16_splat(q0[3 * hd + c]), kv, a3);
                    }
                    v16 sc = v16_splat(scale);
                    v16 acc[4] = {a0, a1, a2, a3};
                    for (int k = 0; k < 4; k++) {
                        int rr = r + k;
                        int pos = rr < nq ? qpos[rr] : 0;
                        v16 b = v16_load(abh + (long)pos * Np + jb);
                        v16_store(S + (long)rr * Np + jb, acc[k] * sc + b);
                    }
                }
            }
            vk_softmax_rows(S, Np, N, 0, nq);
            for (int r = 0; r < nq4; r++)
                for (int j = N; j < Np; j++) S[(long)r * Np + j] = 0.0f;
            // O = P V; written straight to the output rows.
            if (hd == 32) {
                for (int r = 0; r < nq4; r += 4) {
                    v16 o00 = v16_splat(0), o01 = o00, o10 = o00, o11 = o00, o20 = o00, o21 = o00, o30 = o00,
                        o31 = o00;
                    const float *p0 = S + (long)r * Np;
                    for (int j = 0; j < N; j++) {
                        v16 va = v16_load(V + (long)j * 32), vb = v16_load(V + (long)j * 32 + 16);
                        v16 s0 = v16_splat(p0[j]), s1 = v16_splat(p0[Np + j]), s2 = v16_splat(p0[2 * Np + j]),
                            s3 = v16_splat(p0[3 * Np + j]);
                        o00 = v16_fma(s0, va, o00); o01 = v16_fma(s0, vb, o01);
                        o10 = v16_fma(s1, va, o10); o11 = v16_fma(s1, vb, o11);
                        o20 = v16_fma(s2, va, o20); o21 = v16_fma(s2, vb, o21);
                        o30 = v16_fma(s3, va, o30); o31 = v16_fma(s3, vb, o31);
                    }
                    v16 oa[4] = {o00, o10, o20, o30}, ob[4] = {o01, o11, o21, o31};
                    for (int k = 0; k < 4 && r + k < nq; k++) {
                        float *dst = out + (long)tok[r + k] * C + h * hd;
                        v16_store(dst, oa[k]);
                        v16_store(dst + 16, ob[k]);
                    }
                }
            } else {
                for (int r = 0; r < nq; r++) {
                    float *dst = out + (long)tok[r] * C + h * hd;
                    const float *p = S + (long)r * Np;
                    for (int c = 0; c < hd; c++) dst[c] = 0.0f;
                    for (int j = 0; j < N; j++) {
                        const float *vj = V + (long)j * hd;
                        for (int c = 0; c < hd; c++) dst[c] = fmaf(p[j], vj[c], dst[c]);
                    }
                }
            }
        }
    }
}

// MARK: - SAM attention (decoder)

VK_CLONES
void vk_attention_head(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv, float *out,
                       int ldo, int Nk, int hd, int r0, int r1, float *scratch) {
    float denom = sqrtf((float)hd);
    for (int r = r0; r < r1; r++) {
        const float *qr = q + (long)r * ldq;
        for (int j = 0; j < Nk; j++) {
            const float *kj = k + (long)j * ldk;
            float s = 0.0f;
            for (int c = 0; c < hd; c++) s = fmaf(qr[c], kj[c], s);
            scratch[j] = s / denom;
        }
        vk_softmax_rows(scratch, Nk, Nk, 0, 1);
        float *o = out + (long)r * ldo;
        for (int c = 0; c < hd; c++) o[c] = 0.0f;
        for (int j = 0; j < Nk; j++) {
            const float *vj = v + (long)j * ldv;
            float p = scratch[j];
            for (int c = 0; c < hd; c++) o[c] = fmaf(p, vj[c], o[c]);
        }
    }
}

// MARK: - Bilinear resize (PyTorch CPU, align_corners = false)

typedef struct {
    int i0, i1;
    float l0, l1;
} vk_tap;

static void bilinear_axis(int in, int out, int small_kernel, int d, vk_tap *t) {
    float scale = (float)in / (float)out;
    if (small_kernel && in == out) {
        t->i0 = t->i1 = d;
        t->l0 = 1.0f;
        t->l1 = 0.0f;
        return;
    }
    float src;
    if (small_kernel) {
        src = fmaf(scale, (float)d + 0.5f, -0.5f);
    } else {
        float prod = scale * ((float)d + 0.5f);
        src = prod - 0.5f;
    }
    if (src < 0.0f) src = 0.0f;
    int i0 = (int)floorf(src);
    if (i0 > in - 1) i0 = in - 1;
    int i1 = i0 < in - 1 ? i0 + 1 : i0;
    float l1 = src - (float)i0;
    if (l1 < 0.0f) l1 = 0.0f;
    if (l1 > 1.0f) l1 = 1.0f;
    t->i0 = i0;
    t->i1 = i1;
    t->l1 = l1;
    t->l0 = 1.0f - l1;
}

void vk_bilinear_resize(const float *in, int inH, int inW, int ld_in, float *out, int outH, int outW, int y0,
                        int y1) {
    int small = (outH + outW) <= 128;
    vk_tap xt[outW > 0 ? outW : 1];
    for (int x = 0; x < outW; x++) bilinear_axis(inW, outW, small, x, &xt[x]);
    for (int y = y0; y < y1; y++) {
        vk_tap yt;
        bilinear_axis(inH, outH, small, y, &yt);
        const float *r0 = in + (long)yt.i0 * ld_in;
        const float *r1 = in + (long)yt.i1 * ld_in;
        float h0 = yt.l0, h1 = yt.l1;
        float *o = out + (long)y * outW;
        for (int x = 0; x < outW; x++) {
            float w0 = xt[x].l0, w1 = xt[x].l1;
            float v00 = r0[xt[x].i0], v01 = r0[xt[x].i1], v10 = r1[xt[x].i0], v11 = r1[xt[x].i1];
            if (small) {
                float w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1;
                o[x] = fmaf(v11, w11, fmaf(v10, w10, fmaf(v00, w00, v01 * w01)));
            } else {
                o[x] = fmaf(h0, fmaf(w0, v00, w1 * v01), h1 * fmaf(w0, v10, w1 * v11));
            }
        }
    }
}
