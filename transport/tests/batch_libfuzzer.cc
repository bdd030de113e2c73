// libFuzzer entry point for BatchDecoder (built with -DGALE_FUZZ=ON under clang):
//   gale-batch-fuzz -max_total_time=60 [corpus-dir]
#include <cstddef>
#include <cstdint>

#include "gale/transport/batch_codec.h"

namespace {

class DiscardingVisitor : public gale::transport::BatchVisitor {
 public:
  void on_tuple(const gale::transport::TupleView&) override {}
  void on_ack(std::uint8_t, std::int32_t, std::uint64_t, std::uint64_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static gale::transport::BatchDecoder decoder;
  DiscardingVisitor visitor;
  (void)decoder.decode({data, size}, visitor);
  return 0;
}
