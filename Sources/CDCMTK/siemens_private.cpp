// Siemens private data: private-block lookup and the CSA image header (0029,xx10).
//
// CSA layout (as documented by nibabel's csareader and used by dcm2niix): optional "SV10" +
// 4 bytes, then uint32 tag count, uint32 (77); per tag: name[64], int32 VM, char VR[4],
// int32 SyngoDT, int32 item count, int32 (77 or 205); per item: 4 int32 (item length is the
// second one in SV10, the first one minus the first tag's item count in CSA1), then the value
// padded to a multiple of 4 bytes. All little endian.
#include "bridge_internal.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace {

int32_t readInt32LE(const uint8_t *p) {
    return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                                (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24));
}

std::string trimmed(const uint8_t *p, size_t n) {
    size_t end = 0;
    while (end < n && p[end] != 0) ++end;
    std::string s(reinterpret_cast<const char *>(p), end);
    size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

} // namespace

namespace vxd {

bool parseCSAHeader(const uint8_t *bytes, size_t length, CSAValues &out) {
    out = CSAValues();
    if (bytes == nullptr || length < 16) return false;
    size_t pos = 0;
    const bool sv10 = std::memcmp(bytes, "SV10", 4) == 0;
    if (sv10) pos = 8;
    const int32_t tagCount = readInt32LE(bytes + pos);
    pos += 8;
    if (tagCount < 1 || tagCount > 1000) return false;
    int32_t firstItemCount = 0;
    for (int32_t t = 0; t < tagCount; ++t) {
        if (pos + 84 > length) return false;
        const std::string name = trimmed(bytes + pos, 64);
        const int32_t vm = readInt32LE(bytes + pos + 64);
        const int32_t itemCount = readInt32LE(bytes + pos + 76);
        pos += 84;
        if (t == 0) firstItemCount = itemCount;
        if (itemCount < 0 || itemCount > 100000) return false;
        std::vector<std::string> items;
        for (int32_t i = 0; i < itemCount; ++i) {
            if (pos + 16 > length) return false;
            const int32_t x0 = readInt32LE(bytes + pos), x1 = readInt32LE(bytes + pos + 4);
            pos += 16;
            const int64_t itemLength = sv10 ? x1 : static_cast<int64_t>(x0) - firstItemCount;
            if (itemLength < 0 || pos + static_cast<size_t>(itemLength) > length) {
                if (sv10) return false;
                break; // CSA1: a short last item ends the tag
            }
            if (i < vm || vm == 0) items.push_back(trimmed(bytes + pos, static_cast<size_t>(itemLength)));
            pos += (static_cast<size_t>(itemLength) + 3) & ~static_cast<size_t>(3);
        }
        if (name == "NumberOfImagesInMosaic" && !items.empty() && !items[0].empty()) {
            const long n = std::strtol(items[0].c_str(), nullptr, 10);
            if (n > 0 && n < 100000) { out.hasMosaicCount = true; out.mosaicCount = static_cast<int>(n); }
        } else if (name == "SliceNormalVector" && items.size() >= 3 && !items[2].empty()) {
            double v[3];
            bool ok = true;
            for (int k = 0; k < 3; ++k) {
                char *end = nullptr;
                v[k] = std::strtod(items[k].c_str(), &end);
                ok = ok && end != items[k].c_str() && std::isfinite(v[k]);
            }
            const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            if (ok && norm > 0.5) {
                out.hasSliceNormal = true;
                for (int k = 0; k < 3; ++k) out.sliceNormal[k] = v[k] / norm;
            }
        }
    }
    return true;
}

DcmElement *findPrivateElement(DcmItem *item, Uint16 group, const char *creator, Uint8 elementOffset) {
    if (item == nullptr || (group & 1) == 0) return nullptr;
    for (Uint16 block = 0x10; block <= 0xFF; ++block) {
        OFString value;
        if (item->findAndGetOFString(DcmTagKey(group, block), value).bad()) continue;
        // Private creator values are LO: compare without padding, case-sensitively as the
        // standard requires.
        size_t end = value.find_last_not_of(' ');
        const std::string name = end == OFString_npos ? std::string() : std::string(value.c_str(), end + 1);
        if (name != creator) continue;
        DcmElement *element = nullptr;
        const Uint16 elementTag = static_cast<Uint16>((block << 8) | elementOffset);
        if (item->findAndGetElement(DcmTagKey(group, elementTag), element).good()) return element;
        return nullptr;
    }
    return nullptr;
}

} // namespace vxd
