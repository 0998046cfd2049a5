/*
 * leeway.c -- the leeway PostgreSQL extension: decide cases kept in the
 * database with playbooks kept in files on the server.
 *
 * This file is glue over engine/include/leeway.h and nothing else of the
 * engine. What it owns:
 *
 *   Names, not paths. A playbook is named relative to leeway.playbook_dir
 *   (a superuser setting): "airline" is airline/playbook.yaml there,
 *   "bench/playbook-lua.yaml" that file. Absolute names and ".." are refused,
 *   so an SQL user reads nothing the administrator did not put there.
 *
 *   A per-backend cache of compiled bundles. Each bundle has its own memory
 *   context (the engine's allocator hook allocates there), its own lw_engine
 *   and lw_case. The first lookup of a name in a statement revalidates every
 *   source file of the bundle (lw_playbook_source_path/_digest against the
 *   SHA-256 of the file now; a bundle with a source from a rule-set folder,
 *   "<rules>/NAME", whose place only the library knows, is compiled again
 *   and its digest compared); later lookups in the same statement do not.
 *   Each call site keeps the bundle it resolved in fn_extra for the query
 *   it runs in (the portal: a cursor's FETCHes are one query), holding a
 *   reference: a bundle replaced by an edit is freed only when the last
 *   query using it ends. A call site that outlives its query -- PL/pgSQL
 *   keeps a function's simple expressions for the whole transaction --
 *   looks its bundle up again in the next one. So an edited playbook is
 *   picked up by the next statement and never in the middle of one. In a
 *   parallel query, where the leader and every worker load bundles for
 *   themselves, a bundle edited since the statement began is an error.
 *
 *   The boundary. No PostgreSQL error is ever raised while the library is
 *   running (its Lua uses longjmp of its own): the allocator hook never
 *   throws (MCXT_ALLOC_NO_OOM), library results are checked after each call
 *   returns, and only then may ereport run. Objects of the library are freed
 *   before an ereport, or live in a memory context that the error cleans up.
 *   Signals are held while the library may run Lua, so the watchdog
 *   thread the Lua budget starts never runs PostgreSQL's signal handlers
 *   (a thread inherits the mask of its creator); a cancel that arrives
 *   meanwhile is acted on as soon as the call returns. A Lua rule therefore
 *   stops at its time budget (leeway.lua_millis) at the latest, and a scan
 *   stops at the next row. Holding and releasing signals costs two system
 *   calls (~0.3 us), so it is skipped for bundles whose sources never
 *   mention Lua: those cannot start the thread.
 *
 *   Text. The library reads and writes UTF-8; in a database of another
 *   encoding, cases, roles and results are converted at the boundary.
 */
#include "postgres.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "leeway.h"

PG_MODULE_MAGIC;

/* ------------------------------------------------------------------------
 * Settings
 */
static char *playbook_dir = NULL;
static int lua_millis = 1000;

/* The directory must be absolute: a relative one would be read relative to
 * the data directory, which nobody means. */
