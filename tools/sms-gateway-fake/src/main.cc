// gale-sms-gateway-fake: parses flags and runs the fake gateway. See README.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "fake_gateway.h"
#include "gale/common/command_line.h"
#include "gale/common/version.h"

int main(int argc, char** argv) {
  gale::tools::FakeGatewayOptions options;
  CLI::App app{"A fake SMS gateway on 127.0.0.1 that records what it receives",
               "gale-sms-gateway-fake"};
  app.set_version_flag("--version", gale::version_text("gale-sms-gateway-fake"));
  app.add_option("--port", options.port, "port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535));
  app.add_option("--record", options.record_path,
                 "append each accepted SMS to this file as a JSON line");
  app.add_option("--fail-first", options.fail_first, "answer 503 to the first N POST /sms")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--fail-rate", options.fail_rate, "then answer 503 with this probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", options.seed, "seed of --fail-rate's random draws");
  app.add_option("--delay-ms", options.delay_ms, "answer each POST /sms after this delay")
      ->check(CLI::NonNegativeNumber);
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;
  try {
    gale::tools::FakeGateway gateway(options);
    std::printf("listening on 127.0.0.1:%d\n", gateway.port());
    std::fflush(stdout);
    gateway.run();
    std::printf("stopped\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gale-sms-gateway-fake: %s\n", e.what());
    return 1;
  }
  return 0;
}
