// The extern "C" entry points for one DICOM file: open/close, attributes, frame decoding.
// Every entry point catches all C++ exceptions; nothing but C types leaves this file.
#include "bridge_internal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>

using vxd::guarded;
using vxd::clearError;

extern "C" {

vxd_status vxd_open(const char *path, vxd_file **out_file, vxd_error *error) {
    clearError(error);
    if (out_file == nullptr || path == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_open");
    *out_file = nullptr;
    return guarded(path, error, [&]() -> vxd_status {
        vxd::ensureInitialized();
        FILE *probe = std::fopen(path, "rb");
        if (probe == nullptr) {
            const int err = errno;
            return vxd::fail(error, VXD_NOT_FOUND, path, std::string("cannot open: ") + std::strerror(err));
        }
        std::fclose(probe);
        if (vxd_sniff(path) != 1) {
            return vxd::fail(error, VXD_NOT_DICOM, path,
                             "not a DICOM file (no \"DICM\" marker at byte 128 and no DICOM data set at the start of the file)");
        }

        std::unique_ptr<vxd_file> file(new vxd_file());
        file->path = path;
        vxd::LogCapture capture;
        // Values longer than 4 kB (pixel data, large private blobs) stay on disk until needed.
        OFCondition cond = file->fileFormat.loadFile(path, EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
        if (cond.bad()) {
            const bool premature = cond == EC_StreamNotifyClient || cond == EC_EndOfStream;
            return vxd::fail(error, VXD_CORRUPT, path,
                             premature ? "DICOM file is truncated: it ends inside an element (the file was cut short)"
                                       : "cannot parse the DICOM data set (malformed element)",
                             capture.messages().empty() ? cond.text() : capture.messages() + "; " + cond.text());
        }
        file->dataset = file->fileFormat.getDataset();
        file->transferSyntax = file->dataset->getOriginalXfer();

        // Text attributes in UTF-8 whatever SpecificCharacterSet (0008,0005) says; on failure
        // (unknown character set) values stay as stored.
        OFString charset;
        if (file->dataset->findAndGetOFStringArray(DCM_SpecificCharacterSet, charset).good() && !charset.empty() &&
            charset != "ISO_IR 192" && charset != "ISO_IR 6") {
            file->dataset->convertToUTF8();
        }

        vxd_status st = vxd::readImageInfo(file.get(), error);
        if (st != VXD_OK) return st;
        *out_file = file.release();
        return VXD_OK;
    });
}

void vxd_close(vxd_file *file) {
    try {
        delete file;
    } catch (...) {
    }
}

vxd_status vxd_get_image_info(vxd_file *file, vxd_image_info *out_info, vxd_error *error) {
    clearError(error);
    if (file == nullptr || out_info == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_get_image_info");
    *out_info = file->info;
    return VXD_OK;
}

vxd_status vxd_get_frame_info(vxd_file *file, int32_t frame_index, vxd_frame_info *out_info, vxd_error *error) {
    clearError(error);
    if (file == nullptr || out_info == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_get_frame_info");
    return guarded(file->path, error, [&]() -> vxd_status {
        vxd::LogCapture capture;
        return vxd::readFrameInfo(file, frame_index, out_info, error);
    });
}

int64_t vxd_get_string(vxd_file *file, uint32_t tag, char *buffer, size_t capacity) {
    if (buffer != nullptr && capacity > 0) buffer[0] = '\0';
    if (file == nullptr) return -1;
    try {
        vxd::LogCapture capture;
        const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
        DcmItem *item = key.getGroup() == 0x0002 ? static_cast<DcmItem *>(file->fileFormat.getMetaInfo())
                                                 : static_cast<DcmItem *>(file->dataset);
        DcmElement *element = nullptr;
        if (item == nullptr || item->findAndGetElement(key, element).bad() || element == nullptr) return -1;
        if (element->getLength() == 0) return 0;
        OFString value;
        if (element->getOFStringArray(value).bad()) return -1;
        // Trailing padding of a value is not part of it.
        size_t end = value.size();
        while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == '\0')) --end;
        const std::string text(value.c_str(), end);
        vxd::copyString(buffer, capacity, text);
        return static_cast<int64_t>(text.size());
    } catch (...) {
        return -1;
    }
}

vxd_status vxd_decode_frame(vxd_file *file, int32_t frame_index, void *out, size_t out_sample_count,
                            vxd_sample_type sample_type, vxd_error *error) {
    clearError(error);
    if (file == nullptr || out == nullptr) return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument to vxd_decode_frame");
    return guarded(file->path, error, [&]() -> vxd_status {
        const vxd_image_info &info = file->info;
        if (frame_index < 0 || frame_index >= info.frame_count) {
            return vxd::fail(error, VXD_INVALID_ARGUMENT, file->path,
                             "frame index " + std::to_string(frame_index) + " out of range 0..<" + std::to_string(info.frame_count));
        }
        const size_t rows = static_cast<size_t>(info.rows), columns = static_cast<size_t>(info.columns);
        if (out_sample_count < rows * columns) {
            return vxd::fail(error, VXD_INVALID_ARGUMENT, file->path, "output buffer smaller than Rows x Columns");
        }
        const int32_t stored = info.is_mosaic ? 0 : frame_index;
        if (vxd::isPlain16BitFrame(file, sample_type)) return vxd::decodePlain16BitFrame(file, stored, out, out_sample_count, error);
        vxd_status st = vxd::decodeStoredFrame(file, stored, error);
        if (st != VXD_OK) return st;

        const std::vector<int64_t> &values = file->cachedFrame.values;
        size_t tileRow = 0, tileColumn = 0;
        if (info.is_mosaic) {
            tileRow = static_cast<size_t>(frame_index / info.mosaic_tiles_per_row);
            tileColumn = static_cast<size_t>(frame_index % info.mosaic_tiles_per_row);
        }
        const size_t storedColumns = static_cast<size_t>(info.stored_columns);
        int64_t lo, hi;
        switch (sample_type) {
        case VXD_SAMPLE_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
        case VXD_SAMPLE_UINT16: lo = 0; hi = UINT16_MAX; break;
        case VXD_SAMPLE_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
        default: return vxd::fail(error, VXD_INVALID_ARGUMENT, file->path, "unknown sample type");
        }
        for (size_t y = 0; y < rows; ++y) {
            const int64_t *src = values.data() + (tileRow * rows + y) * storedColumns + tileColumn * columns;
            for (size_t x = 0; x < columns; ++x) {
                const int64_t v = src[x];
                if (v < lo || v > hi) {
                    static const char *names[] = {"int16", "uint16", "int32"};
                    return vxd::fail(error, VXD_UNSUPPORTED, file->path,
                                     "stored value " + std::to_string(v) + " at column " + std::to_string(x) + ", row " +
                                         std::to_string(y) + " of frame " + std::to_string(frame_index + 1) + " does not fit " +
                                         names[sample_type] + " (BitsStored (0028,0101) = " + std::to_string(info.bits_stored) +
                                         ", PixelRepresentation (0028,0103) = " + std::to_string(info.pixel_representation) + ")");
                }
                const size_t n = y * columns + x;
                switch (sample_type) {
                case VXD_SAMPLE_INT16: static_cast<int16_t *>(out)[n] = static_cast<int16_t>(v); break;
                case VXD_SAMPLE_UINT16: static_cast<uint16_t *>(out)[n] = static_cast<uint16_t>(v); break;
                case VXD_SAMPLE_INT32: static_cast<int32_t *>(out)[n] = static_cast<int32_t>(v); break;
                }
            }
        }
        return VXD_OK;
    });
}

} // extern "C"
