#pragma once
// The librdkafka properties the spout's consumer and the sink's producer are built from: the
// connector's own settings first, then the user's extra properties.
#include <vector>

#include "gale/kafka/config.h"
#include "rdkafka_client.h"

namespace gale::kafka {

std::vector<Property> consumer_settings(const KafkaSpoutConfig& config);
std::vector<Property> producer_settings(const KafkaSinkConfig& config);

}  // namespace gale::kafka
