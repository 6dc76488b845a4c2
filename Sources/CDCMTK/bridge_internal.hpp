// Internal declarations shared by the bridge's C++ files. Never included by CDCMTK.h.
#ifndef VOXSAM_CDCMTK_INTERNAL_HPP
#define VOXSAM_CDCMTK_INTERNAL_HPP

#include "CDCMTK.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcfcache.h"

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace vxd {

// MARK: library state (library.cpp)

/// Registers the DCMTK decoders (JPEG, JPEG-LS, RLE) and installs the log capture, once.
void ensureInitialized();

// MARK: DCMTK log capture (log_capture.cpp)

/// While alive, DCMTK log messages (warnings and errors) emitted on this thread are collected
/// instead of being printed to stderr. Scopes nest.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;
    /// The messages collected since this scope began, joined with "; " (empty if none).
    std::string messages() const;
private:
    size_t start_;
};

/// Installs the capturing appender on DCMTK's root logger (called by ensureInitialized).
void installLogCapture();

// MARK: errors

/// Writes "path: message" (plus DCMTK's diagnostics, if any) into error; returns status.
vxd_status fail(vxd_error *error, vxd_status status, const std::string &path, const std::string &message,
                const std::string &dcmtkDetail = std::string());

/// Runs body, turning any C++ exception into a vxd_error (no exception leaves an entry point).
template <typename Body>
vxd_status guarded(const std::string &path, vxd_error *error, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return fail(error, VXD_INTERNAL, path, "out of memory");
    } catch (const std::exception &e) {
        return fail(error, VXD_INTERNAL, path, std::string("unexpected error: ") + e.what());
    } catch (...) {
        return fail(error, VXD_INTERNAL, path, "unexpected error");
    }
}

/// Empties an error's message (entry points call it first).
inline void clearError(vxd_error *error) {
    if (error != nullptr) error->message[0] = '\0';
}

/// "Keyword (gggg,eeee)" for a tag, from the DCMTK dictionary ("(gggg,eeee)" when unknown).
std::string tagName(const DcmTagKey &key);

/// Copies a string into a fixed char array (NUL-terminated, truncated on a UTF-8 boundary).
void copyString(char *dest, size_t capacity, const std::string &value);

// MARK: Siemens CSA header (csa_header.cpp)

struct CSAValues {
    bool hasMosaicCount = false;
    int mosaicCount = 0;
    bool hasSliceNormal = false;
    double sliceNormal[3] = {0, 0, 0};
};

/// Parses a Siemens CSA image header (SV10 or the older CSA1 layout) for NumberOfImagesInMosaic
/// and SliceNormalVector. Returns false when the bytes are not a CSA header.
bool parseCSAHeader(const uint8_t *bytes, size_t length, CSAValues &out);

/// Finds the element (group, offset) in the private block reserved by `creator` (e.g.
/// "SIEMENS CSA HEADER"); nullptr when the creator or element is absent.
DcmElement *findPrivateElement(DcmItem *item, Uint16 group, const char *creator, Uint8 elementOffset);

// MARK: pixel data (pixel_decode.cpp, j2k_decode.cpp)

/// One decoded stored frame, as signed 64-bit values (masked to BitsStored, sign-extended).
struct StoredFrame {
    int32_t index = -1;
    std::vector<int64_t> values;
};

} // namespace vxd

// MARK: the opaque handle

struct vxd_file {
    std::string path;
    DcmFileFormat fileFormat;
    DcmDataset *dataset = nullptr;
    E_TransferSyntax transferSyntax = EXS_Unknown;
    vxd_image_info info{};

    // Enhanced multi-frame functional groups (items owned by the data set).
    DcmItem *sharedGroups = nullptr;
    std::vector<DcmItem *> perFrameGroups;

    // Mosaic geometry: corrected position of tile 0 and the step between tiles (mm).
    bool mosaicHasPosition = false;
    double mosaicOrigin[3] = {0, 0, 0};
    double mosaicStep[3] = {0, 0, 0};

    // Decoding state.
    DcmFileCache fileCache;
    Uint32 nextStartFragment = 0;
    int32_t nextFrameForFragment = 0;
    vxd::StoredFrame cachedFrame;      // last stored frame (a mosaic is decoded once for all tiles)
    bool fragmentsMapped = false;
    std::vector<std::vector<unsigned long>> frameFragments; // J2K: fragment indices (1-based items) per frame
};

namespace vxd {

/// Fills file->info (and the mosaic fields) after the data set was loaded (image_info.cpp).
vxd_status readImageInfo(vxd_file *file, vxd_error *error);

/// Resolves per-frame attributes (frame_info.cpp).
vxd_status readFrameInfo(vxd_file *file, int32_t frameIndex, vxd_frame_info *out, vxd_error *error);

/// Decodes stored frame `storedIndex` into file->cachedFrame (pixel_decode.cpp).
vxd_status decodeStoredFrame(vxd_file *file, int32_t storedIndex, vxd_error *error);
// 16-bit samples with BitsStored 16 that already have the requested type (int16 signed, uint16
// unsigned), not JPEG 2000 or a mosaic: decoded straight into the caller's frame, no conversion.
bool isPlain16BitFrame(const vxd_file *file, vxd_sample_type sampleType);
vxd_status decodePlain16BitFrame(vxd_file *file, int32_t storedIndex, void *out, size_t sampleCount, vxd_error *error);

/// Decodes one JPEG 2000 frame of an encapsulated data set into raw int32 samples (j2k_decode.cpp).
/// `isSigned` receives the codestream's signedness, `precision` its bit depth.
vxd_status decodeJPEG2000Frame(vxd_file *file, int32_t storedIndex, std::vector<int32_t> &samples,
                               bool &isSigned, int &precision, vxd_error *error);

} // namespace vxd

#endif
