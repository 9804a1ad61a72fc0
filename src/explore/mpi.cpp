// Distributed sweeps over Open MPI: rank 0 is the master and the only writer of the
// store; every other rank asks it for small chunks of points (dynamic load balancing),
// evaluates them (with RunOptions::threads threads) and sends back the result rows.
//
// Protocol (all messages are JSON text, MPI_CHAR):
//   worker -> 0   kTagResults  {"results": [PointResult::to_json()...]}  (empty list = first request)
//   0 -> worker   kTagWork     {"points": [Point::to_json()...]}
//   0 -> worker   kTagStop     ""  (no more work; the worker finalises and returns)
// Before any of this, rank 0 broadcasts whether its setup (space file, database) worked,
// so a bad input stops every rank instead of leaving workers waiting.
//
// MPI is initialised only when the launcher's environment says we run under mpirun with
// more than one rank; a plain `dojosim` never calls into MPI.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "dojosim/core/errors.hpp"
#include "dojosim/explore/store.hpp"
#include "dojosim/explore/sweep.hpp"
#include "writer.hpp"

#ifdef DOJOSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace dojosim::explore {

bool mpi_built() {
#ifdef DOJOSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int mpi_launch_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end != nullptr && *end == '\0' && n > 0 && n < (1L << 30)) return static_cast<int>(n);
  }
  // Launched by a PMIx/PMI launcher that did not export the size: at least one rank.
  for (const char* var : {"PMIX_RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK"})
    if (std::getenv(var) != nullptr) return 1;
  return 0;
}

#ifdef DOJOSIM_HAVE_MPI
namespace {

constexpr int kTagResults = 1, kTagWork = 2, kTagStop = 3;

struct Session {
  int rank = 0, size = 1;
  Session() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~Session() { MPI_Finalize(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

void send_text(const std::string& s, int dest, int tag) {
  MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

std::string recv_text(int source, int tag, MPI_Status& st) {
  MPI_Probe(source, tag, MPI_COMM_WORLD, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_CHAR, &n);
  std::string s(static_cast<std::size_t>(n), '\0');
  MPI_Recv(s.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return s;
}

int worker_threads(const RunOptions& opt) { return opt.threads > 0 ? opt.threads : 1; }

RunSummary master(const Session& mpi, const SweepJob& job, const RunOptions& opt) {
  const Space& space = *job.space;
  RunSummary sum;
  const std::vector<bool> done = detail::finished(space, *job.store, sum);
  long long remaining = sum.total - sum.resumed;
  sum.ranks = mpi.size;
  sum.threads = worker_threads(opt);
  detail::Writer writer(*job.store, opt, sum);
  writer.start();
  const auto workers = static_cast<long long>(mpi.size - 1);
  const long long max_chunk = 16LL * sum.threads;
  long long next = 0;  // the next id to consider (finished ones are skipped)
  int active = mpi.size - 1;
  std::exception_ptr failure;
  while (active > 0) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagResults, MPI_COMM_WORLD, &flag, &st);
    if (flag == 0) {
      if (!failure) {
        try {
          writer.tick();
        } catch (...) { failure = std::current_exception(); }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const std::string msg = recv_text(st.MPI_SOURCE, kTagResults, st);
    const int source = st.MPI_SOURCE;
    if (!failure) {
      try {
        const auto j = nlohmann::json::parse(msg);
        for (const auto& rj : j.at("results")) {
          const PointResult r = PointResult::from_json(rj);
          if (r.id < 0 || r.id >= sum.total)
            throw std::runtime_error(fmt::format("rank {} sent point {} of {}", source, r.id, sum.total));
          writer.add(point_at(space, r.id), r);
        }
        writer.tick();
      } catch (...) { failure = std::current_exception(); }
    }
    if (failure || remaining == 0) {
      send_text("", source, kTagStop);
      --active;
      continue;
    }
    const long long k = std::clamp<long long>(remaining / (4 * workers), 1, max_chunk);
    nlohmann::ordered_json w;
    auto& pts = w["points"] = nlohmann::ordered_json::array();
    for (long long i = 0; i < k && remaining > 0; ++next) {
      if (done[static_cast<std::size_t>(next)]) continue;
      pts.push_back(point_at(space, next).to_json());
      ++i;
      --remaining;
    }
    send_text(w.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), source, kTagWork);
  }
  if (failure) std::rethrow_exception(failure);
  writer.finish();
  return sum;
}

void worker(const RunOptions& opt) {
  const int threads = worker_threads(opt);
  std::string reply = R"({"results":[]})";
  for (;;) {
    send_text(reply, 0, kTagResults);
    MPI_Status st;
    const std::string msg = recv_text(0, MPI_ANY_TAG, st);
    if (st.MPI_TAG == kTagStop) return;
    std::vector<Point> points;
    try {
      const auto work = nlohmann::json::parse(msg);  // named: a range-for over a temporary's member dangles
      for (const auto& pj : work.at("points")) points.push_back(Point::from_json(pj));
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(fmt::format("malformed work message: {}", e.what()));
    }
    std::vector<PointResult> results(points.size());
    const auto n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), points.size()));
    if (n <= 1) {
      for (std::size_t i = 0; i < points.size(); ++i) results[i] = evaluate_point(points[i]);
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < n; ++t)
        pool.emplace_back([&, t]() {
          for (std::size_t i = static_cast<std::size_t>(t); i < points.size(); i += static_cast<std::size_t>(n))
            results[i] = evaluate_point(points[i]);
        });
      for (auto& th : pool) th.join();
    }
    nlohmann::ordered_json out;
    auto& rs = out["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results) rs.push_back(r.to_json());
    reply = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

RunSummary run_mpi(const std::function<SweepJob()>& setup, const RunOptions& opt) {
  const Session mpi;
  if (mpi.size == 1) {
    const SweepJob job = setup();
    return run_local(*job.space, *job.store, opt);
  }
  if (mpi.rank == 0) {
    SweepJob job;
    std::exception_ptr failure;
    try {
      job = setup();
    } catch (...) { failure = std::current_exception(); }
    int ok = failure ? 0 : 1;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (failure) std::rethrow_exception(failure);
    return master(mpi, job, opt);
  }
  int ok = 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  RunSummary sum;
  sum.writer = false;
  sum.ranks = mpi.size;
  if (ok != 0) worker(opt);
  return sum;
}

}  // namespace
#endif

RunSummary run_sweep(const std::function<SweepJob()>& setup, const RunOptions& opt) {
  const int ranks = mpi_launch_size();
#ifdef DOJOSIM_HAVE_MPI
  if (ranks > 1) return run_mpi(setup, opt);
#else
  if (ranks > 1)
    throw core::Unsupported({}, fmt::format("launched by mpirun with {} ranks, but this dojosim was built without MPI", ranks),
                            "install libopenmpi-dev (scripts/bootstrap) and rebuild, or run the sweep without mpirun "
                            "(it uses local threads: --threads T)");
#endif
  const SweepJob job = setup();
  return run_local(*job.space, *job.store, opt);
}

}  // namespace dojosim::explore
