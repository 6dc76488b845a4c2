// Decoding of one stored frame to stored values: native (little/big endian, deflated) and the
// DCMTK codecs (RLE, JPEG, JPEG-LS) through DcmPixelData::getUncompressedFrame, JPEG 2000
// through OpenJPEG (j2k_decode.cpp). Values are masked to BitsStored and sign-extended.
#include "bridge_internal.hpp"

#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"

#include <cstring>

namespace {

bool isJPEG2000(E_TransferSyntax xfer) {
    return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000 || xfer == EXS_JPEG2000MulticomponentLosslessOnly ||
           xfer == EXS_JPEG2000Multicomponent;
}

} // namespace

namespace vxd {

// DCMTK 3.6.7's RLE decoder trusts the segment offsets in each frame's RLE header and reads past the
// fragment (a fuzzed file with an offset of 5 MB in a 6 kB fragment crashed it: Fuzz/regressions/dicom).
// The header (PS3.5 G.5) is checked first: 1…15 segments, the first at byte 64, offsets increasing and
// inside the fragment. RLE puts each frame in one fragment, so frame n is item n + 1 (item 0 is the
// offset table); a file laid out otherwise has every fragment checked.
static vxd_status checkRLEHeaders(vxd_file *file, DcmPixelData *pixelData, int storedIndex, vxd_error *error) {
    DcmPixelSequence *sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(EXS_RLELossless, nullptr, sequence).bad() || sequence == nullptr) {
        return VXD_OK;  // not encapsulated as expected: DCMTK's decoder reports it
    }
    const unsigned long items = sequence->card();
    unsigned long first = 1, last = items;  // [first, last)
    if (items == static_cast<unsigned long>(file->info.stored_frame_count) + 1) { first = static_cast<unsigned long>(storedIndex) + 1; last = first + 1; }
    for (unsigned long n = first; n < last; ++n) {
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, n).bad() || item == nullptr) continue;
        Uint8 *data = nullptr;
        const Uint32 length = item->getLength();
        const std::string where = "RLE fragment " + std::to_string(n) + " of PixelData (7FE0,0010)";
        if (length < 64 || item->getUint8Array(data).bad() || data == nullptr) {
            return fail(error, VXD_CORRUPT, file->path, where + " is shorter than its 64-byte RLE header");
        }
        auto ul = [data](int k) {
            const Uint8 *b = data + 4 * k;
            return static_cast<Uint32>(b[0]) | static_cast<Uint32>(b[1]) << 8 | static_cast<Uint32>(b[2]) << 16 | static_cast<Uint32>(b[3]) << 24;
        };
        const Uint32 segments = ul(0);
        if (segments < 1 || segments > 15) {
            return fail(error, VXD_CORRUPT, file->path, where + " declares " + std::to_string(segments) + " RLE segments (1 to 15 allowed)");
        }
        Uint32 previous = 0;
        for (Uint32 k = 1; k <= segments; ++k) {
            const Uint32 offset = ul(static_cast<int>(k));
            if ((k == 1 && offset != 64) || (k > 1 && offset <= previous) || offset >= length) {
                return fail(error, VXD_CORRUPT, file->path,
                            where + ": RLE segment " + std::to_string(k) + " starts at byte " + std::to_string(offset) +
                                ", outside the fragment's " + std::to_string(length) + " bytes (or out of order)");
            }
            previous = offset;
        }
    }
    return VXD_OK;
}