static bool
check_playbook_dir(char **newval, void **extra, GucSource source)
{
	if (*newval && (*newval)[0] != '\0' && !is_absolute_path(*newval))
	{
		GUC_check_errdetail("leeway.playbook_dir must be an absolute path, like /srv/leeway/playbooks.");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * The library's allocator: a memory context, never throwing
 */
static void *
context_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	void	   *p;

	if (nsize == 0)
	{
		if (ptr)
			pfree(ptr);
		return NULL;
	}
	if (nsize > MaxAllocHugeSize)
		return NULL;
	p = MemoryContextAllocExtended((MemoryContext) ud, nsize,
								   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (p && ptr)
	{
		memcpy(p, ptr, Min(osize, nsize));
		pfree(ptr);
	}
	return p;
}

static void
options_for(lw_options *opt, MemoryContext cxt)
{
	lw_options_init(opt);
	opt->alloc = context_alloc;
	opt->alloc_ud = cxt;
	opt->lua_millis = lua_millis;
}

/* Signals are held while the library runs (see the file's comment). */
static void
hold_signals(sigset_t *saved)
{
	sigset_t	all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, saved);
}

static void
release_signals(const sigset_t *saved)
{
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* ------------------------------------------------------------------------
 * Names
 */

/* Check a playbook name and return the file it names; ereports when the
 * name is refused, the setting is missing or nothing is there. */
static char *
resolve_name(const char *name)
{
	const char *p;
	char	   *path;
	struct stat st;

	if (playbook_dir == NULL || playbook_dir[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("leeway.playbook_dir is not set"),
				 errhint("A superuser sets it to the directory that holds the playbooks, "
						 "e.g. in postgresql.conf: leeway.playbook_dir = '/srv/leeway/playbooks'.")));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a playbook name cannot be empty")));
	if (name[0] == '/')
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("playbook name \"%s\" is an absolute path", name),
				 errhint("Name a playbook relative to leeway.playbook_dir, like 'airline'.")));
	/* every component must be a plain name: not empty, ".", or ".." */
	for (p = name; *p;)
	{
		const char *end = strchr(p, '/');
		size_t		n = end ? (size_t) (end - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("playbook name \"%s\" is refused: it has an empty, \".\" or \"..\" part", name),
					 errhint("Name a playbook relative to leeway.playbook_dir, like 'airline' or 'bench/playbook-lua.yaml'.")));
		p += n;
		if (*p == '/')
			p++;
	}
	path = psprintf("%s/%s", playbook_dir, name);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		path = psprintf("%s/%s/playbook.yaml", playbook_dir, name);
	if (stat(path, &st) != 0 || S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("playbook \"%s\" not found", name),
				 errdetail("There is no file %s or directory %s/ with a playbook.yaml under leeway.playbook_dir.",
						   name, name)));
	return path;
}

