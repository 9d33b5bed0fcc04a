/*
 * sender_int.h - the inside of gcu-send's client of the engine, private
 * to its two files: sender.c (reading request records into units,
 * sending them, a version conflict's re-read and re-merge, and each
 * request's result) and send_groups.c (a group request and its members:
 * their results, the request again for the members left, and --failed
 * for those that failed). No other file includes it but their unit test;
 * what the stage sees is sender.h.
 *
 * sender.c drives every unit through the engine and hands a group
 * request to send_groups.c at four points: when its line is read
 * (sender_add_group), before it goes out (sender_drop_moved_on), when a
 * 2xx comes back (sender_group_usable) and when it is answered
 * (sender_group_answer); a group request that ends any other way ends
 * through sender_finish_members. send_groups.c writes its lines and
 * moves the unit on with sender.c's own calls below.
 */
#ifndef GCU_SENDER_INT_H
#define GCU_SENDER_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "engine.h"
#include "http.h"
#include "sender.h"

/* One member of a group request: the user, and its result once it has
 * one. */
struct member {
	json_object *m; /* {"id","src","changes"}, borrowed from the record */
	enum gcu_result_status status;
	int done; /* has its result */
};

struct request {
	json_object *rec; /* the request record */
	char *raw;        /* its line as read, for --failed */
	size_t raw_len;
	unsigned long lineno;        /* its line number in the input */
	json_object *body_override;  /* the body of a re-merge after a conflict */
	json_object *undo_override;  /* and its undo, from the values read then */
	json_object *group_override; /* a group request for the members left, after some
	                                are done (resumed) or refused */
	struct member *members;      /* a group request's, else NULL */
	size_t nmembers;
	int attempts;   /* sends of this request */
	int conflicted; /* a conflict was seen: a later success resolves it */
	double first_sent;
};

struct unit {
	struct gcu_job job; /* scope, sealed, held (earlier units sharing a user), ... */
	char id[40];        /* the user; "" for a group request */
	char **users;       /* the users it changes, lower case, sorted */
	size_t nusers;
	struct request *reqs;
	size_t n, cap, next;
	long version;  /* current version after a versioned success, -1 unknown */
	int conflicts; /* in a row */
	int parked;    /* 1 once parked: the next conflict is final */
	int refetch;   /* the next transfer re-reads the user */
	int reading;   /* the transfer out re-reads the user */
};

/* The sender's side of a run; core first, so that the engine's callbacks
 * find the rest. */
struct sender {
	struct gcu_engine core;
	const struct gcu_send_opts *o;
	struct gcu_send_stats *st;
	long waiting;  /* units that wait for an earlier unit of their user */
	int unflushed; /* results written since the last flush */
	/* "scope id" of the users whose record ended in a conflict on what it
	 * expects, when read again: their group requests are not sent. */
	json_object *moved_on;
};

/* --- sender.c ------------------------------------------------------------ */

/*
 * The result line of request r (sender.h), a new object: its record's
 * id, src, scope, op, path, part and changes, and "undo" (the re-merge's
 * when there was one) only on ok and only for a request that is not a
 * group request. http <= 0 and version < 0 are null; "ms" counts from
 * the first send at now (0 when never sent).
 */
json_object *sender_result_line(struct request *r, enum gcu_result_status status, long http,
                                long version, const char *error, double now);

/* Writes line (borrowed) to the results, and to the undo log when there
 * is one; a write that fails makes the run fatal. */
void sender_write_line(struct sender *e, json_object *line);

/* With -v, a result that failed is said: "src: what which: status: why". */
void sender_tell(struct sender *e, const char *src, const char *what, const char *which,
                 enum gcu_result_status status, const char *error);

/* The unit's current request has every result it gets: the next one's
 * turn, and once the unit is done, the turn of the later units that
 * waited for it. */
void sender_advance(struct sender *e, struct unit *u);

/* Frees what request r holds (not r itself). */
void sender_free_request(struct request *r);

/* With --dry-run, the request record rec goes out as a line
 * "METHOD path body" in place of its result; a failed write makes the
 * run fatal. */
void sender_dry_run_line(struct sender *e, json_object *rec);

/* A new unit for user id (or the group request r), after every unit held:
 * it waits until those that change a user of its own are done. NULL when
 * memory ran out. */
struct unit *sender_new_unit(struct sender *e, const char *id, const struct request *r,
                             enum gcu_scope scope);

/* Appends request r (its contents taken) to unit u. Returns 0, or -1
 * when memory ran out (r is then the caller's still). */
int sender_append(struct unit *u, struct request *r);

/* --- send_groups.c ------------------------------------------------------- */

/* The request as it goes out (borrowed): the one made for the members
 * left, or the record itself. */
json_object *sender_outgoing(struct request *r);

/*
 * A group request read from line lineno (rec and raw borrowed): one unit
 * of its own, sealed, for the members an earlier run (--resume) did not
 * finish; their results are copied from it, and the request goes out for
 * the others only. With --dry-run or no token, nothing is queued. When
 * memory runs out the run is fatal.
 */
void sender_add_group(struct sender *e, json_object *rec, const char *raw, size_t len,
                      unsigned long lineno);

/* Every member of the unit's current group request without a result
 * gets status, the failed ones go to --failed, and the unit moves on
 * (sender_advance). */
void sender_finish_members(struct sender *e, struct unit *u, enum gcu_result_status status,
                           long http, const char *error);

/* The user id of scope no longer holds what its record expects: its
 * members in the group requests of that scope sent from now on end in
 * conflict, unsent (sender_drop_moved_on). */
void sender_moved_on(struct sender *e, const char *scope, const char *id);

/*
 * A guarded record is all or nothing in its scope: the members of group
 * request r (the unit's current one) whose user moved on get that
 * conflict, unsent, and the request goes for the others. Returns 1 when
 * nothing is left to send (the unit has then moved on), else 0.
 */
int sender_drop_moved_on(struct sender *e, struct unit *u, struct request *r);

/*
 * The answer (status, not a re-read) to group request r, the unit's
 * current one: every member gets its result and the unit moves on. A 400
 * to a call that applies to all or none names the members it refused:
 * they fail with it, and the call goes again for the others, who were
 * refused only for their company (each round drops at least one member,
 * so it ends); the unit is then restarted, not moved on.
 */
void sender_group_answer(struct sender *e, struct unit *u, struct request *r,
                         const struct gcu_http_response *resp, long status);

/* A 2xx to a team join lists the members added; one without that list is
 * not the platform's answer (a proxy's 200 for a throttled call): returns
 * -1 with why filled, else 0. */
int sender_group_usable(const struct request *r, const struct gcu_http_response *resp, char *why,
                        size_t whylen);

#endif
