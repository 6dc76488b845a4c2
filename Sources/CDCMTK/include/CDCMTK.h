#ifndef VOXSAM_DCMTK_H
#define VOXSAM_DCMTK_H
#ifdef __cplusplus
extern "C" {
#endif
int vxd_placeholder(void);
#ifdef __cplusplus
}
#endif
#endif
