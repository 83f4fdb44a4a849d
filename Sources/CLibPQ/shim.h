// libpq, found through pkg-config (libpq-dev puts it under /usr/include/postgresql).
#include <libpq-fe.h>
