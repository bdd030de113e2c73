// A shared library without a Gale entry point.
extern "C" __attribute__((visibility("default"))) int not_a_topology() {
  return 42;
}
