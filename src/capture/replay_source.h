// ReplaySource: a ProcSource that answers from a capture (--from FILE):
// the same answers, call for call, that the live source gave when the
// capture was taken. What the capture does not hold (a file no command
// read at capture time, pagemap outside the pages read, kpageflags of a
// PFN no process referenced, an environment value not kept) is an error
// naming the capture (FailedPreconditionError), never an empty answer.
//
// Thread safety: as ProcSource. The data is read-only after construction.
#ifndef MEMSTATS_CAPTURE_REPLAY_SOURCE_H_
#define MEMSTATS_CAPTURE_REPLAY_SOURCE_H_

#include <memory>
#include <string>

#include "capture/capture_data.h"
#include "scan/proc_source.h"

namespace memstats::capture {

// `name` is how messages name the capture (its path).
std::unique_ptr<scan::ProcSource> NewReplaySource(CaptureData data,
                                                  std::string name);

// The capture's facts (host, kernel, time, ...), for `source` made by
// NewReplaySource; nullptr for any other source.
const CaptureInfo* CaptureInfoOf(const scan::ProcSource& source);

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_REPLAY_SOURCE_H_
