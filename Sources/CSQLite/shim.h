#ifndef HROMADA_CSQLITE_SHIM_H
#define HROMADA_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
// These wrappers make SQLite copy the bound bytes before the call returns, so Swift buffers
// need not outlive the call.
static inline int csqlite_bind_blob_copy(sqlite3_stmt *statement, int index, const void *bytes, int count) {
    return sqlite3_bind_blob(statement, index, bytes, count, SQLITE_TRANSIENT);
}

static inline int csqlite_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int count) {
    return sqlite3_bind_text(statement, index, text, count, SQLITE_TRANSIENT);
}

// Extended result codes are macros built with a shift, which Swift does not import.
static const int csqlite_constraint_trigger = SQLITE_CONSTRAINT_TRIGGER;

#if defined(__linux__)
#include <pthread.h>

// Names the calling thread, for SQLiteSupport's DedicatedThreadExecutor (a store's connection
// runs on it). glibc declares pthread_setname_np only under _GNU_SOURCE, which Swift's importer
// does not define; this is glibc's own declaration. Linux keeps at most 15 bytes of the name.
extern int pthread_setname_np(pthread_t thread, const char *name);

static inline int csqlite_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
#endif

#endif