/* A file name as a person should see it: relative to leeway.playbook_dir. */
static const char *
shown_file(const char *file)
{
	size_t		n = playbook_dir ? strlen(playbook_dir) : 0;

	if (n > 0 && strncmp(file, playbook_dir, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

/* A text of the library -- a message, a decision's JSON -- with the files
 * it names relative to dir (leeway.playbook_dir), as shown_file names
 * them: a Lua error says "(at card-issuer/spend.lua:24)", as `leeway
 * decide` run in that directory does: a decision reads the same wherever
 * a server keeps its playbooks. */
static char *
dir_taken_out(const char *text, const char *dir)
{
	size_t		n = dir ? strlen(dir) : 0;
	const char *p = text;
	const char *hit;
	StringInfoData out;

	initStringInfo(&out);
	while (n > 0 && (hit = strstr(p, dir)) != NULL)
	{
		appendBinaryStringInfo(&out, p, hit - p);
		if (hit[n] != '/')
			appendBinaryStringInfo(&out, hit, n);
		p = hit + n + (hit[n] == '/');
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/* ------------------------------------------------------------------------
 * Reports: a load that failed, as one ereport
 */

/* The first error as "FILE:LINE:COL: MESSAGE [rule ID]" into buf, and up to
 * a few more into detail; both always NUL-terminated. */
static void
format_errors(const lw_report *r, char *buf, size_t size, char *detail, size_t dsize)
{
	size_t		shown = 0;

	buf[0] = detail[0] = '\0';
	for (size_t i = 0; i < lw_report_count(r); i++)
	{
		const lw_diag *d = lw_report_get(r, i);
		char	   *out = shown == 0 ? buf : detail + strlen(detail);
		size_t		room = shown == 0 ? size : dsize - strlen(detail);

		if (d->severity != LW_ERROR)
			continue;
		if (shown >= 6 || room < 2)
			break;
		if (d->line > 0)
			snprintf(out, room, "%s%s:%d:%d: %s%s%s%s", shown > 1 ? "\n" : "",
					 shown_file(d->file), d->line, d->column, dir_taken_out(d->message, playbook_dir),
					 d->rule ? " [rule " : "", d->rule ? d->rule : "", d->rule ? "]" : "");
		else
			snprintf(out, room, "%s%s: %s%s%s%s", shown > 1 ? "\n" : "",
					 shown_file(d->file), dir_taken_out(d->message, playbook_dir),
					 d->rule ? " [rule " : "", d->rule ? d->rule : "", d->rule ? "]" : "");
		shown++;
	}
	if (shown == 0)
		snprintf(buf, size, "the playbook could not be loaded");
}

/* Load the playbook at path with memory from cxt. On failure everything the
 * library made is freed, and the error is raised (cxt is the caller's). */
static lw_playbook *
load_playbook(const char *name, const char *path, MemoryContext cxt, lw_report **report)
{
	lw_options	opt;
	lw_playbook *pb = NULL;
	lw_report  *r = NULL;
	sigset_t	saved;
	int			rc = LW_OK;
	char		first[1024],
				more[4096];

	options_for(&opt, cxt);
	hold_signals(&saved);
	rc = lw_playbook_load(path, &opt, &pb, &r);
	release_signals(&saved);
	if (rc == LW_OK && report)
	{
		*report = r;
		return pb;
	}
	if (rc == LW_OK)
	{
		lw_report_free(r);
		return pb;
	}
	if (report && rc == LW_ERR_PLAYBOOK)
	{
		*report = r;			/* check() lists the errors as rows */
		return NULL;
	}
	format_errors(r, first, sizeof first, more, sizeof more);
	lw_report_free(r);
	if (rc == LW_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory loading playbook \"%s\"", name)));
	if (rc == LW_ERR_IO)
		ereport(ERROR,
				(errcode(ERRCODE_IO_ERROR),	/* errno is the library's by now */
				 errmsg("cannot read playbook \"%s\": %s", name, first)));
	ereport(ERROR,
			(errcode(ERRCODE_CONFIG_FILE_ERROR),
			 errmsg("playbook \"%s\" has errors: %s", name, first),
			 more[0] ? errdetail("%s", more) : 0,
			 errhint("Run SELECT * FROM leeway.check('%s') for every error and warning.", name)));
	return NULL;				/* not reached */
}

/* ------------------------------------------------------------------------
 * The cache of bundles
 */
typedef struct Bundle
{
	struct Bundle *next;
	MemoryContext cxt;			/* everything below lives here */
	char	   *name;
	char	   *dir;			/* leeway.playbook_dir when loaded */
	char	   *path;			/* the playbook file */
	lw_playbook *pb;
	lw_engine  *engine;
	int			engine_millis;	/* leeway.lua_millis the engine was made with */
	lw_case    *kase;
	TimestampTz loaded_at;
	LocalTransactionId checked_lxid;	/* statement last revalidated in */
	TimestampTz checked_stmt;
	bool		lua;			/* a source mentions Lua: hold signals */
	int			refs;			/* call sites holding it */
	bool		cached;			/* still in the cache (else freed at refs 0) */
} Bundle;

static MemoryContext LeewayContext = NULL;
static Bundle *cache = NULL;

static void
bundle_free(Bundle *b)
{
	lw_case_free(b->kase);
	lw_engine_free(b->engine);	/* stops its watchdog thread */
	lw_playbook_free(b->pb);
	MemoryContextDelete(b->cxt);
}

/* Take b out of the cache; it is freed now or when its last user lets go. */
static void
bundle_retire(Bundle *b)
{
	for (Bundle **p = &cache; *p; p = &(*p)->next)
		if (*p == b)
		{
			*p = b->next;
			break;
		}
	b->cached = false;
	if (b->refs == 0)
		bundle_free(b);
}

static void
bundle_unref(Bundle *b)
{
	if (--b->refs == 0 && !b->cached)
		bundle_free(b);
}

static bool
checked_this_statement(const Bundle *b)
{
	return b->checked_lxid == MyProc->lxid &&
		b->checked_stmt == GetCurrentStatementStartTimestamp();
}

/* Is the source file at path still the one with this digest? */
static bool
source_unchanged(const char *path, const char *digest)
{
	pg_cryptohash_ctx *h;
	uint8		sum[PG_SHA256_DIGEST_LENGTH];
	char		hex[2 * PG_SHA256_DIGEST_LENGTH + 1];
	char		buf[65536];
	ssize_t		n;
	int			fd;
	bool		ok = true;

	if (strncmp(digest, "sha256:", 7) != 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	h = pg_cryptohash_create(PG_SHA256);
	if (h == NULL || pg_cryptohash_init(h) < 0)
		ok = false;
	while (ok && (n = read(fd, buf, sizeof buf)) != 0)
	{
		if (n < 0 || pg_cryptohash_update(h, (uint8 *) buf, n) < 0)
			ok = false;
	}
	close(fd);
	if (ok && pg_cryptohash_final(h, sum, sizeof sum) < 0)
		ok = false;
	pg_cryptohash_free(h);
	if (!ok)
		return false;
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	return strcmp(hex, digest + 7) == 0;
}

/* Does the playbook, compiled again now, have the bundle's digest? For
 * bundles with a source found in a rule-set folder ("<rules>/NAME"), whose
 * place on disk only the library knows. Raises the load's error if the
 * playbook no longer loads. */
static bool
bundle_recompiles_alike(const Bundle *b)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "leeway revalidation",
											  ALLOCSET_DEFAULT_SIZES);
	lw_playbook *pb = load_playbook(b->name, b->path, cxt, NULL);
	bool		same = strcmp(lw_playbook_digest(pb), lw_playbook_digest(b->pb)) == 0;

	lw_playbook_free(pb);
	MemoryContextDelete(cxt);
	return same;
}

/* The file of the bundle's source i: its path is relative to the
 * playbook's folder. */
static void
source_file(const Bundle *b, size_t i, char *path, size_t size)
{
	const char *slash = strrchr(b->path, '/');

	snprintf(path, size, "%.*s/%s", (int) (slash - b->path), b->path,
			 lw_playbook_source_path(b->pb, i));
}

/* Does every source of the bundle still have the bytes it was built from? */
static bool
bundle_unchanged(const Bundle *b)
{
	if (strcmp(b->dir, playbook_dir) != 0)
		return false;
	for (size_t i = 0; i < lw_playbook_source_count(b->pb); i++)
		if (strncmp(lw_playbook_source_path(b->pb, i), "<rules>/", 8) == 0)
			return bundle_recompiles_alike(b);
	for (size_t i = 0; i < lw_playbook_source_count(b->pb); i++)
	{
		char		path[MAXPGPATH];

		source_file(b, i, path, sizeof path);
		if (!source_unchanged(path, lw_playbook_source_digest(b->pb, i)))
			return false;
	}
	return true;
}

/* May the bundle run Lua? A source says "lua" somewhere (a `lua:` key, a
 * functions: library), is not YAML (a library by another name), or cannot
 * be read: each counts as yes. */
static bool
bundle_may_run_lua(const Bundle *b)
{
	for (size_t i = 0; i < lw_playbook_source_count(b->pb); i++)
	{
		char		path[MAXPGPATH];
		char		buf[65536 + 2];
		size_t		keep = 0;
		ssize_t		n;
		int			fd;
		const char *source = lw_playbook_source_path(b->pb, i);
		size_t		n_source = strlen(source);

		if (!(n_source > 5 && strcmp(source + n_source - 5, ".yaml") == 0) &&
			!(n_source > 4 && strcmp(source + n_source - 4, ".yml") == 0))
			return true;
		source_file(b, i, path, sizeof path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true;
		/* the last two bytes of a chunk go before the next one, so a "lua"
		 * across two chunks is found too */
		while ((n = read(fd, buf + keep, sizeof buf - keep)) > 0)
		{
			size_t		len = keep + (size_t) n;

			if (memmem(buf, len, "lua", 3) != NULL)
			{
				close(fd);
				return true;
			}
			keep = len < 2 ? len : 2;
			memmove(buf, buf + len - keep, keep);
		}
		close(fd);
		if (n < 0)
			return true;
	}
	return false;
}

/* Was a source file of the bundle changed after the statement began?
 * (Sources from a rule-set folder, whose place only the library knows,
 * are not looked at.) */
static bool
bundle_edited_this_statement(const Bundle *b)
{
	TimestampTz start = GetCurrentStatementStartTimestamp();

	for (size_t i = 0; i < lw_playbook_source_count(b->pb); i++)
	{
		char		path[MAXPGPATH];
		struct stat st;

		if (strncmp(lw_playbook_source_path(b->pb, i), "<rules>/", 8) == 0)
			continue;
		source_file(b, i, path, sizeof path);
		if (stat(path, &st) != 0 ||
			time_t_to_timestamptz(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000 >= start)
			return true;
	}
	return false;
}

static Bundle *
bundle_load(const char *name)
{
	char	   *path = resolve_name(name);
	MemoryContext cxt;
	Bundle	   *b;
	lw_options	opt;

	if (LeewayContext == NULL)
		LeewayContext = AllocSetContextCreate(TopMemoryContext, "leeway",
											  ALLOCSET_SMALL_SIZES);
	/* Made under the current context, so that an error while loading frees
	 * it; it moves under LeewayContext once the bundle is complete. */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "leeway playbook", ALLOCSET_DEFAULT_SIZES);
	b = MemoryContextAllocZero(cxt, sizeof *b);
	b->cxt = cxt;
	b->name = MemoryContextStrdup(cxt, name);
	b->dir = MemoryContextStrdup(cxt, playbook_dir);
	b->path = MemoryContextStrdup(cxt, path);
	MemoryContextSetIdentifier(cxt, b->name);
	b->pb = load_playbook(name, path, cxt, NULL);
	options_for(&opt, cxt);
	b->engine = lw_engine_new(&opt);
	b->engine_millis = lua_millis;
	b->kase = lw_case_new(b->pb);
	if (b->engine == NULL || b->kase == NULL)
	{
		bundle_free(b);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory loading playbook \"%s\"", name)));
	}
	/*
	 * In a parallel query the leader and each worker load the bundle for
	 * themselves, each when it first needs it. An edit that lands in
	 * between would have them decide with different versions, so a bundle
	 * edited since the statement began is an error there: run it again.
	 */
	if (IsInParallelMode() && bundle_edited_this_statement(b))
	{
		bundle_free(b);
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("playbook \"%s\" was edited while this statement ran in parallel", name),
				 errdetail("Its parallel workers could decide with another version of it than the leader."),
				 errhint("Run the statement again. To switch versions in one step, deploy each version "
						 "to a folder of its own and change leeway.playbook_dir.")));
	}
	b->lua = bundle_may_run_lua(b);
	b->loaded_at = GetCurrentTimestamp();
	b->checked_lxid = MyProc->lxid;
	b->checked_stmt = GetCurrentStatementStartTimestamp();
	MemoryContextSetParent(cxt, LeewayContext);
	b->cached = true;
	b->next = cache;
	cache = b;
	return b;
}

