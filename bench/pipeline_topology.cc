// bench_pipeline.so: the benchmark pipeline packaged for gale-cluster-bench. The spout writes
// the wall-clock time of its first emit to bench.start.file; the null bolt writes the time it
// has executed bench.tuples tuples to bench.done.file (both ns since the epoch). With
// bench.rate > 0 the spout is paced instead and, once every tree is acked, writes the
// complete-latency percentiles line and the rate trees completed at to bench.done.file.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "pipeline.h"

namespace {

void write_now(const std::string& path) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::ofstream(path) << ns << "\n";
}

}  // namespace

GALE_TOPOLOGY(bench_pipeline, const gale::Config& conf) {
  using namespace gale::bench;
  std::int64_t tuples = conf.get_int("bench.tuples", 1'000'000);
  bool acking = conf.get_bool("bench.acking", false);
  std::string start_file = conf.get_string("bench.start.file", "");
  std::string done_file = conf.get_string("bench.done.file", "");
  double rate = conf.get_double("bench.rate", 0);
  gale::TopologyBuilder b;
  if (rate > 0) {
    b.set_spout("const", [=] {
      auto latencies = std::make_shared<Latencies>();
      return std::make_unique<PacedSpout>(rate, tuples, latencies, [=](double secs) {
        std::ofstream(done_file + ".tmp")
            << percentiles(*latencies) << "   completed "
            << static_cast<long long>(static_cast<double>(tuples) / secs) << "/s\n";
        std::rename((done_file + ".tmp").c_str(), done_file.c_str());
      });
    });
  } else {
    b.set_spout("const", [=] {
      return std::make_unique<ConstSpout>(tuples, acking, [=] { write_now(start_file); });
    });
  }
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).shuffle_grouping("const");
  b.set_bolt("null", [=] {
     return std::make_unique<NullBolt>(true, [=](std::int64_t n) {
       if (n == tuples && rate <= 0) write_now(done_file);
     });
   }).shuffle_grouping("id");
  return b.build();
}
