// CKernels — epilogues of the SAM decoder's output upscaling (two ConvTranspose2d 2x2 stride 2).
//
// The convolutions themselves are one GEMM each (g = x W, [H*W][2][2][Co]); these kernels scatter
// the four taps to the 2x upscaled grid and apply what follows in the model without another pass
// over memory: LayerNorm2d + GELU after the first, GELU + the hypernetwork mask product after the
// second (so the [256*256][32] upscaled embedding is never stored).
#include "CKernels.h"
#include "vk_internal.h"

VK_CLONES
void vk_convT2x2_ln_gelu(const float *g, int H, int W, int Co, const float *bias, const float *gamma,
                         const float *beta, float eps, float *out, int y0, int y1) {
    int Wo = 2 * W;
    float tmp[Co];
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < W; x++) {
            const float *src = g + ((long)y * W + x) * 4L * Co;
            for (int t = 0; t < 4; t++) {
                const float *restrict s = src + t * Co;
                float *d = out + ((long)(2 * y + t / 2) * Wo + (2 * x + t % 2)) * Co;
                for (int c = 0; c < Co; c++) tmp[c] = s[c] + bias[c];
                vk_layernorm_row(tmp, d, gamma, beta, Co, eps);
                for (int c = 0; c < Co; c++) d[c] = vk_gelu1(d[c]);
            }
        }
    }
}

VK_CLONES
void vk_convT2x2_gelu_dot(const float *g, int H, int W, int Co, const float *bias, const float *hyper, int nm,
                          float *masks, int y0, int y1) {
    long Wo = 2L * W, plane = 4L * H * W;
    float tmp[Co];
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < W; x++) {
            const float *src = g + ((long)y * W + x) * 4L * Co;
            for (int t = 0; t < 4; t++) {
                const float *restrict s = src + t * Co;
                for (int c = 0; c < Co; c++) tmp[c] = vk_gelu1(s[c] + bias[c]);
                long p = (long)(2 * y + t / 2) * Wo + (2 * x + t % 2);
                for (int m = 0; m < nm; m++) {
                    const float *hm = hyper + (long)m * Co;
                    v16 acc = v16_splat(0.0f);
                    int c = 0;
                    for (; c + 16 <= Co; c += 16) acc = v16_fma(v16_load(hm + c), v16_load(tmp + c), acc);
                    float r = hsum16(acc);
                    for (; c < Co; c++) r = fmaf(hm[c], tmp[c], r);
                    masks[m * plane + p] = r;
                }
            }
        }
    }
}
