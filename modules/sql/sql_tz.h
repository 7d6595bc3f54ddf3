/*
 * sql_tz.h — named time zones as PostgreSQL has them: the IANA database read from its compiled
 * TZif files (/usr/share/zoneinfo, Debian's tzdata), POSIX TZ strings ('UTC+3', '<+02>-02',
 * 'EST5EDT,M3.2.0,M11.1.0'), and PostgreSQL's default time zone abbreviations ('EST', 'CEST').
 *
 * A zone answers two questions: the UTC offset at an instant (with its abbreviation and DST
 * flag), and the offset to use for a local wall-clock time, resolved across DST transitions as
 * PostgreSQL's DetermineTimeZoneOffset does (a time in a spring-forward gap is read with the
 * offset before the transition, an ambiguous time in a fall-back overlap with the offset after).
 *
 * Times here are µs since 2000-01-01 00:00 UTC (the SQL layer's timestamps); offsets are seconds
 * east of Greenwich (ISO sign: Berlin in summer is +7200).
 *
 * Ownership and thread-safety: zones are parsed once and kept in a process-wide cache for the
 * life of the process (PostgreSQL keeps them forever too), so a returned pointer never dies and
 * may be shared by every session thread; the cache takes a mutex only on lookups.
 */
#ifndef PZ_SQL_TZ_H
#define PZ_SQL_TZ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pz_tz pz_tz_t;

/* The zone a TimeZone setting or AT TIME ZONE names, by PostgreSQL's pg_tzset: "GMT", then a
 * TZif file whose path matches name case-insensitively, then a POSIX TZ string. NULL when
 * unknown (or when the cache is full: PZ_TZ_CACHE_MAX distinct names). */
const pz_tz_t *pz_tz_find(const char *name);
/* A fixed zone east_s seconds east of UTC, named as PostgreSQL's pg_tzset_offset names it
 * ("<+02>-02"); NULL when out of range (more than 167 hours). */
const pz_tz_t *pz_tz_offset(int32_t east_s);
/* UTC. Never NULL. */
const pz_tz_t *pz_tz_utc(void);
/* The name SHOW TimeZone prints: the file's spelling on disk ("America/New_York" for
 * 'america/new_york') or the upper-cased POSIX string. */
const char *pz_tz_name(const pz_tz_t *z);

/* The offset at the instant utc_us; *abbrev (may be NULL) gets the abbreviation ("CEST",
 * "+03", or "" for a POSIX zone without one), valid for the process's life. */
int32_t pz_tz_utc_offset(const pz_tz_t *z, int64_t utc_us, const char **abbrev);
/* The offset for the local wall time local_us (PostgreSQL's DetermineTimeZoneOffset): the
 * instant is local_us - offset. */
int32_t pz_tz_local_offset(const pz_tz_t *z, int64_t local_us);

/* A time zone abbreviation of PostgreSQL's "Default" set (case-insensitive): true with the fixed
 * offset in *east_s, or (abbreviations whose offset changed over time, e.g. MSK) with *zone set
 * to the zone that defines it and *east_s 0. False when name is not one. */
bool pz_tz_abbrev(const char *name, int32_t *east_s, const pz_tz_t **zone);

#endif