/* The bundle for a name, revalidated at most once per statement. */
static Bundle *
bundle_get(const char *name)
{
	Bundle	   *b;

	for (b = cache; b; b = b->next)
		if (strcmp(b->name, name) == 0)
			break;
	if (b && checked_this_statement(b))
		return b;
	if (b)
	{
		if (bundle_unchanged(b))
		{
			b->checked_lxid = MyProc->lxid;
			b->checked_stmt = GetCurrentStatementStartTimestamp();
			return b;
		}
		elog(DEBUG1, "leeway: playbook \"%s\" changed on disk, reloading", name);
		bundle_retire(b);
	}
	return bundle_load(name);
}

/* ------------------------------------------------------------------------
 * Call sites: fn_extra keeps the bundle for the life of the query
 */
typedef struct CallSite
{
	Bundle	   *bundle;
	char	   *name;			/* the name it was looked up by */
	int			len;
	LocalTransactionId query_lxid;	/* the query it was looked up in */
	TimestampTz query_start;
	MemoryContextCallback release;
	char		day[16];		/* as_of for cases without a date */
	TimestampTz day_of;			/* the transaction start it was computed for */
} CallSite;

static void
callsite_release(void *arg)
{
	CallSite   *cs = arg;

	if (cs->bundle)
		bundle_unref(cs->bundle);
	cs->bundle = NULL;
}

