// One Register function per subcommand (ninja's tool table, as CLI11
// subcommands). Each adds its subcommand to `app` and, when the
// subcommand is chosen, stores in `run` what main calls after parsing.
#ifndef MEMSTATS_CLI_COMMANDS_H_
#define MEMSTATS_CLI_COMMANDS_H_

#include <functional>

#include "cli/common.h"

namespace memstats::cli {

using RunFn = std::function<int()>;

void RegisterGroupsCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterSingleCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterSnapshotCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterTopCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterWatchCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterRunCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterPeakCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterRecordCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterPlotCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterSystemCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterMapCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterProcinfoCommand(CLI::App& app, GlobalOptions& global,
                             RunFn& run);
void RegisterShmCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterServeCommand(CLI::App& app, GlobalOptions& global, RunFn& run);
void RegisterCaptureCommand(CLI::App& app, GlobalOptions& global,
                            RunFn& run);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_COMMANDS_H_
