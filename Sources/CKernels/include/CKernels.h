#ifndef VOXSAM_KERNELS_H
#define VOXSAM_KERNELS_H
int vk_placeholder(void);
#endif
