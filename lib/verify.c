/*
 * verify.c - the verification record: which result records need a read,
 * and whether the changes they carry hold on the user as read.
 */
#include "verify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "json_access.h"
#include "merge.h"
#include "userdoc.h"
#include "uuid.h"

enum gcu_bulk_take gcu_verify_classify(json_object *rec, const char **id, enum gcu_scope *scope,
                                       char *why, size_t whylen)
{
	static const char *const skip[] = {"unchanged", "failed", "conflict", "interrupted",
	                                   "rejected"};
	const char *status = gcu_json_str(rec, "status");
	json_object *changes = gcu_json_get(rec, "changes");

	*id = gcu_json_str(rec, "id");
	if (!gcu_uuid_valid(*id)) {
		snprintf(why, whylen, *id ? "id '%.64s' is not a UUID" : "missing id%.0s",
		         *id ? *id : "");
		return GCU_BULK_REJECT;
	}
	*scope = gcu_scope_parse(gcu_json_str(rec, "scope"));
	if (*scope == GCU_SCOPE_NONE) {
		snprintf(why, whylen, "missing or unknown scope (non-routing or routing)");
		return GCU_BULK_REJECT;
	}
	if (status == NULL) {
		snprintf(why, whylen, "no status (is this gcu-send output?)");
		return GCU_BULK_REJECT;
	}
	for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
		if (strcmp(status, skip[i]) == 0)
			return GCU_BULK_SKIP;
	if (strcmp(status, "ok") != 0) {
		snprintf(why, whylen, "status '%.32s' is not a result status", status);
		return GCU_BULK_REJECT;
	}
	if (!json_object_is_type(changes, json_type_object) ||
	    json_object_object_length(changes) == 0) {
		snprintf(why, whylen, "an ok result without its changes");
		return GCU_BULK_REJECT;
	}
	/* Leaving the old team is the first step of a move (its change names
	 * the new team): the join that completes the move is verified, and a
	 * join that failed is reported by its own result. */
	const char *op = gcu_json_str(rec, "op");
	if (op && strcmp(op, "teamLeave") == 0 && gcu_json_get(changes, "team") != NULL)
		return GCU_BULK_SKIP;
	return GCU_BULK_READ;
}

int gcu_verify_key(json_object *rec, char *buf, size_t len)
{
	const char *id = gcu_json_str(rec, "id"), *scope = gcu_json_str(rec, "scope");
	const char *src = gcu_json_str(rec, "src");
	int n = snprintf(buf, len, "%s %s %s", id ? id : "", scope ? scope : "", src ? src : "");
	size_t at = (size_t)n;

	if (n < 0 || (size_t)n >= len)
		return -1;
	for (size_t i = 0; buf[i] && buf[i] != ' '; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	/* A group request's result carries one membership change: each is
	 * verified apart (the two steps of a team move are one change). */
	json_object *changes = gcu_json_get(rec, "changes");
	if (!json_object_is_type(changes, json_type_object))
		return 0;
	json_object_object_foreach(changes, field, change)
	{
		if (!gcu_field_is_group(field))
			continue;
		n = snprintf(buf + at, len - at, " %s", field);
		if (n < 0 || (size_t)n >= len - at)
			return -1;
		at += (size_t)n;
		if (gcu_field_kind(field) != GCU_FIELD_QUEUES ||
		    !json_object_is_type(change, json_type_object))
			continue;
		json_object_object_foreach(change, q, in)
		{
			(void)in;
			n = snprintf(buf + at, len - at, ":%s", q);
			if (n < 0 || (size_t)n >= len - at)
				return -1;
			at += (size_t)n;
		}
	}
	return 0;
}

json_object *gcu_verify_record(json_object *result, json_object *user, int status,
                               const char *message, enum gcu_verdict *verdict)
{
	static const char *const keys[] = {"id", "src", "scope"};
	json_object *out = json_object_new_object();
	json_object *changes = gcu_json_get(result, "changes");

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		json_object *v = gcu_json_get(result, keys[i]);
		if (v != NULL)
			json_object_object_add(out, keys[i], json_object_get(v));
	}
	if (user == NULL) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "status", json_object_new_int(status));
		json_object_object_add(e, "message",
		                       json_object_new_string(message ? message : "not read"));
		json_object_object_add(out, "verified", json_object_new_boolean(0));
		json_object_object_add(out, "error", e);
		*verdict = GCU_UNREADABLE;
		return out;
	}
	json_object *current = gcu_user_current(user, changes);
	json_object *mismatch = gcu_merge_mismatch(current, changes);
	json_object_put(current);
	if (mismatch == NULL) {
		json_object_put(out);
		return NULL;
	}
	int holds = json_object_object_length(mismatch) == 0;
	json_object_object_add(out, "verified", json_object_new_boolean(holds));
	if (holds)
		json_object_put(mismatch);
	else
		json_object_object_add(out, "mismatch", mismatch);
	*verdict = holds ? GCU_VERIFIED : GCU_MISMATCH;
	return out;
}
