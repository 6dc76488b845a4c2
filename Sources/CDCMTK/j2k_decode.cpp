// JPEG 2000 (1.2.840.10008.1.2.4.90/.91) frames with OpenJPEG: free DCMTK has no JPEG 2000
// codec, so the encapsulated fragments are mapped to frames here and decoded from memory.
//
// Fragment → frame mapping (PS3.5 A.4): the Extended Offset Table (7FE0,0001) when present,
// else the Basic Offset Table (first item) when it has one entry per frame, else one fragment
// per frame when the counts agree, all fragments for a single frame, or — for an empty table
// with several fragments per frame — a new frame at each fragment that starts a codestream
// (SOC+SIZ markers FF4F FF51, or the JP2 signature box).
#include "bridge_internal.hpp"

#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>

namespace {

const uint8_t kJP2Signature[8] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};

bool startsCodestream(const Uint8 *p, size_t n) {
    if (n >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51) return true;
    return n >= 8 && std::memcmp(p, kJP2Signature, 8) == 0;
}

struct MemoryStream {
    const uint8_t *data;
    size_t size;
    size_t position;
};

OPJ_SIZE_T streamRead(void *buffer, OPJ_SIZE_T count, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (s->position >= s->size) return static_cast<OPJ_SIZE_T>(-1);
    const size_t n = std::min(static_cast<size_t>(count), s->size - s->position);
    std::memcpy(buffer, s->data + s->position, n);
    s->position += n;
    return n;
}

OPJ_OFF_T streamSkip(OPJ_OFF_T count, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (count < 0) {
        const size_t back = std::min(static_cast<size_t>(-count), s->position);
        s->position -= back;
        return -static_cast<OPJ_OFF_T>(back);
    }
    const size_t n = std::min(static_cast<size_t>(count), s->size - std::min(s->position, s->size));
    s->position += n;
    return static_cast<OPJ_OFF_T>(n);
}

OPJ_BOOL streamSeek(OPJ_OFF_T offset, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (offset < 0 || static_cast<size_t>(offset) > s->size) return OPJ_FALSE;
    s->position = static_cast<size_t>(offset);
    return OPJ_TRUE;
}

void collectMessage(const char *msg, void *user) {
    auto *out = static_cast<std::string *>(user);
    if (out->size() > 600 || msg == nullptr) return;
    std::string m(msg);
    while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
    if (!out->empty()) *out += "; ";
    *out += m;
}

/// Owns the OpenJPEG objects of one decode.
struct OpenJPEGDecode {
    opj_codec_t *codec = nullptr;
    opj_stream_t *stream = nullptr;
    opj_image_t *image = nullptr;
    ~OpenJPEGDecode() {
        if (image) opj_image_destroy(image);
        if (stream) opj_stream_destroy(stream);
        if (codec) opj_destroy_codec(codec);
    }
};

} // namespace

