// CKernels — the hot loops of VoxSAM's LiteMedSAM implementation.
//
// Conventions
// * Activations are contiguous float32, channel-last: an image of H x W pixels with C channels is
//   stored as [H*W][C] (NHWC with N = 1, which is the same memory as PyTorch's NLC token layout).
// * Every kernel that is worth splitting over threads takes a half-open range [begin, end) of rows
//   (pixels, tokens, output image rows, windows ...). The caller (Swift) splits the range over the
//   cores; the kernels never allocate and never start threads themselves.
// * GEMMs go to OpenBLAS (cblas_sgemm); the kernels here are the element-wise / depthwise /
//   attention / resize loops around them. They are compiled for AVX-512, AVX2 and baseline x86-64
//   (function multi-versioning, resolved once at load time).
#ifndef VOXSAM_KERNELS_H
#define VOXSAM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Runtime

/// The OPENBLAS_CORETYPE that suits this CPU: "SkylakeX" with AVX-512 (F, BW, DQ, VL), "Haswell"
/// with AVX2 + FMA, NULL otherwise (let OpenBLAS decide). OpenBLAS 0.3.21 does not recognise recent
/// AMD CPUs and falls back to slow Prescott kernels unless this is set before it loads.
const char *vk_recommended_openblas_coretype(void);

/// Which code path the multi-versioned kernels took: "avx512f", "avx2" or "default".
const char *vk_kernel_isa(void);

// MARK: - GEMM

/// y[M][N] = x[M][K] * w[N][K]^T (PyTorch nn.Linear / 1x1 conv weight layout), row strides
/// ldx, ldw, ldy. beta = 0 overwrites y, beta = 1 accumulates into it. Uses OpenBLAS threads.
void vk_gemm_xwt(const float *x, int ldx, const float *w, int ldw, float *y, int ldy,
                 int M, int N, int K, float beta);

/// y[M][N] = x[M][K] * w[K][N] (weight already transposed), same conventions.
void vk_gemm_xw(const float *x, int ldx, const float *w, int ldw, float *y, int ldy,
                int M, int N, int K, float beta);

// MARK: - Element-wise epilogues

enum { VK_ACT_NONE = 0, VK_ACT_GELU = 1, VK_ACT_RELU = 2 };

/// Rows [r0, r1) of y[rows][N] (row stride ldy):
/// y = act((y + bias) + residual)   (bias and/or residual may be NULL; residual row stride ldr).
void vk_bias_act(float *y, int ldy, const float *bias, const float *residual, int ldr,
                 int N, long r0, long r1, int act);

/// Exact GELU as PyTorch's CPU kernel: (x * 0.5) * (1 + erf(x / sqrt 2)), erf by the
/// Abramowitz-Stegun 7.1.26 form PyTorch vectorises. Elements [i0, i1).
void vk_gelu(float *x, long i0, long i1);

/// Scalar reference erf (same formula) and exp used by the vectorised kernels; for tests.
float vk_erf_ref(float x);
float vk_exp_ref(float x);

/// y[i] = a[i] + b[i] for i in [i0, i1).
void vk_add(const float *a, const float *b, float *y, long i0, long i1);

// MARK: - Normalisation

/// LayerNorm over the last dimension of rows [r0, r1) of x[rows][C] -> y (may alias x):
/// y = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance).
void vk_layernorm_rows(const float *x, float *y, const float *gamma, const float *beta,
                       int C, float eps, long r0, long r1);

/// Softmax of each row [r0, r1) of x[rows][ld], first n entries, in place.
void vk_softmax_rows(float *x, int ld, int n, long r0, long r1);

// MARK: - Convolutions (channel-last)

/// Depthwise 3x3 convolution, padding 1, stride 1 or 2, channel-last, with bias and optional
/// activation. in: [H][W][C]; w: [3][3][C] (tap-major, channel fastest); out: [Ho][Wo][C] with
/// Ho = (H - 1) / stride + 1. Output rows [y0, y1).
void vk_dwconv3x3(const float *in, int H, int W, int C, const float *w, const float *bias,
                  float *out, int stride, int act, int y0, int y1);

/// Band form of vk_dwconv3x3: `in` holds image rows starting at in_y0 (it must contain every input
/// row the output rows [y0, y1) need), `out` receives output rows starting at out_y0.
void vk_dwconv3x3_band(const float *in, int in_y0, int H, int W, int C, const float *w, const float *bias,
                       float *out, int out_y0, int stride, int act, int y0, int y1);

/// im2col for a 3x3, padding 1, stride 1 convolution, channel-last: col[p][(ky*3+kx)*C + c].
/// Output pixel rows [y0, y1).
void vk_im2col3x3(const float *in, int H, int W, int C, float *col, int y0, int y1);

/// ConvTranspose2d kernel 2, stride 2, channel-last. g = in * W as [H*W][2][2][Co] (GEMM output);
/// out[(2y+ky)][(2x+kx)][co] = act(g[y][x][ky][kx][co] + bias[co]). Input rows [y0, y1).
void vk_convT2x2_scatter(const float *g, int H, int W, int Co, const float *bias, float *out,
                         int act, int y0, int y1);

// MARK: - Attention

/// Scratch floats one thread needs for vk_window_attention (window size ws, head dim hd, heads).
long vk_window_attention_scratch(int ws, int hd, int heads);

/// TinyViT window attention with learned relative-position biases, windows [w0, w1) of the
/// zero-padded grid (windows numbered row-major, nW = ceil(W / ws) per row).
/// qkv: [H*W][heads * 3 * hd] for the real tokens (per head: q, k, v of hd values each),
/// pad_qkv: [heads * 3 * hd], the qkv of a padded (all-zero before LayerNorm) token;
/// ab: [heads][N][N] with N = ws*ws; out: [H*W][heads * hd] (only real tokens are written).
/// attn = softmax((q k^T) * scale + ab); out = attn v.
void vk_window_attention(const float *qkv, const float *pad_qkv, const float *ab, float *out,
                         int H, int W, int heads, int hd, int ws, float scale,
                         int w0, int w1, float *scratch);

/// SAM attention core for one head: q [Nq][ldq], k [Nk][ldk], v [Nk][ldv] (the head's columns),
/// out [Nq][ldo]; rows [r0, r1) of q. out = softmax(q k^T / sqrt(hd)) v. scratch >= Nk floats.
void vk_attention_head(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                       float *out, int ldo, int Nk, int hd, int r0, int r1, float *scratch);

// MARK: - Resize and threshold

/// Bilinear resize, align_corners = false, with PyTorch's CPU arithmetic (see README 2.5): the
/// kernel is chosen by the output size (outH + outW > 128: separable-weight fma form, else the
/// 4-weight form with copied axes). in: [inH][ld_in] (first inW columns used); out: [outH][outW].
/// Output rows [y0, y1).
void vk_bilinear_resize(const float *in, int inH, int inW, int ld_in, float *out, int outH,
                        int outW, int y0, int y1);

/// out[i] = in[i] > threshold ? value : 0, for i in [i0, i1).
void vk_threshold_u8(const float *in, uint8_t *out, float threshold, uint8_t value, long i0,
                     long i1);

/// Sigmoid, element-wise, [i0, i1).
void vk_sigmoid(const float *in, float *out, long i0, long i1);

#ifdef __cplusplus
}
#endif
#endif