// Reads stored frame `storedIndex` of a non-JPEG 2000 data set as bytes in local byte order, after
// checking its size against the header: straight into `direct` when it is given and the frame is
// exactly `directSize` bytes (then *directUsed = true), else into `buffer`.
static vxd_status readFrameBytes(vxd_file *file, int32_t storedIndex, std::vector<Uint8> &buffer, Uint8 *direct,
                                 size_t directSize, bool *directUsed, vxd_error *error) {
    if (directUsed != nullptr) *directUsed = false;
    const vxd_image_info &info = file->info;
    DcmDataset *ds = file->dataset;
    const size_t pixelCount = static_cast<size_t>(info.stored_rows) * static_cast<size_t>(info.stored_columns);
    const int bitsAllocated = info.bits_allocated;
    DcmElement *element = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr || element->ident() != EVR_PixelData) {
        return fail(error, VXD_NO_PIXELS, file->path, "no PixelData (7FE0,0010) in the data set");
    }
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);

    LogCapture capture;
    Uint32 frameSize = 0;
    OFCondition cond = pixelData->getUncompressedFrameSize(ds, frameSize);
    if (cond.bad() || frameSize == 0) {
        return fail(error, VXD_CORRUPT, file->path, "cannot compute the frame size of PixelData (7FE0,0010)",
                    capture.messages().empty() ? cond.text() : capture.messages());
    }
    const size_t bytesPerSample = static_cast<size_t>(bitsAllocated / 8);
    if (frameSize < pixelCount * bytesPerSample) {
        return fail(error, VXD_CORRUPT, file->path, "frame size " + std::to_string(frameSize) + " bytes is smaller than Rows x Columns");
    }
    if (!info.is_encapsulated) {
        const unsigned long long needed = static_cast<unsigned long long>(storedIndex + 1) * frameSize;
        if (element->getLength() < needed) {
            return fail(error, VXD_CORRUPT, file->path,
                        "PixelData (7FE0,0010) holds " + std::to_string(element->getLength()) + " bytes but frame " +
                            std::to_string(storedIndex + 1) + " needs " + std::to_string(needed) +
                            " (Rows x Columns x NumberOfFrames x BitsAllocated/8): pixel data is truncated");
        }
    }

    if (file->transferSyntax == EXS_RLELossless) {
        vxd_status st = checkRLEHeaders(file, pixelData, storedIndex, error);
        if (st != VXD_OK) return st;
    }

    // Straight into the caller's memory when it holds exactly one frame, else into `buffer`.
    Uint8 *target = direct;
    size_t targetSize = directSize;
    const bool useDirect = direct != nullptr && directSize == frameSize && (frameSize & 1u) == 0;
    if (!useDirect) {
        buffer.assign(frameSize + (frameSize & 1u), 0);
        target = buffer.data();
        targetSize = buffer.size();
    }
    Uint32 startFragment = (storedIndex == file->nextFrameForFragment) ? file->nextStartFragment : 0;
    OFString colorModel;
    cond = pixelData->getUncompressedFrame(ds, static_cast<Uint32>(storedIndex), startFragment, target,
                                           static_cast<Uint32>(targetSize), colorModel, &file->fileCache);
    if (cond.bad()) {
        const DcmXfer xfer(file->transferSyntax);
        const bool noCodec = cond == EC_CannotChangeRepresentation || cond == EC_UnsupportedEncoding;
        return fail(error, noCodec ? VXD_UNSUPPORTED : VXD_CORRUPT, file->path,
                    std::string(noCodec ? "no decoder for" : "cannot decode") + " frame " + std::to_string(storedIndex + 1) +
                        " of PixelData (7FE0,0010) in transfer syntax " + xfer.getXferName() + " (" + xfer.getXferID() + ")",
                    capture.messages().empty() ? cond.text() : capture.messages() + "; " + cond.text());
    }
    file->nextStartFragment = startFragment;
    file->nextFrameForFragment = storedIndex + 1;
    if (directUsed != nullptr) *directUsed = useDirect;
    return VXD_OK;
}

bool isPlain16BitFrame(const vxd_file *file, vxd_sample_type sampleType) {
    const vxd_image_info &info = file->info;
    return info.has_pixel_data && !info.is_mosaic && info.samples_per_pixel == 1 && info.bits_allocated == 16 && info.bits_stored == 16 &&
           info.high_bit == 15 && !isJPEG2000(file->transferSyntax) && info.stored_rows == info.rows &&
           info.stored_columns == info.columns &&
           ((sampleType == VXD_SAMPLE_INT16 && info.pixel_representation == 1) ||
            (sampleType == VXD_SAMPLE_UINT16 && info.pixel_representation == 0));
}

vxd_status decodePlain16BitFrame(vxd_file *file, int32_t storedIndex, void *out, size_t sampleCount, vxd_error *error) {
    const vxd_image_info &info = file->info;
    const size_t pixelCount = static_cast<size_t>(info.stored_rows) * static_cast<size_t>(info.stored_columns);
    if (info.stored_rows < 1 || info.stored_columns < 1 || sampleCount < pixelCount) {
        return fail(error, VXD_CORRUPT, file->path, "Rows (0028,0010) or Columns (0028,0011) missing or zero");
    }
    if (storedIndex < 0 || storedIndex >= info.stored_frame_count) {
        return fail(error, VXD_INVALID_ARGUMENT, file->path, "stored frame " + std::to_string(storedIndex) + " out of range");
    }
    std::vector<Uint8> buffer;
    bool direct = false;
    vxd_status st = readFrameBytes(file, storedIndex, buffer, static_cast<Uint8 *>(out), 2 * pixelCount, &direct, error);
    if (st != VXD_OK) return st;
    if (!direct) std::memcpy(out, buffer.data(), 2 * pixelCount);
    return VXD_OK;
}

