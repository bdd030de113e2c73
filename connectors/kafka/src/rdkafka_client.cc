#include "rdkafka_client.h"

#include <stdexcept>

#include "gale/kafka/config.h"

namespace gale::kafka {

ConfHandle make_conf(const std::vector<Property>& properties) {
  ConfHandle conf(rd_kafka_conf_new());
  char err[512];
  for (const Property& p : properties) {
    if (rd_kafka_conf_set(conf.get(), p.name.c_str(), p.value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      throw KafkaConfigError("config key '" + p.source + "': librdkafka refuses " + p.name + "=" +
                             p.value + ": " + err);
    }
  }
  return conf;
}

ClientHandle make_client(rd_kafka_type_t type, ConfHandle conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it
  return ClientHandle(rk);
}

}  // namespace gale::kafka
