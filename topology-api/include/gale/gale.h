#pragma once
// Everything a topology author needs: #include <gale/gale.h>
#include "gale/collectors.h"
#include "gale/components.h"
#include "gale/config.h"
#include "gale/context.h"
#include "gale/entry.h"
#include "gale/errors.h"
#include "gale/grouping.h"
#include "gale/replay.h"
#include "gale/topology.h"
#include "gale/tuple.h"
#include "gale/value.h"
#include "gale/version.h"