namespace vxd {

static vxd_status mapFragments(vxd_file *file, DcmPixelSequence *sequence, vxd_error *error) {
    const unsigned long itemCount = sequence->card();
    const long frames = file->info.stored_frame_count;
    if (itemCount < 2) {
        return fail(error, VXD_CORRUPT, file->path, "encapsulated PixelData (7FE0,0010) has no fragments");
    }
    const unsigned long fragments = itemCount - 1;
    std::vector<unsigned long long> fragmentOffset(fragments + 1, 0); // offset of item i (1-based) from item 1
    for (unsigned long i = 1; i <= fragments; ++i) {
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, i).bad() || item == nullptr)
            return fail(error, VXD_CORRUPT, file->path, "cannot access fragment " + std::to_string(i) + " of PixelData (7FE0,0010)");
        if (i < fragments) fragmentOffset[i + 1] = fragmentOffset[i] + 8 + item->getLength();
    }
    auto assignByOffsets = [&](const std::vector<unsigned long long> &starts) -> bool {
        std::vector<std::vector<unsigned long>> map(static_cast<size_t>(frames));
        for (unsigned long i = 1; i <= fragments; ++i) {
            const unsigned long long off = i == 1 ? 0 : fragmentOffset[i];
            auto it = std::upper_bound(starts.begin(), starts.end(), off);
            if (it == starts.begin()) return false;
            map[static_cast<size_t>(it - starts.begin() - 1)].push_back(i);
        }
        for (const auto &f : map) if (f.empty()) return false;
        file->frameFragments = std::move(map);
        return true;
    };

    // 1. Extended Offset Table.
    DcmElement *eot = nullptr;
    if (file->dataset->findAndGetElement(DCM_ExtendedOffsetTable, eot).good() && eot != nullptr && eot->getLength() == 8u * frames) {
        Uint8 *raw = nullptr;
        if (eot->getUint8Array(raw).good() && raw != nullptr) {
            std::vector<unsigned long long> starts(static_cast<size_t>(frames));
            for (long f = 0; f < frames; ++f) {
                Uint64 v;
                std::memcpy(&v, raw + 8 * f, 8); // OV in local byte order after dcmdata's swap
                starts[static_cast<size_t>(f)] = v;
            }
            if (std::is_sorted(starts.begin(), starts.end()) && assignByOffsets(starts)) { file->fragmentsMapped = true; return VXD_OK; }
        }
    }
    // 2. Basic Offset Table (always little endian, PS3.5 A.4).
    DcmPixelItem *table = nullptr;
    if (sequence->getItem(table, 0).good() && table != nullptr && table->getLength() == 4u * frames) {
        Uint8 *raw = nullptr;
        if (table->getUint8Array(raw).good() && raw != nullptr) {
            std::vector<unsigned long long> starts(static_cast<size_t>(frames));
            for (long f = 0; f < frames; ++f) {
                const Uint8 *p = raw + 4 * f;
                starts[static_cast<size_t>(f)] = static_cast<unsigned long long>(p[0]) | (static_cast<unsigned long long>(p[1]) << 8) |
                                                 (static_cast<unsigned long long>(p[2]) << 16) | (static_cast<unsigned long long>(p[3]) << 24);
            }
            if (std::is_sorted(starts.begin(), starts.end()) && starts[0] == 0 && assignByOffsets(starts)) {
                file->fragmentsMapped = true;
                return VXD_OK;
            }
        }
    }
    // 3. Counts.
    file->frameFragments.assign(static_cast<size_t>(frames), {});
    if (static_cast<long>(fragments) == frames) {
        for (long f = 0; f < frames; ++f) file->frameFragments[static_cast<size_t>(f)].push_back(static_cast<unsigned long>(f + 1));
        file->fragmentsMapped = true;
        return VXD_OK;
    }
    if (frames == 1) {
        for (unsigned long i = 1; i <= fragments; ++i) file->frameFragments[0].push_back(i);
        file->fragmentsMapped = true;
        return VXD_OK;
    }
    // 4. Codestream markers.
    long frame = -1;
    for (unsigned long i = 1; i <= fragments; ++i) {
        DcmPixelItem *item = nullptr;
        Uint8 *bytes = nullptr;
        if (sequence->getItem(item, i).bad() || item->getUint8Array(bytes).bad())
            return fail(error, VXD_CORRUPT, file->path, "cannot read fragment " + std::to_string(i) + " of PixelData (7FE0,0010)");
        if (bytes != nullptr && startsCodestream(bytes, item->getLength())) ++frame;
        item->compact();
        if (frame < 0 || frame >= frames) {
            return fail(error, VXD_CORRUPT, file->path,
                        "cannot assign the " + std::to_string(fragments) + " fragments of PixelData (7FE0,0010) to " +
                            std::to_string(frames) + " frames: the basic offset table is empty and the JPEG 2000 codestream "
                            "markers do not delimit exactly that many frames");
        }
        file->frameFragments[static_cast<size_t>(frame)].push_back(i);
    }
    if (frame != frames - 1) {
        return fail(error, VXD_CORRUPT, file->path,
                    "found " + std::to_string(frame + 1) + " JPEG 2000 codestreams in PixelData (7FE0,0010), NumberOfFrames (0028,0008) is " +
                        std::to_string(frames));
    }
    file->fragmentsMapped = true;
    return VXD_OK;
}

