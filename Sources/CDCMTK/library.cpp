// Library-wide state: one-time codec registration, version, UID names, content sniffing, errors.
#include "bridge_internal.hpp"

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"

#include <openjpeg.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace vxd {

void ensureInitialized() {
    static std::once_flag once;
    std::call_once(once, [] {
        installLogCapture();
        // Elements stored with VR UN but known to the dictionary (e.g. written by a converter
        // that lost the VRs) are read with their real VR, as every other toolkit does.
        dcmEnableUnknownVRConversion.set(OFTrue);
        // Decoders are registered once for the process and never deregistered: DCMTK's codec
        // list is shared, and other threads may be decoding at any time.
        DJDecoderRegistration::registerCodecs();   // JPEG baseline/extended/lossless (IJG 8/12/16)
        DJLSDecoderRegistration::registerCodecs(); // JPEG-LS (CharLS)
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

void copyString(char *dest, size_t capacity, const std::string &value) {
    if (dest == nullptr || capacity == 0) return;
    size_t n = value.size();
    if (n >= capacity) {
        n = capacity - 1;
        // Do not cut a UTF-8 sequence in half.
        while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
    }
    std::memcpy(dest, value.data(), n);
    dest[n] = '\0';
}

vxd_status fail(vxd_error *error, vxd_status status, const std::string &path, const std::string &message,
                const std::string &dcmtkDetail) {
    if (error != nullptr) {
        std::string text = path.empty() ? message : path + ": " + message;
        if (!dcmtkDetail.empty()) text += " [DCMTK: " + dcmtkDetail + "]";
        copyString(error->message, sizeof(error->message), text);
    }
    return status;
}

std::string tagName(const DcmTagKey &key) {
    DcmTag tag(key);
    char code[16];
    std::snprintf(code, sizeof(code), "(%04X,%04X)", key.getGroup(), key.getElement());
    const char *name = tag.getTagName();
    if (name == nullptr || std::strcmp(name, DcmTag_ERROR_TagName) == 0 || key.isPrivate())
        return std::string(code);
    return std::string(name) + " " + code;
}

} // namespace vxd

extern "C" {

const char *vxd_library_version(void) {
    static char version[96];
    static std::once_flag once;
    std::call_once(once, [] { std::snprintf(version, sizeof(version), "DCMTK %s, OpenJPEG %s", OFFIS_DCMTK_VERSION_STRING, opj_version()); });
    return version;
}

void vxd_free(void *pointer) { std::free(pointer); }

size_t vxd_uid_name(const char *uid, char *buffer, size_t capacity) {
    try {
        std::string name;
        if (uid != nullptr && *uid != '\0') {
            const char *found = dcmFindNameOfUID(uid, nullptr);
            if (found != nullptr) name = found;
        }
        vxd::copyString(buffer, capacity, name);
        return name.size();
    } catch (...) {
        vxd::copyString(buffer, capacity, std::string());
        return 0;
    }
}

int vxd_sniff(const char *path) {
    if (path == nullptr) return -1;
    FILE *f = std::fopen(path, "rb");
    if (f == nullptr) return -1;
    unsigned char head[132];
    size_t n = std::fread(head, 1, sizeof(head), f);
    std::fclose(f);
    if (n >= 132 && std::memcmp(head + 128, "DICM", 4) == 0) return 1;
    if (n < 8) return 0;
    // A raw data set (no preamble, no meta header) must start with a low group in either byte
    // order, followed by either an explicit VR or a plausible implicit length.
    const unsigned groupLE = head[0] | (head[1] << 8), groupBE = (head[0] << 8) | head[1];
    const bool lowGroup = groupLE == 0x0002 || groupLE == 0x0008 || groupBE == 0x0002 || groupBE == 0x0008;
    if (!lowGroup) return 0;
    const bool explicitVR = head[4] >= 'A' && head[4] <= 'Z' && head[5] >= 'A' && head[5] <= 'Z';
    const unsigned long implicitLength = head[4] | (head[5] << 8) | (head[6] << 16) | (static_cast<unsigned long>(head[7]) << 24);
    return (explicitVR || implicitLength < 0x10000) ? 1 : 0;
}

} // extern "C"
