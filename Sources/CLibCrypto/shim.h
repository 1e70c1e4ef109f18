#ifndef HROMADA_CLIBCRYPTO_SHIM_H
#define HROMADA_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#endif
