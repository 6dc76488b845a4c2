/*
 * CDCMTKNetwork.h — the plain-C face of VoxSAM's DIMSE client (DCMTK dcmnet): a series retrieved by
 * C-FIND + C-GET (Study Root), instances sent by C-STORE. Same rules as CDCMTK.h: C types only, no
 * exception escapes, every call that can fail returns a vxd_status and fills vxd_error with one line
 * that names the peer (vxd_peer.name) and what it answered (a DIMSE status in hex with its meaning,
 * an association rejection with its reason, or the network condition).
 *
 * Calls block (each network step is bounded by the peer's timeouts) and may run on any thread; one
 * call uses one association at a time and releases (or aborts) it before returning.
 */
#ifndef VOXSAM_CDCMTK_NETWORK_H
#define VOXSAM_CDCMTK_NETWORK_H

#include "CDCMTK.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A DICOM application entity to talk to, and who we are. */
typedef struct vxd_peer {
    const char *name;         /* how messages name the peer, e.g. "dimse://ORTHANC@pacs:104" */
    const char *host;
    uint16_t port;
    const char *called_aet;   /* the peer's AE title */
    const char *calling_aet;  /* ours */
    int32_t timeout_seconds;  /* TCP connect, association (ACSE) and each DIMSE message */
} vxd_peer;

/** What a failed call can say beyond its message: whether trying again may help (the connection
 *  could not be made, or the association was rejected transiently), and whether anything reached
 *  the peer. */
typedef struct vxd_network_outcome {
    int32_t retry_may_help;
    int32_t reached_peer;
} vxd_network_outcome;

/**
 * Retrieves one series: C-FIND at SERIES level for series_uid (giving its StudyInstanceUID), then
 * C-GET of that series on a second association, each instance written into `folder` (which must
 * exist) as 00001.dcm, 00002.dcm … Instances of another series are refused (and fail the call);
 * more than max_files instances or max_bytes bytes stop the retrieval with an error. The peer must
 * know our AE title for C-FIND/C-GET. out_count receives the number of files written.
 * VXD_NETWORK for every failure that involves the peer (unreachable, rejected, aborted, a failure
 * status, no such series); VXD_WRITE_FAILED when the folder cannot be written.
 */
vxd_status vxd_dimse_get_series(const vxd_peer *peer, const char *series_uid, const char *folder,
                                int32_t max_files, uint64_t max_bytes, int32_t *out_count,
                                vxd_network_outcome *outcome, vxd_error *error);

/**
 * Sends `count` DICOM files by C-STORE on one association (one presentation context per SOP class,
 * proposing each file's own transfer syntax and the uncompressed ones). out_status[i] receives the
 * peer's C-STORE status for file i (0x0000 success, 0xB000/0xB006/0xB007 warnings, anything else a
 * failure), or 0xFFFF when the file was not sent. Returns VXD_OK when every file got an answer
 * (check out_status); VXD_NETWORK when the association could not be made or broke down;
 * VXD_NOT_FOUND / VXD_NOT_DICOM / VXD_CORRUPT for a file that cannot be read (nothing is sent).
 */
vxd_status vxd_dimse_store(const vxd_peer *peer, const char *const *files, int32_t count, uint16_t *out_status,
                           vxd_network_outcome *outcome, vxd_error *error);

/** The standard's meaning of a C-STORE status, e.g. "Refused: Out of Resources" (DCMTK's table). */
const char *vxd_cstore_status_text(uint16_t status);

#ifdef __cplusplus
}
#endif

#endif /* VOXSAM_CDCMTK_NETWORK_H */