/* When the query running now started: its portal's creation (a cursor's
 * FETCHes share the DECLARE's), else the statement's (a parallel worker,
 * the planner). */
static TimestampTz
query_start(void)
{
	return ActivePortal ? ActivePortal->creation_time : GetCurrentStatementStartTimestamp();
}

static CallSite *
callsite_bundle(FunctionCallInfo fcinfo, text *name)
{
	CallSite   *cs = fcinfo->flinfo->fn_extra;
	const char *s = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);
	char	   *cname;
	Bundle	   *b;

	if (cs == NULL)
	{
		cs = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof *cs);
		cs->release.func = callsite_release;
		cs->release.arg = cs;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &cs->release);
		fcinfo->flinfo->fn_extra = cs;
	}
	if (cs->bundle && cs->len == len && memcmp(cs->name, s, len) == 0 &&
		cs->query_lxid == MyProc->lxid && cs->query_start == query_start())
		return cs;
	if (memchr(s, '\0', len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a playbook name cannot contain a NUL character")));
	cname = text_to_cstring(name);
	b = bundle_get(cname);
	b->refs++;
	if (cs->bundle)
		bundle_unref(cs->bundle);
	cs->bundle = b;
	cs->query_lxid = MyProc->lxid;
	cs->query_start = query_start();
	if (cs->name)
		pfree(cs->name);
	cs->name = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, cname);
	cs->len = len;
	return cs;
}

