// dojosim sweep SPACE.yaml --db RESULTS.sqlite [--resume] [--threads T]
// dojosim sweep --export csv --db RESULTS.sqlite [--out FILE]
// The sweep itself lives in the explore library (docs/sweep.md); this file parses
// arguments, draws the progress line and prints the summary.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/explore/sweep.hpp"
#include "dojosim/report/html.hpp"

#ifndef DOJOSIM_VERSION
#define DOJOSIM_VERSION "unknown"
#endif

namespace dojosim::cli {

namespace {

// "points 1234/10000  812/s  ETA 11s" on stderr, rewritten in place; only on a terminal
// and outside CI.
class ProgressLine {
 public:
  ProgressLine() : enabled_(isatty(STDERR_FILENO) == 1 && std::getenv("CI") == nullptr) {}
  ~ProgressLine() { end(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(const explore::Progress& p) {
    if (!enabled_) return;
    const bool final = p.done >= p.total;
    if (!final && shown_ && p.elapsed_s - last_ < 0.1) return;
    last_ = p.elapsed_s;
    const auto fresh = static_cast<double>(p.done - p.resumed);
    const double rate = p.elapsed_s > 0 ? fresh / p.elapsed_s : 0.0;
    std::string line = fmt::format("points {}/{}  {:.0f}/s", p.done, p.total, rate);
    if (rate > 0 && !final) line += fmt::format("  ETA {}", eta(static_cast<double>(p.total - p.done) / rate));
    const std::size_t width = line.size();
    if (width < width_) line.append(width_ - width, ' ');
    width_ = width;
    std::fprintf(stderr, "\r%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void end() {
    if (shown_) std::fputc('\n', stderr);
    shown_ = false;
  }

 private:
  static std::string eta(double s) {
    if (s < 60) return fmt::format("{:.0f}s", s);
    if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
    return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::floor(std::fmod(s, 3600) / 60));
  }
  bool enabled_;
  bool shown_ = false;
  double last_ = 0;
  std::size_t width_ = 0;
};

struct SweepArgs {
  std::string space, db, export_format, out, html, stack;
  bool resume = false;
  int threads = 0;
};

int export_db(const SweepArgs& a) {
  if (!a.space.empty())
    throw core::InputError({"", 0, 0, "--export"}, "--export reads a database; it takes no space file",
                           "dojosim sweep --export csv --db RESULTS.sqlite [--out FILE]");
  if (!a.html.empty()) write_file(a.html, report::sweep_html(api::sweep_report(a.db)));
  const std::string csv = api::sweep_csv(a.db);
  if (a.out.empty() || a.out == "-") {
    std::cout << csv;
    return 0;
  }
  std::ofstream out(a.out, std::ios::binary);
  if (!out) throw core::InputError({a.out, 0, 0, "--out"}, "cannot write the file", "a writable path");
  out << csv;
  out.close();
  if (!out) throw core::InputError({a.out, 0, 0, "--out"}, "writing the file failed", "a writable path with free space");
  return 0;
}

int run_sweep(const SweepArgs& a) {
  if (!a.out.empty())
    throw core::InputError({"", 0, 0, "--out"}, "--out goes with --export", "dojosim sweep --export csv --db X --out FILE");
  if (!a.html.empty())
    throw core::InputError({"", 0, 0, "--html"}, "--html goes with --export",
                           "dojosim sweep --export csv --db X --html report.html");
  ProgressLine progress;
  api::SweepArgs args{a.space,  a.db,      a.stack,
                      a.resume, a.threads, [&progress](const explore::Progress& p) { progress.update(p); }};
  const auto res = api::sweep(args, DOJOSIM_VERSION);
  progress.end();
  const auto& sum = res.summary;
  if (!sum.writer) return 0;  // an MPI worker rank: rank 0 reports
  std::string by_status;
  for (const auto& [k, n] : res.by_status) by_status += fmt::format("{}{} {}", by_status.empty() ? "" : ", ", n, k);
  const double rate = sum.wall_s > 0 ? static_cast<double>(sum.evaluated) / sum.wall_s : 0.0;
  fmt::print("sweep: {} of {} points in {}: {}\n", res.stored, sum.total, a.db, by_status);
  fmt::print("this run: {} evaluated{} in {:.2f} s ({:.0f} points/s) on {}\n", sum.evaluated,
             sum.resumed > 0 ? fmt::format(", {} already stored", sum.resumed) : "", sum.wall_s, rate,
             sum.ranks > 1
                 ? fmt::format("{} MPI ranks (1 writer, {} workers x {} threads)", sum.ranks, sum.ranks - 1, sum.threads)
                 : fmt::format("{} thread{}", sum.threads, sum.threads == 1 ? "" : "s"));
  if (sum.error > 0) {
    // docs/sweep.md: exit 1 for internal errors; every point still has its row.
    std::cerr << fmt::format(
        "internal error: {} points failed with an internal error (status 'error'; see the error column "
        "of {}); please report it\n",
        sum.error, a.db);
    return 1;
  }
  return 0;
}

}  // namespace

void add_sweep(CLI::App& app, Action& action) {
  const std::string mpi = explore::mpi_built() ? "Distributed: mpirun -np N dojosim sweep ... (rank 0 writes the database)."
                                               : "This dojosim was built without MPI: sweeps run on local threads only.";
  auto* cmd = app.add_subcommand(
      "sweep", fmt::format("Evaluate a design space (SPACE.yaml) into SQLite; resumable. {} See docs/sweep.md.", mpi));
  static SweepArgs args;
  cmd->add_option("space", args.space, "SPACE.yaml: systems, models, set: keys to vary, strategy, sampling");
  cmd->add_option("--db", args.db, "SQLite database of results (created, or continued with --resume)")
      ->required()
      ->check(checks::nonempty("a database file path"));
  cmd->add_flag("--resume", args.resume, "continue the sweep in --db: skip the points already stored");
  cmd->add_option("--threads", args.threads, "evaluation threads (default: all cores; under mpirun: 1 per rank)")
      ->check(checks::whole(0, 1024, "evaluation threads (0 = all cores)"));
  cmd->add_option("--export", args.export_format, "write the database as a table instead of sweeping: csv")
      ->check(checks::one_of({"csv"}));
  cmd->add_option("--out", args.out, "with --export: output file (default: stdout)");
  cmd->add_option("--stack", args.stack, "software stack of every point (replaces the space's `stack:`; default: each system's)");
  cmd->add_option("--html", args.html,
                  "with --export: also write a self-contained HTML report (plots over the swept parameters)");
  cmd->callback([&action]() { action = []() -> int { return args.export_format.empty() ? run_sweep(args) : export_db(args); }; });
}

}  // namespace dojosim::cli