vxd_status decodeJPEG2000Frame(vxd_file *file, int32_t storedIndex, std::vector<int32_t> &samples, bool &isSigned,
                               int &precision, vxd_error *error) {
    LogCapture capture;
    DcmElement *element = nullptr;
    if (file->dataset->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr || element->ident() != EVR_PixelData)
        return fail(error, VXD_NO_PIXELS, file->path, "no PixelData (7FE0,0010) in the data set");
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);
    DcmPixelSequence *sequence = nullptr;
    OFCondition cond = pixelData->getEncapsulatedRepresentation(file->transferSyntax, nullptr, sequence);
    if (cond.bad() || sequence == nullptr) {
        return fail(error, VXD_CORRUPT, file->path, "PixelData (7FE0,0010) is not encapsulated although the transfer syntax is JPEG 2000",
                    capture.messages().empty() ? cond.text() : capture.messages());
    }
    if (!file->fragmentsMapped) {
        vxd_status st = mapFragments(file, sequence, error);
        if (st != VXD_OK) return st;
    }

    // Join the frame's fragments into one codestream.
    std::vector<uint8_t> codestream;
    for (unsigned long index : file->frameFragments[static_cast<size_t>(storedIndex)]) {
        DcmPixelItem *item = nullptr;
        Uint8 *bytes = nullptr;
        if (sequence->getItem(item, index).bad() || item == nullptr || item->getUint8Array(bytes).bad()) {
            return fail(error, VXD_CORRUPT, file->path,
                        "cannot read fragment " + std::to_string(index) + " of PixelData (7FE0,0010)", capture.messages());
        }
        if (bytes != nullptr) codestream.insert(codestream.end(), bytes, bytes + item->getLength());
        item->compact(); // the fragment stays on disk; only the joined copy is kept
    }
    if (codestream.size() < 8 || !startsCodestream(codestream.data(), codestream.size())) {
        return fail(error, VXD_CORRUPT, file->path,
                    "frame " + std::to_string(storedIndex + 1) + " of PixelData (7FE0,0010) does not start with a JPEG 2000 codestream");
    }
    const bool jp2 = std::memcmp(codestream.data(), kJP2Signature, 8) == 0;

    OpenJPEGDecode d;
    std::string messages;
    MemoryStream memory{codestream.data(), codestream.size(), 0};
    d.codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    d.stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    if (d.codec == nullptr || d.stream == nullptr) return fail(error, VXD_INTERNAL, file->path, "cannot create an OpenJPEG decoder");
    opj_set_error_handler(d.codec, collectMessage, &messages);
    opj_set_warning_handler(d.codec, [](const char *, void *) {}, nullptr);
    opj_set_info_handler(d.codec, [](const char *, void *) {}, nullptr);
    opj_stream_set_user_data(d.stream, &memory, nullptr);
    opj_stream_set_user_data_length(d.stream, codestream.size());
    opj_stream_set_read_function(d.stream, streamRead);
    opj_stream_set_skip_function(d.stream, streamSkip);
    opj_stream_set_seek_function(d.stream, streamSeek);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    const std::string where = "JPEG 2000 frame " + std::to_string(storedIndex + 1) + " of PixelData (7FE0,0010)";
    if (!opj_setup_decoder(d.codec, &parameters) || !opj_read_header(d.stream, d.codec, &d.image) || d.image == nullptr)
        return fail(error, VXD_CORRUPT, file->path, "cannot read the header of " + where + (messages.empty() ? "" : " (OpenJPEG: " + messages + ")"));
    // The codestream's own header decides what OpenJPEG allocates: check it against the DICOM
    // header (whose size the reader has bounded) before decoding, or a 40 kB file declaring a
    // 30000 x 30000 codestream makes OpenJPEG allocate ~1 GB (found by the dicom fuzz target).
    {
        const opj_image_t &h = *d.image;
        const uint64_t width = h.x1 > h.x0 ? uint64_t(h.x1 - h.x0) : 0, height = h.y1 > h.y0 ? uint64_t(h.y1 - h.y0) : 0;
        if (h.numcomps != 1) {
            return fail(error, VXD_UNSUPPORTED, file->path,
                        where + " has " + std::to_string(h.numcomps) + " components; only grayscale images are decoded");
        }
        if (h.comps == nullptr || h.comps[0].dx != 1 || h.comps[0].dy != 1 ||
            width != uint64_t(file->info.stored_columns) || height != uint64_t(file->info.stored_rows)) {
            return fail(error, VXD_CORRUPT, file->path,
                        where + " declares " + std::to_string(width) + " x " + std::to_string(height) +
                            ", Columns x Rows (0028,0011/0010) is " + std::to_string(file->info.stored_columns) + " x " +
                            std::to_string(file->info.stored_rows));
        }
    }
    if (!opj_decode(d.codec, d.stream, d.image) || !opj_end_decompress(d.codec, d.stream))
        return fail(error, VXD_CORRUPT, file->path, "cannot decode " + where + (messages.empty() ? "" : " (OpenJPEG: " + messages + ")"));

    if (d.image->numcomps != 1) {
        return fail(error, VXD_UNSUPPORTED, file->path,
                    where + " has " + std::to_string(d.image->numcomps) + " components; only grayscale images are decoded");
    }
    const opj_image_comp_t &comp = d.image->comps[0];
    if (comp.data == nullptr || static_cast<int32_t>(comp.w) != file->info.stored_columns ||
        static_cast<int32_t>(comp.h) != file->info.stored_rows) {
        return fail(error, VXD_CORRUPT, file->path,
                    where + " is " + std::to_string(comp.w) + " x " + std::to_string(comp.h) + ", Columns x Rows (0028,0011/0010) is " +
                        std::to_string(file->info.stored_columns) + " x " + std::to_string(file->info.stored_rows));
    }
    isSigned = comp.sgnd != 0;
    precision = static_cast<int>(comp.prec);
    samples.assign(comp.data, comp.data + static_cast<size_t>(comp.w) * comp.h);
    return VXD_OK;
}

} // namespace vxd