/* The UTC day the transaction started: cases without a date are decided as
 * of it, so every row of a statement (and of a transaction) is decided as of
 * the same day -- what makes the functions STABLE. */
static const char *
transaction_day(CallSite *cs)
{
	TimestampTz t = GetCurrentTransactionStartTimestamp();

	if (cs->day[0] == '\0' || cs->day_of != t)
	{
		int64		days = t / USECS_PER_DAY - (t < 0 && t % USECS_PER_DAY != 0);
		int			y,
					m,
					d;

		j2date((int) (days + POSTGRES_EPOCH_JDATE), &y, &m, &d);
		snprintf(cs->day, sizeof cs->day, "%04d-%02d-%02d", y, m, d);
		cs->day_of = t;
	}
	return cs->day;
}

/* ------------------------------------------------------------------------
 * Deciding one row
 */

/*
 * Read a plain case straight from the jsonb, without writing it as text for
 * lw_case_read_json to parse again: objects down to declared facts, each
 * holding a string, a number or a boolean, each given once. These are set
 * as lw_case_read_json sets them (strings as text, numbers as numbers).
 * Anything else -- null, a list, an object where a fact is declared, a name
 * the playbook does not declare, deep nesting, many keys -- returns false,
 * and the caller reads the case's text instead, so the library words every
 * problem and applies every limit itself. The case must be reset then.
 */
#define PLAIN_PATH 512
#define PLAIN_DEPTH 32
#define PLAIN_KEYS 256			/* more: the text path applies max_keys */

static bool
read_plain_case(lw_case *kase, const lw_playbook *pb, Jsonb *jb)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char		path[PLAIN_PATH];
	char		text[1024];
	size_t		plen[PLAIN_DEPTH + 2];	/* path length at each depth */
	int			depth = 0;
	int			keys = 0;
	int			f = -1;
	int			rc;
	lw_value	given;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
				/* an object where a fact is declared, or too deep */
				if (f >= 0 || depth >= PLAIN_DEPTH)
					return false;
				depth++;
				plen[depth] = depth == 1 ? 0 : strlen(path);
				break;
			case WJB_END_OBJECT:
				depth--;
				break;
			case WJB_KEY:
				{
					size_t		at = plen[depth];
					size_t		kl = v.val.string.len;

					if (at + kl + 2 > PLAIN_PATH || ++keys > PLAIN_KEYS)
						return false;
					if (at > 0)
						path[at++] = '.';
					memcpy(path + at, v.val.string.val, kl);
					path[at + kl] = '\0';
					f = lw_fact_index(pb, path);
					break;
				}
			case WJB_VALUE:
				if (f < 0 || lw_case_value(kase, f, &given) != 0)
					return false;
				if (v.type == jbvString)
				{
					if (v.val.string.len >= sizeof text)
						return false;
					memcpy(text, v.val.string.val, v.val.string.len);
					text[v.val.string.len] = '\0';
					rc = lw_case_set_string(kase, path, text);
				}
				else if (v.type == jbvNumeric)
					rc = lw_case_set_number_at(kase, f,
											   DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																				  NumericGetDatum(v.val.numeric))));
				else if (v.type == jbvBool)
					rc = lw_case_set_bool_at(kase, f, v.val.boolean);
				else
					return false;	/* null */
				if (rc == LW_ERR_NOMEM)
					return false;	/* the text path says so */
				f = -1;
				break;
			default:
				return false;	/* a list */
		}
	}
	return true;
}

