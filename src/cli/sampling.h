// What the sampling commands (watch, record, run) share: the sampler wired
// to the CLI's Context, and their common options' checks.
#ifndef MEMSTATS_CLI_SAMPLING_H_
#define MEMSTATS_CLI_SAMPLING_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sampler/sampler.h"

namespace memstats::cli {

// Scans through ScanSelected (the global filter, memstats left out, the
// threads), without a progress line: the loop's output owns the terminal.
sampler::ScanFn SamplerScanFn(Context& ctx);

// A fresh --mem-limit budget for each tick.
std::function<std::unique_ptr<scan::MemoryBudget>()> SamplerBudgets(
    const Context& ctx);

// Checks a period or duration in seconds: finite, above 0 and at most a
// week. Throws UsageError "<option>: ..." otherwise.
double CheckSeconds(const std::string& option, double seconds);

// A duration: "1h", "30m", "90s", "1h30m", "250ms", or a plain number of
// seconds, checked by CheckSeconds. Throws UsageError "<option>: ..." for
// anything else.
double ParseDurationSeconds(const std::string& option,
                            const std::string& text);

// A predicate accepting the processes whose command line (argv joined by
// spaces) or comm matches one of `patterns` (ECMAScript regular
// expressions, searched: "^postgres" matches at the start). Throws
// UsageError naming a pattern that does not compile.
scan::KeepFn PatternPicker(const std::vector<std::string>& patterns);

// The pids `pick` accepts now: one pass over the processes' identities
// only (cheap: no smaps, no page tables).
std::vector<int> PickedNow(Context& ctx, const scan::KeepFn& pick);

// "memstats: ..." on stderr: how a sampling loop ended, when the user
// should know (the followed processes exited, a signal).
void SayHowItEnded(sampler::EndReason why, const std::string& what_exited);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_SAMPLING_H_
