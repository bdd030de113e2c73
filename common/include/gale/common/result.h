#pragma once
// Result<T>, Status, Error and make_error for Gale's internal modules. They are defined in the
// topology API's gale/result.h, since the SDK libraries (events, redis, sms), whose headers
// are installed without common's, return them too.
#include "gale/result.h"