/* Decide the row's case; returns the decision (in the bundle's engine,
 * valid until the next decision there) and the bundle in *bundle. Returns
 * NULL when the playbook or the case is NULL (the result is NULL then). */
static const lw_decision *
decide_row(FunctionCallInfo fcinfo, Bundle **bundle)
{
	CallSite   *cs;
	Bundle	   *b;
	Jsonb	   *jb;
	char	   *json;
	char	   *role = NULL;
	const char *msg = NULL;
	const lw_decision *d = NULL;
	lw_decide_options opt = {0};
	sigset_t	saved;
	int			rc = LW_OK;

	CHECK_FOR_INTERRUPTS();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return NULL;
	jb = PG_GETARG_JSONB_P(1);
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a case must be a jsonb object, like '{\"customer\": {\"age\": 82}}'"),
				 errdetail("The value given is a jsonb %s.",
						   JB_ROOT_IS_SCALAR(jb) ? "scalar" : "array")));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		role = text_to_cstring(PG_GETARG_TEXT_PP(2));
		role = pg_server_to_any(role, strlen(role), PG_UTF8);
	}
	cs = callsite_bundle(fcinfo, PG_GETARG_TEXT_PP(0));
	b = cs->bundle;
	if (b->engine_millis != lua_millis)
	{
		/* the budget is the engine's: a new setting needs a new engine */
		lw_options	eopt;
		lw_engine  *e;

		options_for(&eopt, b->cxt);
		e = lw_engine_new(&eopt);
		if (e == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory deciding with playbook \"%s\"", b->name)));
		lw_engine_free(b->engine);
		b->engine = e;
		b->engine_millis = lua_millis;
	}

	lw_case_reset(b->kase);
	lw_case_set_as_of(b->kase, transaction_day(cs));
	if (GetDatabaseEncoding() != PG_UTF8 || !read_plain_case(b->kase, b->pb, jb))
	{
		json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
		json = pg_server_to_any(json, strlen(json), PG_UTF8);
		lw_case_reset(b->kase);
		lw_case_set_as_of(b->kase, transaction_day(cs));
		rc = lw_case_read_json(b->kase, "case", json, strlen(json), &msg);
	}

	/* from here to the decision only the library runs */
	if (msg == NULL)
	{
		opt.role = role;
		if (b->lua)
			hold_signals(&saved);
		rc = lw_decide(b->engine, b->pb, b->kase, &opt, &d);
		if (b->lua)
			release_signals(&saved);
	}

	/* a cancel or timeout that came while the library ran */
	CHECK_FOR_INTERRUPTS();
	if (rc == LW_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory deciding with playbook \"%s\"", b->name)));
	if (msg)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", pg_any_to_server(msg, strlen(msg), PG_UTF8))));
	if (rc != LW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("leeway could not decide with playbook \"%s\": %s", b->name, lw_errstr(rc))));
	/* A spent Lua budget is an error of the statement, not an answer:
	 * the rule it stopped has not been decided. */
	for (size_t i = 0; i < d->n_errors; i++)
	{
		const lw_error_entry *e = &d->errors[i];

		if (strncmp(e->message, "Lua: ", 5) == 0 && strstr(e->message, " budget of ") != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s:%d:%d: %s [rule %s]", shown_file(e->file), e->line, e->column,
							dir_taken_out(e->message, b->dir), e->rule ? e->rule : "?"),
					 errhint("Lua's time budget is leeway.lua_millis (now %d ms); its instruction and memory budgets are the engine's defaults.",
							 lua_millis)));
	}
	*bundle = b;
	return d;
}

