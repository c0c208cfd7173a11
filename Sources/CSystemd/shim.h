#ifndef QUOTA_PROXY_CSYSTEMD_SHIM_H
#define QUOTA_PROXY_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#endif
