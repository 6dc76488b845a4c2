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

/// y[M][N] = x^T w with x stored [K][M] (row stride ldx) and w [K][N], same conventions.
void vk_gemm_tn(const float *x, int ldx, const float *w, int ldw, float *y, int ldy,
                int M, int N, int K, float beta);

/// y[M][N] = x[M][K] * wt[K][N] (+ y when beta = 1) for a few rows M (decoder tokens: 1..7) on the
/// calling thread: no packing, each weight row is read once per 8 rows of x. wt is the transposed
/// nn.Linear weight ([in][out]); row strides ldx, ldw, ldy.
void vk_gemm_few_rows(const float *x, int ldx, const float *wt, int ldw, float *y, int ldy, int M, int N, int K,
                      float beta);

// MARK: - Int8 GEMM (gemm_int8.c)

/// Weights of an nn.Linear quantized per output channel: w[n][k] ~ scale[n] * q[n][k], q in
/// [-127, 127], packed by vk_q8_pack_weights into 16-column panels [Np/16][Kp/4][16][4]
/// (Kp = K rounded up to 4, Np = N rounded up to 16; padding is 0). colsum[n] = sum_k q[n][k].
typedef struct {
    const int8_t *w;
    const float *scale;
    const int32_t *colsum;
    int N, K, Kp;
} vk_q8_weights;

/// Which integer core runs: AUTO = VNNI when the CPU has AVX-512 VNNI (+BW, VL, DQ), else portable.
/// Both give the same int32 sums (integer arithmetic is exact) and the same dequantized floats.
enum { VK_Q8_AUTO = 0, VK_Q8_VNNI = 1, VK_Q8_PORTABLE = 2 };

/// 1 when the VNNI path can run on this CPU (checked once).
int vk_q8_vnni_available(void);

/// 1 when CPUID reports AMX-BF16 (for choosing a precision; no AMX kernels here).
int vk_cpu_has_amx_bf16(void);

/// Bytes of the packed weight for N output channels of K inputs.
long vk_q8_packed_size(int N, int K);

/// Quantizes w[N][K] (row stride ldw) per output channel (symmetric, scale = max|w| / 127) into
/// packed (vk_q8_packed_size bytes), scale[N] and colsum[N]. Called once at model load.
void vk_q8_pack_weights(const float *w, int ldw, int N, int K, int8_t *packed, float *scale, int32_t *colsum);

/// Bytes of scratch one thread needs for vk_q8_gemm with K inputs.
long vk_q8_scratch_size(int K);

/// Quantizes rows [0, M) of x[M][K] (row stride ldx) to u8 q[M][Kp] (row stride ldq >= Kp, K padded
/// with the zero point): x ~ rscale[r] * (q - rzero[r]). Asymmetric per row over [min(x, 0),
/// max(x, 0)] / 255, or symmetric (zero point 128, max|x| / 127) when symmetric != 0.
void vk_q8_quantize_rows(const float *x, int ldx, int K, int M, uint8_t *q, int ldq, float *rscale, int32_t *rzero,
                         int symmetric);

/// c[M][N] = a[M][Kp] (u8, row stride lda) * q^T, int32 (row stride ldc), exact.
void vk_q8_gemm_s32(const uint8_t *a, int lda, const vk_q8_weights *w, int32_t *c, int ldc, int M, int path);

/// y[M][N] = act((x W^T + bias) + residual) with x quantized per row on the fly (symmetric as in
/// vk_q8_quantize_rows), int32 accumulation, fp32 dequantization and vk_bias_act's epilogue
/// (bias, residual may be NULL). Runs on the calling thread over rows [0, M) of the pointers passed
/// (split rows by offsetting x, y, residual); scratch: vk_q8_scratch_size(K) bytes.
void vk_q8_gemm(const float *x, int ldx, const vk_q8_weights *w, float *y, int ldy, int M, const float *bias,
                const float *residual, int ldr, int act, int symmetric, void *scratch, int path);

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

/// y[rows][C], rows [r0, r1): out = LayerNorm((y + bias) + residual) (gamma, beta, eps as
/// vk_layernorm_rows; out may equal residual) and, when pe is not NULL, out_pe = out + pe.
/// The SAM decoder's "keys = norm4(keys + attn_out)" plus the next "keys + key_pe" in one pass.
void vk_bias_residual_layernorm_rows(const float *y, const float *bias, const float *residual, const float *gamma,
                                     const float *beta, int C, float eps, float *out, const float *pe,
                                     float *out_pe, long r0, long r1);

/// Rows [r0, r1) of x[rows][C]: out = x + bias (bias per column), out_pe = out + pe.
void vk_bias_pe_rows(const float *x, const float *bias, const float *pe, float *out, float *out_pe, int C,
                     long r0, long r1);

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

// MARK: - Decoder cross attention, projections folded (decoder_attention.c)

/// out[h*nt + j][c] = sum_{t < hd} (a[j][h*hd + t] * scale) * w[h*hd + t][c] for h < heads, j < nt.
/// a: [nt][lda] (projected tokens), w: [heads*hd][C] (an nn.Linear weight [out][in], or a
/// transposed out_proj weight), out: [heads*nt][C].
void vk_fold_heads(const float *a, int lda, const float *w, int C, int nt, int heads, int hd, float scale,
                   float *out);

/// out[h*nt + j] = sum_{t < hd} (a[j][h*hd + t] * scale) * b[h*hd + t] (a bias folded the same way).
void vk_fold_heads_bias(const float *a, int lda, const float *b, int nt, int heads, int hd, float scale,
                        float *out);

/// o[j][h*hd + t] = sum_c u[h*nt + j][c] * w[h*hd + t][c] + bias[h*hd + t] (bias may be NULL).
/// u: [heads*nt][C], w: [heads*hd][C] (nn.Linear weight), o: [nt][ldo].
void vk_unfold_heads(const float *u, const float *w, const float *bias, int C, int nt, int heads, int hd,
                     float *o, int ldo);

/// s[heads*nt][ld] (scores of many queries, one column each, against nt keys per head), columns
/// [c0, c1): s += add[row] (may be NULL), then for each head h and column a softmax over the nt rows
/// h*nt ..< (h+1)*nt, in place.
void vk_head_softmax_cols(float *s, long ld, const float *add, int heads, int nt, long c0, long c1);

// MARK: - Decoder output upscaling (decoder_upscaling.c)

/// ConvTranspose2d 2x2 stride 2 epilogue with LayerNorm2d and GELU: g [H*W][2][2][Co] (GEMM output);
/// out[(2y+ky)][(2x+kx)][c] = GELU(LayerNorm(g[y][x][ky][kx][:] + bias)[c]). Input rows [y0, y1).
void vk_convT2x2_ln_gelu(const float *g, int H, int W, int Co, const float *bias, const float *gamma,
                         const float *beta, float eps, float *out, int y0, int y1);

/// ConvTranspose2d 2x2 stride 2 epilogue with GELU, followed by the mask product of SAM's decoder:
/// masks[m][(2y+ky)*(2W) + (2x+kx)] = sum_c hyper[m][c] * GELU(g[y][x][ky][kx][c] + bias[c]) for
/// m < nm. g: [H*W][2][2][Co]; hyper: [nm][Co]; masks: [nm][(2H)*(2W)]. Input rows [y0, y1).
void vk_convT2x2_gelu_dot(const float *g, int H, int W, int Co, const float *bias, const float *hyper, int nm,
                          float *masks, int y0, int y1);

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
