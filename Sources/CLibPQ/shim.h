#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

// libpq, PostgreSQL's own client library (apt: libpq-dev; pkg-config libpq), for the PostgreSQL
// event store. Swift calls it directly: nothing here but the header.
#include <libpq-fe.h>

#endif