vxd_status decodeStoredFrame(vxd_file *file, int32_t storedIndex, vxd_error *error) {
    if (file->cachedFrame.index == storedIndex) return VXD_OK;
    file->cachedFrame.index = -1;
    const vxd_image_info &info = file->info;
    DcmDataset *ds = file->dataset;

    if (!info.has_pixel_data) {
        if (info.has_float_pixel_data)
            return fail(error, VXD_UNSUPPORTED, file->path,
                        "float pixel data (FloatPixelData (7FE0,0008) / DoubleFloatPixelData (7FE0,0009)) is not supported");
        return fail(error, VXD_NO_PIXELS, file->path, "no PixelData (7FE0,0010) in the data set");
    }
    if (info.samples_per_pixel != 1) {
        return fail(error, VXD_UNSUPPORTED, file->path,
                    "SamplesPerPixel (0028,0002) is " + std::to_string(info.samples_per_pixel) +
                        " (colour image); only grayscale images are decoded");
    }
    const int bitsAllocated = info.bits_allocated, bitsStored = info.bits_stored;
    if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) {
        return fail(error, VXD_UNSUPPORTED, file->path,
                    "BitsAllocated (0028,0100) = " + std::to_string(bitsAllocated) + " is not supported (8, 16 or 32)");
    }
    if (bitsStored < 1 || bitsStored > bitsAllocated || info.high_bit >= bitsAllocated || info.high_bit + 1 < bitsStored) {
        return fail(error, VXD_CORRUPT, file->path,
                    "inconsistent BitsAllocated/BitsStored/HighBit (0028,0100-0102) = " + std::to_string(bitsAllocated) +
                        "/" + std::to_string(bitsStored) + "/" + std::to_string(info.high_bit));
    }
    if (info.stored_rows < 1 || info.stored_columns < 1) {
        return fail(error, VXD_CORRUPT, file->path, "Rows (0028,0010) or Columns (0028,0011) missing or zero");
    }
    if (storedIndex < 0 || storedIndex >= info.stored_frame_count) {
        return fail(error, VXD_INVALID_ARGUMENT, file->path, "stored frame " + std::to_string(storedIndex) + " out of range");
    }

    const size_t pixelCount = static_cast<size_t>(info.stored_rows) * static_cast<size_t>(info.stored_columns);
    const bool pixelSigned = info.pixel_representation == 1;
    const uint64_t mask = bitsStored >= 64 ? ~0ULL : ((1ULL << bitsStored) - 1);
    auto signExtend = [&](uint64_t v) -> int64_t {
        v &= mask;
        if (pixelSigned && ((v >> (bitsStored - 1)) & 1ULL)) return static_cast<int64_t>(v) - static_cast<int64_t>(1ULL << bitsStored);
        return static_cast<int64_t>(v);
    };
    std::vector<int64_t> &values = file->cachedFrame.values;
    values.assign(pixelCount, 0);

    if (isJPEG2000(file->transferSyntax)) {
        std::vector<int32_t> samples;
        bool codestreamSigned = false;
        int precision = 0;
        vxd_status st = decodeJPEG2000Frame(file, storedIndex, samples, codestreamSigned, precision, error);
        if (st != VXD_OK) return st;
        if (samples.size() != pixelCount) {
            return fail(error, VXD_CORRUPT, file->path,
                        "JPEG 2000 frame " + std::to_string(storedIndex + 1) + " decodes to " + std::to_string(samples.size()) +
                            " samples, Rows x Columns is " + std::to_string(pixelCount));
        }
        if (codestreamSigned == pixelSigned) {
            for (size_t i = 0; i < pixelCount; ++i) values[i] = samples[i];
        } else {
            // PixelRepresentation (0028,0103) and the codestream's signedness disagree (a known
            // encoder bug): the DICOM attribute wins, the sample bits are reinterpreted.
            for (size_t i = 0; i < pixelCount; ++i) values[i] = signExtend(static_cast<uint64_t>(static_cast<int64_t>(samples[i])));
        }
        file->cachedFrame.index = storedIndex;
        return VXD_OK;
    }

    std::vector<Uint8> buffer;
    {
        vxd_status st = readFrameBytes(file, storedIndex, buffer, nullptr, 0, nullptr, error);
        if (st != VXD_OK) return st;
    }

    // getUncompressedFrame returns samples in local byte order (big-endian data sets are swapped
    // by dcmdata when the value is read); shift out the bits below the stored range.
    const int shift = info.high_bit + 1 - bitsStored;
    switch (bitsAllocated) {
    case 8:
        for (size_t i = 0; i < pixelCount; ++i) values[i] = signExtend(static_cast<uint64_t>(buffer[i]) >> shift);
        break;
    case 16:
        for (size_t i = 0; i < pixelCount; ++i) {
            Uint16 v;
            std::memcpy(&v, buffer.data() + 2 * i, 2);
            values[i] = signExtend(static_cast<uint64_t>(v) >> shift);
        }
        break;
    default:
        for (size_t i = 0; i < pixelCount; ++i) {
            Uint32 v;
            std::memcpy(&v, buffer.data() + 4 * i, 4);
            values[i] = signExtend(static_cast<uint64_t>(v) >> shift);
        }
        break;
    }
    file->cachedFrame.index = storedIndex;
    return VXD_OK;
}

} // namespace vxd
