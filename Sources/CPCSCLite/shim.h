#ifndef HROMADA_CPCSCLITE_SHIM_H
#define HROMADA_CPCSCLITE_SHIM_H
// pkg-config adds -I/usr/include/PCSC, which winscard.h needs for its own includes.
#include <PCSC/winscard.h>
#include <PCSC/reader.h>
#endif
