// Routes DCMTK's log output (oflog) into per-thread buffers so that its diagnostics ("PixelData
// (7fe0,0010) larger (8192) than remaining bytes in file") end up in vxd_error messages
// instead of on the host application's stderr.
#include "bridge_internal.hpp"

#include "dcmtk/oflog/oflog.h"
#include "dcmtk/oflog/appender.h"
#include "dcmtk/oflog/logger.h"
#include "dcmtk/oflog/spi/logevent.h"

#include <cstdlib>

namespace {

struct ThreadLog {
    int depth = 0;
    std::vector<std::string> messages;
};

thread_local ThreadLog threadLog;

class CapturingAppender : public dcmtk::log4cplus::Appender {
public:
    CapturingAppender() { setName("voxsam-capture"); }
    ~CapturingAppender() override { destructorImpl(); }
    void close() override {}

protected:
    void append(const dcmtk::log4cplus::spi::InternalLoggingEvent &event) override {
        if (threadLog.depth == 0) return;                // nobody is listening on this thread
        if (threadLog.messages.size() >= 32) return;     // keep messages short
        std::string text = event.getMessage().c_str();
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        if (!text.empty()) threadLog.messages.push_back(text);
    }
};

} // namespace

namespace vxd {

void installLogCapture() {
    // VOXSAM_DCMTK_LOG=1 keeps DCMTK's own console logging (for debugging the bridge).
    const char *keep = std::getenv("VOXSAM_DCMTK_LOG");
    if (keep != nullptr && *keep != '\0' && *keep != '0') return;
    OFLog::configure(OFLogger::WARN_LOG_LEVEL);
    dcmtk::log4cplus::Logger root = dcmtk::log4cplus::Logger::getRoot();
    root.removeAllAppenders();
    root.addAppender(dcmtk::log4cplus::SharedAppenderPtr(new CapturingAppender()));
}

LogCapture::LogCapture() : start_(threadLog.messages.size()) { ++threadLog.depth; }

LogCapture::~LogCapture() {
    if (--threadLog.depth == 0) threadLog.messages.clear();
}

std::string LogCapture::messages() const {
    std::string out;
    for (size_t i = start_; i < threadLog.messages.size(); ++i) {
        if (!out.empty()) out += "; ";
        out += threadLog.messages[i];
    }
    return out;
}

} // namespace vxd
