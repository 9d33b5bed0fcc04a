/*
 * fields.h - what gcu knows about each user field of the platform: its
 * JSON kind, which tells the partitioner how to check a change and the
 * merger how to compare it with the current value and build a request.
 *
 * Which scope a field belongs to is configuration (config.h); what a field
 * is, is a fact of the platform and lives here. A field the config maps
 * but this table does not know is GCU_FIELD_ANY: any JSON value, compared
 * whole.
 */
#ifndef GCU_FIELDS_H
#define GCU_FIELDS_H

#include <stddef.h>

#include <json-c/json.h>

enum gcu_field_kind {
	GCU_FIELD_ANY,      /* any JSON value, replaced whole */
	GCU_FIELD_STRING,   /* a string */
	GCU_FIELD_BOOL,     /* true or false */
	GCU_FIELD_STATE,    /* active | inactive (never deleted), sent alone */
	GCU_FIELD_USERREF,  /* a user id; the platform shows {"id": …} */
	GCU_FIELD_OBJECT,   /* an object merged key by key */
	GCU_FIELD_CONTACTS, /* a list of contacts keyed by (mediaType, type) */
	GCU_FIELD_LIST,     /* a list replaced whole */
	GCU_FIELD_IDMAP,    /* routing skills or languages: {id: proficiency} */
	GCU_FIELD_STATUS,   /* routing status, sent by PUT */
	GCU_FIELD_QUEUES,   /* queue memberships: {queueId: true | false} */
	GCU_FIELD_TEAM,     /* the one team a user is in: its id, or null for none */
	GCU_FIELD_DIVISION  /* the division a user is in: its id, never null */
};

/*
 * What a field's value refers to, when it names other objects of the org:
 * the user (manager), or a catalogue entry. People name them by email or
 * name; the platform wants ids. Where the reference sits depends on the
 * kind: the map keys of an IDMAP field, the value of the others.
 */
enum gcu_ref_kind {
	GCU_REF_NONE,     /* plain data */
	GCU_REF_USER,     /* a user: id, email (manager) */
	GCU_REF_SKILL,    /* a routing skill */
	GCU_REF_LANGUAGE, /* a routing language */
	GCU_REF_QUEUE,    /* a queue */
	GCU_REF_TEAM,     /* a team */
	GCU_REF_DIVISION, /* a division */
	GCU_NREFS
};

/* What a field refers to; GCU_REF_NONE for plain fields and unknown names. */
enum gcu_ref_kind gcu_field_ref(const char *field);

/* "skill", "language", … (for messages); "" for GCU_REF_NONE. */
const char *gcu_ref_name(enum gcu_ref_kind k);

/* The name of the i-th field the table knows, from 0; NULL past the end. */
const char *gcu_field_name(size_t i);

/* The kind of a field name; GCU_FIELD_ANY for names it does not know. */
enum gcu_field_kind gcu_field_kind(const char *field);

/*
 * Whether a field is a group membership (queues, team, division): changed
 * by the group requests that serve many users at once, not by a request
 * of the user's own.
 */
int gcu_field_is_group(const char *field);

/*
 * Checks a change value for a field and returns its canonical form (a new
 * reference): the seed's list form of routing skills becomes a map, a
 * string proficiency stays an error. NULL (JSON null) is valid for every
 * field but division (a user is always in one) and queues (each queue is
 * left by name), and comes back as NULL with *err left empty. On a bad
 * value returns NULL and writes why into err (err[0] != 0).
 */
json_object *gcu_field_normalize(const char *field, json_object *value, char *err, size_t errlen);

/* The platform's document key for a field's current value (skills for
 * routingSkills, …); the field name itself for most. Queue memberships
 * are not part of the platform's user document: gcu-fetch and gcu-verify
 * put the ones they read under "queues" as [{"id"}…] (userdoc.h). */
const char *gcu_field_doc_key(const char *field);

#endif
