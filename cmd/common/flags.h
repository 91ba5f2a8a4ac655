/* SPDX-License-Identifier: MIT */
/*
 * Command-line flags the way cobra reads them for Kilo's kg and kgctl:
 * anywhere on the line, in long or short form (--f v, --f=v, -f v, -fv),
 * bools bare or =true/false (Go's strconv.ParseBool), "--" ends the flags.
 * A flag table ends with a zeroed entry. Errors are printed once to stderr
 * as "PROGRAM: message" and returned as -1.
 */
#ifndef MESH_FLAGS_H
#define MESH_FLAGS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/prefix.h"

enum mesh_flag_kind {
	MESH_FLAG_STRING, /* const char * */
	MESH_FLAG_BOOL,   /* bool */
	MESH_FLAG_LIST,   /* struct mesh_flag_list, repeatable */
};

struct mesh_flag_list {
	const char **items; /* arguments as given, commas not split yet; free(items) */
	size_t n;
};

struct mesh_flag {
	const char *name; /* --name */
	char short_name;  /* -c, or 0 */
	enum mesh_flag_kind kind;
	void *value;
	const char *help;       /* one line for --help; NULL hides the flag */
	const char *value_name; /* "string", "int", "strings"; NULL for bools */
	const char *fallback;   /* shown as (default ...) */
};

/*
 * Take the flags of table out of argv[0..*argc) wherever they are, leaving
 * the other arguments in order. Unknown flags are an error unless
 * keep_unknown, in which case they stay for a later pass.
 */
int mesh_flags_take(const char *program, const struct mesh_flag *table, int *argc, char **argv,
                    bool keep_unknown);
/* "PROGRAM: message" and a newline on stderr, as every flag error is printed. */
void mesh_flags_verror(const char *program, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The "Flags:" block of --help, cobra's layout. */
void mesh_flags_usage(const struct mesh_flag *table);

/*
 * Values as pflag reads them; each returns 0 or -EINVAL and prints nothing,
 * so that the caller names the flag in its own words.
 */
/* A decimal number from 0 to max. */
int mesh_flags_uint(const char *text, unsigned long max, unsigned long *value);
/* A --port: a decimal number from 1 to 65535. */
int mesh_flags_port(const char *text, uint16_t *port);
/* Go's time.ParseDuration in whole seconds ("30s", "1m", "1h30m"), 1 s to a year. */
int mesh_flags_duration(const char *text, unsigned int *seconds);
/*
 * Kilo's --log-level: all, debug, info, warn, error or none, as the least
 * important <syslog.h> priority to print (-1 for none).
 */
int mesh_flags_log_level(const char *text, int *threshold);
/*
 * A repeatable, comma-separated CIDR list (pflag's StringSlice), each
 * masked to its network: *out (heap, the caller frees it, also on error)
 * holds *n prefixes. On -EINVAL, bad holds the item that is not a CIDR.
 */
int mesh_flags_cidrs(const struct mesh_flag_list *list, struct mesh_prefix **out, size_t *n,
                     char *bad, size_t bad_size);

#endif /* MESH_FLAGS_H */