PG_FUNCTION_INFO_V1(leeway_decide);
PG_FUNCTION_INFO_V1(leeway_outcome);
PG_FUNCTION_INFO_V1(leeway_goodwill);
PG_FUNCTION_INFO_V1(leeway_check);
PG_FUNCTION_INFO_V1(leeway_playbooks);

Datum
leeway_decide(PG_FUNCTION_ARGS)
{
	Bundle	   *b;
	const lw_decision *d = decide_row(fcinfo, &b);
	const char *json;
	const char *errors = NULL;

	if (d == NULL)
		PG_RETURN_NULL();
	json = lw_decision_json(b->engine, d, 0, NULL);
	if (json == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory writing a decision as JSON")));
	json = pg_any_to_server(json, strlen(json), PG_UTF8);
	/* the files errors name, relative to leeway.playbook_dir: "errors" is
	 * the decision's last key, so its last unescaped occurrence */
	for (const char *p = json; d->n_errors > 0 && (p = strstr(p, "\"errors\":")) != NULL; p++)
		errors = p;
	if (errors)
		json = psprintf("%.*s%s", (int) (errors - json), json, dir_taken_out(errors, b->dir));
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

Datum
leeway_outcome(PG_FUNCTION_ARGS)
{
	Bundle	   *b;
	const lw_decision *d = decide_row(fcinfo, &b);

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(pg_any_to_server(d->outcome, strlen(d->outcome), PG_UTF8)));
}

Datum
leeway_goodwill(PG_FUNCTION_ARGS)
{
	Bundle	   *b;
	const lw_decision *d = decide_row(fcinfo, &b);

	if (d == NULL || d->goodwill.amount.currency == NULL)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(int64_div_fast_to_numeric(d->goodwill.amount.minor,
												d->goodwill.amount.digits));
}

/* ------------------------------------------------------------------------
 * check() and playbooks()
 */
Datum
leeway_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = resolve_name(name);
	MemoryContext cxt;
	lw_playbook *pb;
	lw_report  *r = NULL;

	InitMaterializedSRF(fcinfo, 0);
	/* a context of this call: an error anywhere below frees it all */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "leeway check", ALLOCSET_DEFAULT_SIZES);
	pb = load_playbook(name, path, cxt, &r);
	if (pb && lw_playbook_analyze(pb, r) == LW_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory analysing playbook \"%s\"", name)));
	lw_playbook_free(pb);
	for (size_t i = 0; i < lw_report_count(r); i++)
	{
		const lw_diag *d = lw_report_get(r, i);
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = CStringGetTextDatum(d->severity == LW_ERROR ? "error" : "warning");
		values[1] = CStringGetTextDatum(shown_file(d->file));
		values[2] = Int32GetDatum(d->line);
		nulls[2] = d->line == 0;
		values[3] = Int32GetDatum(d->column);
		nulls[3] = d->line == 0;
		nulls[4] = d->rule == NULL;
		values[4] = d->rule ? CStringGetTextDatum(d->rule) : (Datum) 0;
		values[5] = CStringGetTextDatum(dir_taken_out(d->message, playbook_dir));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	lw_report_free(r);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

Datum
leeway_playbooks(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (Bundle *b = cache; b; b = b->next)
	{
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = CStringGetTextDatum(b->name);
		values[1] = CStringGetTextDatum(lw_playbook_id(b->pb));
		values[2] = CStringGetTextDatum(lw_playbook_version(b->pb));
		values[3] = CStringGetTextDatum(lw_playbook_digest(b->pb));
		values[4] = TimestampTzGetDatum(b->loaded_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Module load
 */
void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("leeway.playbook_dir",
							   "Directory the playbooks are named in.",
							   "leeway.decide('airline', ...) reads airline/playbook.yaml there. "
							   "Only a superuser may set it.",
							   &playbook_dir,
							   "",
							   PGC_SUSET,
							   0,
							   check_playbook_dir, NULL, NULL);
	DefineCustomIntVariable("leeway.lua_millis",
							"Wall-clock time the Lua scripts of one decision may take.",
							"A decision whose scripts take longer is an error; a cancel "
							"or statement_timeout waits at most this long.",
							&lua_millis,
							1000, 1, 3600 * 1000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("leeway");
}
